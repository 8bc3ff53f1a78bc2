"""The version of everything answered from the gap rows: one ``gap_refreshes`` row per ``refresh_gaps``.

Statistics, the early-access map, lags and requirements read every row of a stage, while their inputs change
only when a scan, poll or import lands — and each of those ends with ``refresh_gaps``, which records a row
here with a random token. The newest token is the version answers are kept under
(``app/services/answers/cache.py``): one indexed read tells whether a kept answer still holds, also after a
refresh made by another process (several processes share one PostgreSQL).
"""

from __future__ import annotations

import secrets

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.models import GapRefresh

KEEP_REFRESHES = 100
"""How many ``gap_refreshes`` rows are kept (only the newest one matters; a few more for inspection)."""
PRUNE_EVERY = 20


def record_refresh(session: Session) -> None:
    """A new version of the answers: called by ``refresh_gaps`` in its transaction."""
    row = GapRefresh(token=secrets.token_hex(16))
    session.add(row)
    session.flush()
    if row.id % PRUNE_EVERY == 0:  # now and then, so concurrent refreshes rarely delete the same rows
        session.execute(delete(GapRefresh).where(GapRefresh.id <= row.id - KEEP_REFRESHES))


def answers_version(session: Session) -> str:
    """The newest refresh's token ('' before the first refresh)."""
    token = session.scalar(select(GapRefresh.token).order_by(GapRefresh.id.desc()).limit(1))
    return token or ""

"""First start: a database with no runtime evidence gets the bundled snapshot (``docs/data.md``)."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from app.services.snapshot.exchange import SnapshotImport, has_support_events, import_snapshot
from app.services.snapshot.format import read_snapshot

log = logging.getLogger(__name__)


def seed_snapshot(session: Session, path: Path, *, now: datetime) -> SnapshotImport | None:
    """Import the snapshot at ``path`` when the database holds no support event yet; the caller refreshes
    the gap rows and commits. None when evidence is already there (seeding never adds to a database that
    has its own) or the file is absent (a checkout without the bundled data still starts, empty)."""
    if has_support_events(session):
        return None
    if not path.exists():
        log.warning("no bundled snapshot at %s: runtime cells stay unknown until the watchers scan", path)
        return None
    report = import_snapshot(session, read_snapshot(path), now=now)
    log.info(
        "seeded %s runtime events from the bundled snapshot (as of %s)",
        report.events_new,
        report.cutoff.date().isoformat() if report.cutoff else "not known",
    )
    return report

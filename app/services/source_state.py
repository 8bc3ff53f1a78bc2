"""Per-source poll state: written on every attempt, failed ones too, plus leases for multi-process workers.

Several processes sharing one PostgreSQL must never work on the same source at once. A lease is won by a
single conditional UPDATE (free, expired, or already ours), which is atomic on both databases, so no
advisory locks or SELECT … FOR UPDATE are needed and SQLite behaves the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.db.session import session_scope
from app.db.upsert import insert_ignoring_conflicts
from app.models.source_state import SourceState

HUB_PUBLISHER = "hub_publisher"
RUNTIME_REPO = "runtime_repo"
IMPORTED_SNAPSHOT = "snapshot"
"""Not a polled source: the record an imported snapshot leaves (its cutoff and copies), never failing."""


def get_state(session: Session, kind: str, name: str) -> SourceState:
    """The state row of a source, created (idempotently, even under concurrency) on first use."""
    insert_ignoring_conflicts(
        session,
        SourceState.__table__,  # type: ignore[arg-type]
        [{"kind": kind, "name": name, "cursor": {}, "consecutive_errors": 0}],
        ["kind", "name"],
    )
    return session.execute(
        select(SourceState).where(SourceState.kind == kind, SourceState.name == name)
    ).scalar_one()


def try_acquire_lease(
    session: Session, kind: str, name: str, owner: str, now: datetime, ttl: timedelta
) -> bool:
    """Take the lease on a source for ``ttl``; False when another live owner holds it. Commits."""
    get_state(session, kind, name)
    result = session.execute(
        update(SourceState)
        .where(
            SourceState.kind == kind,
            SourceState.name == name,
            or_(
                SourceState.lease_owner.is_(None),
                SourceState.lease_expires_at.is_(None),
                SourceState.lease_expires_at < now,
                SourceState.lease_owner == owner,
            ),
        )
        .values(lease_owner=owner, lease_expires_at=now + ttl)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1  # type: ignore[attr-defined]


def release_lease(session: Session, kind: str, name: str, owner: str) -> None:
    """Give the lease back (only if we still hold it). Commits."""
    session.execute(
        update(SourceState)
        .where(SourceState.kind == kind, SourceState.name == name, SourceState.lease_owner == owner)
        .values(lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()


@contextmanager
def lease(
    factory: sessionmaker[Session], kind: str, name: str, owner: str, now: datetime, ttl: timedelta
) -> Iterator[bool]:
    """Hold the lease on a source while the block runs: yields whether it was won (False: another live
    owner holds it, and the block should leave the source alone); a won lease is given back at the end,
    however the block ends. Acquiring and releasing commit in transactions of their own."""
    with session_scope(factory) as session:
        won = try_acquire_lease(session, kind, name, owner, now, ttl)
    try:
        yield won
    finally:
        if won:
            with session_scope(factory) as session:
                release_lease(session, kind, name, owner)


def record_success(
    session: Session,
    state: SourceState,
    now: datetime,
    next_check_at: datetime,
    *,
    cursor: dict[str, Any] | None = None,
    etag: str | None = None,
) -> None:
    """Note a successful check; the caller commits together with the data it applied."""
    state.last_checked_at = now
    state.last_success_at = now
    state.next_check_at = next_check_at
    state.last_error = None
    state.consecutive_errors = 0
    if cursor is not None:
        state.cursor = cursor
    if etag is not None:
        state.etag = etag


def record_failure(
    session: Session, state: SourceState, now: datetime, error: str, retry_at: datetime
) -> None:
    """Note a failed check and when it will be retried; the caller commits."""
    state.last_checked_at = now
    state.last_error = error[:4000]
    state.last_error_at = now
    state.next_check_at = retry_at
    state.consecutive_errors = (state.consecutive_errors or 0) + 1


@dataclass(frozen=True)
class SourceHealth:
    """What the dashboard and /api show about one source."""

    kind: str
    name: str
    ok: bool
    last_checked_at: datetime | None
    last_success_at: datetime | None
    next_check_at: datetime | None
    last_error: str | None


def list_health(session: Session) -> list[SourceHealth]:
    """Every known source's health, failing ones first."""
    rows = session.execute(
        select(SourceState)
        .where(SourceState.kind != IMPORTED_SNAPSHOT)
        .order_by(SourceState.kind, SourceState.name)
    ).scalars()
    health = [
        SourceHealth(
            kind=s.kind,
            name=s.name,
            ok=s.last_error is None,
            last_checked_at=s.last_checked_at,
            last_success_at=s.last_success_at,
            next_check_at=s.next_check_at,
            last_error=s.last_error,
        )
        for s in rows
    ]
    return sorted(health, key=lambda h: h.ok)

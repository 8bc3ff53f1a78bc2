"""Per-source poll state: written on every attempt, failed ones too, plus leases for multi-process workers.

Several processes sharing one PostgreSQL must never work on the same source at once. A lease is won by a
single conditional UPDATE (free, expired, or already ours), which is atomic on both databases, so no
advisory locks or SELECT … FOR UPDATE are needed and SQLite behaves the same.

Leases are short (``LEASE_TTL``) and renewed by a background thread while their holder works, so a process
killed with ``kill -9`` blocks its sources for at most a minute, not for the length of the longest scan; the
owner id is random per process (a restarted process with a reused pid is a new owner), and a process gives
all its leases back when it shuts down.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.db.session import session_scope
from app.db.upsert import insert_ignoring_conflicts
from app.models.source_state import SourceState

HUB_PUBLISHER = "hub_publisher"
HUB_FIREHOSE = "hub_firehose"
"""The Hub firehose's two listings (names ``created`` and ``modified``; app/services/hub/firehose.py)."""
RUNTIME_REPO = "runtime_repo"
IMPORTED_SNAPSHOT = "snapshot"
"""Not a polled source: the record an imported snapshot leaves (its cutoff and copies), never failing."""
LEASE_TTL = timedelta(seconds=60)
"""How long a lease outlives its last renewal: the longest a dead process keeps others off a source."""
RENEWALS_PER_TTL = 3

log = logging.getLogger(__name__)
_owner: tuple[int, str] | None = None

# What failure messages say when nothing answered at all (httpx/huggingface_hub and git wordings), and the
# message a publisher gets when the cycle stopped before reaching it (see hub.poll.WAITING_PREFIX).
_UNREACHABLE_WORDS = (
    "could not be reached",
    "unreachable",
    "connection refused",
    "connecterror",
    "connect error",
    "timed out",
    "timeout",
    "name or service not known",
    "could not resolve",
    "temporary failure in name resolution",
    "network is unreachable",
    "failed to connect",
    "unable to access",
    "cannot clone",
    "does not exist",
    "not a git repository",
)
_SOURCE_NAMES = {
    HUB_PUBLISHER: "Hub publisher",
    HUB_FIREHOSE: "Hub listing",
    RUNTIME_REPO: "runtime repository",
}


def problem_kind(kind: str, error: str | None) -> str:
    """The kind of problem a source's error is: ``hub-unreachable``, ``hub-rate-limit``, ``hub-not-found``,
    ``hub-error``, ``repo-unreachable``, ``scan-failed`` or ``other``. The banner groups by it
    (``source_problems``) and the log says a failing source again only when it changes (``record_failure``)."""
    text = (error or "").lower()
    if kind in (HUB_PUBLISHER, HUB_FIREHOSE):
        if "rate limit" in text:
            return "hub-rate-limit"
        if "does not exist on the hub" in text:
            return "hub-not-found"
        if any(word in text for word in _UNREACHABLE_WORDS):
            return "hub-unreachable"
        return "hub-error"
    if kind == RUNTIME_REPO:
        return "repo-unreachable" if any(word in text for word in _UNREACHABLE_WORDS) else "scan-failed"
    return "other"


def _failing_kind(state: SourceState) -> str | None:
    """The kind of problem ``state`` was failing with (None: it was not failing). A source only waiting for
    a cycle that stopped before it (never failed since its last success) is not failing."""
    if state.last_error is None or not state.consecutive_errors:
        return None
    return problem_kind(state.kind, state.last_error)


def process_owner() -> str:
    """This process's lease owner id: host, pid and a random part, drawn once per process (and again in
    a forked child), so two processes — or a restarted one that got the same pid — never share an id."""
    global _owner
    if _owner is None or _owner[0] != os.getpid():
        _owner = (os.getpid(), f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}")
    return _owner[1]


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


def ever_succeeded(session: Session, kind: str) -> set[str]:
    """Names of the sources of ``kind`` that have had at least one successful check."""
    return set(
        session.scalars(
            select(SourceState.name).where(SourceState.kind == kind, SourceState.last_success_at.is_not(None))
        )
    )


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


def release_all_leases(session: Session, owner: str) -> int:
    """Give back every lease ``owner`` holds (a process shutting down); returns how many. Commits."""
    result = session.execute(
        update(SourceState)
        .where(SourceState.lease_owner == owner)
        .values(lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount  # type: ignore[attr-defined,no-any-return]


def renew_lease(session: Session, kind: str, name: str, owner: str, expires_at: datetime) -> bool:
    """Extend our lease to ``expires_at``; False if it is no longer ours. Commits."""
    result = session.execute(
        update(SourceState)
        .where(SourceState.kind == kind, SourceState.name == name, SourceState.lease_owner == owner)
        .values(lease_expires_at=expires_at)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1  # type: ignore[attr-defined]


class _Renewer(threading.Thread):
    """Renews a held lease every ``ttl / RENEWALS_PER_TTL`` until stopped. Times follow the caller's
    ``now`` plus the time elapsed since (so an injected clock in tests stays consistent)."""

    def __init__(
        self, factory: sessionmaker[Session], kind: str, name: str, owner: str, now: datetime, ttl: timedelta
    ) -> None:
        super().__init__(name=f"lease-{kind}-{name}", daemon=True)
        self.factory, self.kind, self.source, self.owner = factory, kind, name, owner
        self.now, self.ttl = now, ttl
        self.started_at = time.monotonic()
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.ttl.total_seconds() / RENEWALS_PER_TTL):
            elapsed = timedelta(seconds=time.monotonic() - self.started_at)
            try:
                with session_scope(self.factory) as session:
                    if not renew_lease(
                        session, self.kind, self.source, self.owner, self.now + elapsed + self.ttl
                    ):
                        log.warning("lease on %s %s was lost while working", self.kind, self.source)
                        return
            except SQLAlchemyError as exc:  # a busy database: try again at the next tick
                log.warning("could not renew the lease on %s %s: %s", self.kind, self.source, exc)


@contextmanager
def lease(
    factory: sessionmaker[Session],
    kind: str,
    name: str,
    owner: str,
    now: datetime,
    ttl: timedelta = LEASE_TTL,
) -> Iterator[bool]:
    """Hold the lease on a source while the block runs: yields whether it was won (False: another live
    owner holds it, and the block should leave the source alone). A won lease is renewed in the background
    while the block runs and given back at the end, however the block ends. Acquiring, renewing and
    releasing commit in transactions of their own."""
    with session_scope(factory) as session:
        won = try_acquire_lease(session, kind, name, owner, now, ttl)
    if not won:
        yield False
        return
    renewer = _Renewer(factory, kind, name, owner, now, ttl)
    renewer.start()
    try:
        yield True
    finally:
        renewer.stopped.set()
        renewer.join()
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
    """Note a successful check; the caller commits together with the data it applied. A source that was
    failing is logged as working again, once."""
    if _failing_kind(state) is not None:
        log.info(
            "%s %s works again after %d failed attempt(s)",
            _SOURCE_NAMES.get(state.kind, state.kind), state.name, state.consecutive_errors,
        )  # fmt: skip
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
    """Note a failed check and when it will be retried; the caller commits.

    The log says it once per change of state — a source starting to fail, or failing with another kind of
    problem — not at every retry: twenty unreachable repositories retried every five minutes are twenty lines
    when they fail, not twenty more each cycle (the dashboard's banner shows them all the time)."""
    before, after = _failing_kind(state), problem_kind(state.kind, error)
    if before != after:
        log.warning(
            "%s %s %s (%s): %s; retrying at %s",
            _SOURCE_NAMES.get(state.kind, state.kind), state.name,
            "fails" if before is None else "now fails differently", after, error[:500],
            retry_at.strftime("%Y-%m-%d %H:%M UTC"),
        )  # fmt: skip
    state.last_checked_at = now
    state.last_error = error[:4000]
    state.last_error_at = now
    state.next_check_at = retry_at
    state.consecutive_errors = (state.consecutive_errors or 0) + 1


def record_waiting(session: Session, state: SourceState, reason: str, retry_at: datetime) -> None:
    """Note a source the cycle could not reach this time (it stopped first: the Hub unreachable, a rate
    limit) and when it will be tried. Not an attempt: the last check and the error count stay; the caller
    commits."""
    state.last_error = reason[:4000]
    state.next_check_at = retry_at


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

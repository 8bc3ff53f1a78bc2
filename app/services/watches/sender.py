"""Send due watch deliveries: claim one, POST it signed, log the attempt, schedule a retry or finish.

Several watcher processes may share the outbox: a process sends a delivery only after winning its claim
with one conditional UPDATE (pending, due, and not claimed by a live claim), so each delivery is sent by
one process. A claim outlives the longest attempt; one left by a process that died expires and the
delivery is sent again (receivers de-duplicate on ``delivery_id``). Failed attempts are retried with
exponential backoff until a day after the delivery was written.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db.session import session_scope
from app.domain.vocabulary import AttemptOutcome, DeliveryState
from app.metrics import WATCH_DELIVERY_ATTEMPTS
from app.models import Watch, WatchDelivery, WatchDeliveryAttempt
from app.services.operations import source_state
from app.sources.outbound import PostResult, post_json
from app.sources.outbound.client import TIMEOUT_SECONDS
from app.sources.outbound.guard import Resolver, system_resolver

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-LaunchGap-Signature"
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)
GIVE_UP_AFTER = timedelta(days=1)
# Longer than an attempt can take (connect, send, a capped read, each under the timeout), so a live
# sender never loses its claim mid-attempt.
CLAIM = timedelta(seconds=6 * TIMEOUT_SECONDS)


def signature(secret: str, body: bytes) -> str:
    """The ``X-LaunchGap-Signature`` value: ``sha256=`` and the hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def retry_delay(failed_attempts: int) -> timedelta:
    """1 min after the first failure, doubling each time, at most 6 h."""
    return min(FIRST_RETRY * 2 ** max(failed_attempts - 1, 0), LONGEST_RETRY)


def next_attempt_at(created_at: datetime, failed_attempts: int, now: datetime) -> datetime | None:
    """When to try again after ``failed_attempts`` failures, or None once a day has passed (give up).
    The last retry is made at the day's end rather than skipped."""
    deadline = created_at + GIVE_UP_AFTER
    if now >= deadline:
        return None
    return min(now + retry_delay(failed_attempts), deadline)


@dataclass(frozen=True)
class Claimed:
    """A delivery this process won, with what sending it needs."""

    pk: int
    delivery_id: str
    body: str
    url: str
    secret: str
    attempts: int
    created_at: datetime


class DeliverySender:
    """Sends the outbox's due deliveries; ``clock`` and ``resolver`` are injectable for tests."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        owner: str,
        allow_private: bool,
        clock: Callable[[], datetime],
        resolver: Resolver = system_resolver,
    ) -> None:
        self.factory = factory
        self.owner = owner
        self.allow_private = allow_private
        self.clock = clock
        self.resolver = resolver

    def due(self, session: Session, now: datetime, limit: int) -> list[int]:
        """Ids of deliveries due at ``now`` that no live claim holds, oldest due first."""
        return list(
            session.scalars(
                select(WatchDelivery.id)
                .where(
                    WatchDelivery.state == DeliveryState.PENDING,
                    WatchDelivery.next_attempt_at <= now,
                    _unclaimed(now),
                )
                .order_by(WatchDelivery.next_attempt_at, WatchDelivery.id)
                .limit(limit)
            )
        )

    def claim(self, pk: int) -> Claimed | None:
        """Win delivery ``pk`` for this process (committed), or None when another process has it or it is
        no longer due."""
        now = self.clock()
        with session_scope(self.factory) as session:
            won = session.execute(
                update(WatchDelivery)
                .where(
                    WatchDelivery.id == pk,
                    WatchDelivery.state == DeliveryState.PENDING,
                    WatchDelivery.next_attempt_at <= now,
                    _unclaimed(now),
                )
                .values(claimed_by=self.owner, claim_expires_at=now + CLAIM)
                .execution_options(synchronize_session=False)
            ).rowcount
            if won != 1:
                return None
            row = session.execute(
                select(
                    WatchDelivery.delivery_id,
                    WatchDelivery.body,
                    Watch.url,
                    Watch.secret,
                    WatchDelivery.attempts,
                    WatchDelivery.created_at,
                )
                .join(Watch, Watch.id == WatchDelivery.watch_id)
                .where(WatchDelivery.id == pk)
            ).one()
        return Claimed(pk, *row)

    def send(self, claimed: Claimed) -> PostResult:
        """One attempt: the signed POST, then its log entry and the delivery's next state (committed)."""
        body = claimed.body.encode()
        headers = {
            SIGNATURE_HEADER: signature(claimed.secret, body),
            "X-LaunchGap-Delivery": claimed.delivery_id,
        }
        started = self.clock()
        began = time.monotonic()
        result = post_json(
            claimed.url, body, headers, allow_private=self.allow_private, resolver=self.resolver
        )
        duration_ms = round((time.monotonic() - began) * 1000)
        self._record(claimed, result, started, duration_ms)
        WATCH_DELIVERY_ATTEMPTS.labels(outcome=result.outcome).inc()
        return result

    def _record(self, claimed: Claimed, result: PostResult, started: datetime, duration_ms: int) -> None:
        now = self.clock()
        number = claimed.attempts + 1
        values: dict[str, object] = {
            "attempts": number,
            "last_attempt_at": started,
            "claimed_by": None,
            "claim_expires_at": None,
        }
        if result.outcome == AttemptOutcome.DELIVERED:
            values.update(state=DeliveryState.DELIVERED, delivered_at=now, last_error=None)
            log.info("watch delivery %s delivered (HTTP %s)", claimed.delivery_id, result.status_code)
        else:
            retry = next_attempt_at(claimed.created_at, number, now)
            values["last_error"] = result.error
            if retry is None:
                values["state"] = DeliveryState.FAILED
                log.warning("watch delivery %s given up after %d attempts: %s", claimed.delivery_id, number,
                            result.error)  # fmt: skip
            else:
                values["next_attempt_at"] = retry
                log.info("watch delivery %s attempt %d %s (%s); next at %s", claimed.delivery_id, number,
                         result.outcome, result.error, retry.isoformat())  # fmt: skip
        with session_scope(self.factory) as session:
            updated = session.execute(
                update(WatchDelivery)
                .where(WatchDelivery.id == claimed.pk, WatchDelivery.claimed_by == self.owner)
                .values(**values)
                .execution_options(synchronize_session=False)
            ).rowcount
            if updated != 1:
                if session.get(WatchDelivery, claimed.pk) is None:
                    return  # the watch was deleted meanwhile: nothing left to log against
                log.warning("watch delivery %s: claim lost during the attempt", claimed.delivery_id)
            session.add(
                WatchDeliveryAttempt(
                    delivery_pk=claimed.pk,
                    number=number,
                    started_at=started,
                    duration_ms=duration_ms,
                    outcome=result.outcome,
                    status_code=result.status_code,
                    error=result.error,
                    response_excerpt=result.excerpt,
                    sender=self.owner,
                )
            )

    def run_once(self, *, limit: int = 100, should_stop: Callable[[], bool] = lambda: False) -> int:
        """Send what is due now (up to ``limit`` deliveries, each claimed just before it is sent); returns
        how many attempts this process made."""
        with self.factory() as session:
            candidates = self.due(session, self.clock(), limit)
        sent = 0
        for pk in candidates:
            if should_stop():
                break
            claimed = self.claim(pk)
            if claimed is None:
                continue
            self.send(claimed)
            sent += 1
        return sent


def _unclaimed(now: datetime):  # type: ignore[no-untyped-def]
    return or_(WatchDelivery.claim_expires_at.is_(None), WatchDelivery.claim_expires_at <= now)


def run_sender(
    factory: sessionmaker[Session],
    settings: Settings,
    *,
    once: bool,
    stop: threading.Event,
    clock: Callable[[], datetime],
) -> int:
    """Send due deliveries from this process (``launchgap watch deliveries``): with ``once``, until nothing
    is due, else until ``stop`` is set, looking every ``watch_send_interval_seconds``. Returns the attempts
    made."""
    sender = DeliverySender(
        factory,
        owner=source_state.process_owner(),
        allow_private=settings.webhook_allow_private,
        clock=clock,
    )
    attempts = 0
    log.info("watch delivery sender started (%s)", sender.owner)
    while not stop.is_set():
        try:
            made = sender.run_once(should_stop=stop.is_set)
        except SQLAlchemyError:
            if once:
                raise
            # The database is away or locked: the outbox keeps everything; look again next time.
            log.exception("watch delivery sender: database error; retrying")
            made = 0
        attempts += made
        if once and made == 0:
            break
        if made == 0:
            stop.wait(settings.watch_send_interval_seconds)
    return attempts

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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import Update, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db.session import session_scope
from app.domain.text import storable
from app.domain.vocabulary import AttemptOutcome, DeliveryState
from app.metrics import WATCH_DELIVERY_ATTEMPTS
from app.models import ApiToken, Watch, WatchDelivery, WatchDeliveryAttempt
from app.services.operations import source_state
from app.sources.outbound.client import TIMEOUT_SECONDS, PostResult, post_json
from app.sources.outbound.guard import Resolver, system_resolver

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-LaunchGap-Signature"
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)
GIVE_UP_AFTER = timedelta(days=1)
# Longer than an attempt can take (connect, send, a capped read, each under the timeout), so a live
# sender never loses its claim mid-attempt.
CLAIM = timedelta(seconds=6 * TIMEOUT_SECONDS)
SEND_LANES = 4
"""Receivers sent to at once by one process: one slow receiver delays only its own deliveries."""


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
    """Sends the outbox's due deliveries; ``clock``, ``resolver`` and the per-attempt ``timeout`` (a total
    deadline) are injectable for tests."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        owner: str,
        allow_private: bool,
        clock: Callable[[], datetime],
        resolver: Resolver = system_resolver,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self.factory = factory
        self.timeout = timeout
        self.owner = owner
        self.allow_private = allow_private
        self.clock = clock
        self.resolver = resolver

    def due(self, session: Session, now: datetime, limit: int) -> list[tuple[int, str]]:
        """Ids and receiver URLs of deliveries due at ``now`` that no live claim holds and whose watch's
        token is live, oldest due first."""
        return [
            (pk, url)
            for pk, url in session.execute(
                select(WatchDelivery.id, Watch.url)
                .join(Watch, Watch.id == WatchDelivery.watch_id)
                .join(ApiToken, ApiToken.id == Watch.token_id)
                .where(
                    WatchDelivery.state == DeliveryState.PENDING,
                    WatchDelivery.next_attempt_at <= now,
                    _unclaimed(now),
                    ApiToken.revoked_at.is_(None),
                )
                .order_by(WatchDelivery.next_attempt_at, WatchDelivery.id)
                .limit(limit)
            )
        ]

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
                    # A watch whose token was revoked meanwhile sends nothing more.
                    WatchDelivery.watch_id.in_(_live_watches()),
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
            claimed.url,
            body,
            headers,
            allow_private=self.allow_private,
            resolver=self.resolver,
            timeout=self.timeout,
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
            values["last_error"] = storable(result.error)
            if retry is None:
                values["state"] = DeliveryState.FAILED
                log.warning("watch delivery %s given up after %d attempts: %s", claimed.delivery_id, number,
                            result.error)  # fmt: skip
            else:
                values["next_attempt_at"] = retry
                log.info("watch delivery %s attempt %d %s (%s); next at %s", claimed.delivery_id, number,
                         result.outcome, result.error, retry.isoformat())  # fmt: skip
        try:
            self._store_attempt(claimed, number, values, result, started, duration_ms)
        except SQLAlchemyError as exc:
            # Whatever the attempt brought back must not keep the delivery from backing off: without this
            # the claim would simply expire and the delivery be resent every minute, for ever.
            log.exception("watch delivery %s: recording attempt %d failed", claimed.delivery_id, number)
            if result.outcome != AttemptOutcome.DELIVERED:
                values["last_error"] = (
                    f"recording the attempt failed ({type(exc).__name__}): {values['last_error']}"
                )
            with session_scope(self.factory) as session:
                session.execute(self._settle(claimed, values))

    def _settle(self, claimed: Claimed, values: dict[str, object]) -> Update:
        """The update that writes an attempt's outcome to the delivery, while this process still holds it."""
        return (
            update(WatchDelivery)
            .where(WatchDelivery.id == claimed.pk, WatchDelivery.claimed_by == self.owner)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    def _store_attempt(
        self,
        claimed: Claimed,
        number: int,
        values: dict[str, object],
        result: PostResult,
        started: datetime,
        duration_ms: int,
    ) -> None:
        with session_scope(self.factory) as session:
            updated = session.execute(self._settle(claimed, values)).rowcount
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
                    error=storable(result.error),
                    response_excerpt=storable(result.excerpt),
                    sender=self.owner,
                )
            )

    def run_once(self, *, limit: int = 100, should_stop: Callable[[], bool] = lambda: False) -> int:
        """Send what is due now (up to ``limit`` deliveries, each claimed just before it is sent); returns
        how many attempts this process made.

        Each receiver gets a lane of its own (up to ``SEND_LANES`` at once), so a slow or unreachable
        receiver holds up only its own deliveries; a receiver that could not be reached (no answer within
        the deadline) is left for the next run after one attempt instead of costing a deadline per delivery.
        """
        with self.factory() as session:
            candidates = self.due(session, self.clock(), limit)
        lanes: dict[str, list[int]] = {}
        for pk, url in candidates:
            lanes.setdefault(receiver_of(url), []).append(pk)

        def run_lane(pks: list[int]) -> int:
            made = 0
            for pk in pks:
                if should_stop():
                    break
                claimed = self.claim(pk)
                if claimed is None:
                    continue
                result = self.send(claimed)
                made += 1
                if result.outcome != AttemptOutcome.DELIVERED and result.status_code is None:
                    break  # no answer at all: its other deliveries wait for the next run
            return made

        if len(lanes) <= 1:
            return sum(run_lane(pks) for pks in lanes.values())
        with ThreadPoolExecutor(min(SEND_LANES, len(lanes)), thread_name_prefix="launchgap-send") as pool:
            return sum(pool.map(run_lane, lanes.values()))


def receiver_of(url: str) -> str:
    """The lane a watch URL is sent in: its scheme, host and port (case-insensitive)."""
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{parts.scheme.lower()}://{(parts.hostname or '').lower()}:{port or ''}"


def _live_watches():  # type: ignore[no-untyped-def]
    return select(Watch.id).join(ApiToken, ApiToken.id == Watch.token_id).where(ApiToken.revoked_at.is_(None))


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

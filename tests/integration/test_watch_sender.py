"""The delivery sender against a receiver on 127.0.0.1: retries with an injected clock, restarts, claims,
giving up after a day, the address re-checked at each delivery; and two real processes on PostgreSQL."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.db.migrate import upgrade
from app.db.session import create_db_engine, session_factory, session_scope
from app.models import WatchDelivery, WatchDeliveryAttempt
from app.services.tokens import create_token
from app.services.watches.manage import WatchFilter, create_watch
from app.services.watches.sender import CLAIM, DeliverySender, signature

from ..conftest import ScratchDatabases
from ..support.receiver import receiver

T0 = datetime(2026, 4, 24, 12, 0, tzinfo=UTC)
SECRET = "receiver-secret-0123"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def engine(fresh_database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(fresh_database_url)
    yield engine
    engine.dispose()


def _watch(factory: sessionmaker[Session], url: str) -> int:
    with session_scope(factory) as session:
        token, _ = create_token(session, f"t-{uuid.uuid4().hex[:6]}", now=T0)
        return create_watch(
            session, token_id=token.id, url=url, secret=SECRET, watch_filter=WatchFilter(), now=T0,
            allow_private=True,
        ).id  # fmt: skip


def _owe(factory: sessionmaker[Session], watch_id: int, count: int = 1, at: datetime = T0) -> list[str]:
    """Outbox rows as the refresh writes them (body fixed, due at once)."""
    ids = []
    with session_scope(factory) as session:
        for n in range(count):
            delivery_id = str(uuid.uuid4())
            body = json.dumps({"watch_id": watch_id, "delivery_id": delivery_id, "gap": {"n": n}})
            session.add(
                WatchDelivery(
                    delivery_id=delivery_id, watch_id=watch_id, dedupe_key=uuid.uuid4().hex, body=body,
                    state="pending", created_at=at, next_attempt_at=at, attempts=0,
                )
            )  # fmt: skip
            ids.append(delivery_id)
    return ids


def _delivery(
    factory: sessionmaker[Session], delivery_id: str
) -> tuple[WatchDelivery, list[WatchDeliveryAttempt]]:
    with factory() as session:
        row = session.scalars(select(WatchDelivery).where(WatchDelivery.delivery_id == delivery_id)).one()
        attempts = list(
            session.scalars(
                select(WatchDeliveryAttempt)
                .where(WatchDeliveryAttempt.delivery_pk == row.id)
                .order_by(WatchDeliveryAttempt.number)
            )
        )
        return row, attempts


def test_retry_after_500_survives_a_restart(engine: Engine) -> None:
    clock = Clock(T0)
    with receiver([500, 200]) as rec:
        factory = session_factory(engine)
        [delivery_id] = _owe(factory, _watch(factory, rec.url))
        first = DeliverySender(factory, owner="process-1", allow_private=True, clock=clock)
        assert first.run_once() == 1
        row, attempts = _delivery(factory, delivery_id)
        assert (row.state, row.attempts, row.last_error) == ("pending", 1, "HTTP 500")
        assert row.next_attempt_at == T0 + timedelta(minutes=1) and row.claimed_by is None
        assert [(a.outcome, a.status_code, a.sender) for a in attempts] == [("failed", 500, "process-1")]
        assert first.run_once() == 0  # not due yet

        # The process stops mid-retry; another starts on a new engine: the outbox still owes the delivery.
        engine.dispose()
        restarted = create_db_engine(str(engine.url.render_as_string(hide_password=False)))
        factory = session_factory(restarted)
        second = DeliverySender(factory, owner="process-2", allow_private=True, clock=clock)
        clock.advance(timedelta(seconds=59))
        assert second.run_once() == 0
        clock.advance(timedelta(seconds=1))
        assert second.run_once() == 1
        row, attempts = _delivery(factory, delivery_id)
        restarted.dispose()
    assert (row.state, row.attempts, row.delivered_at, row.last_error) == ("delivered", 2, clock(), None)
    assert [(a.number, a.outcome, a.status_code, a.sender) for a in attempts] == [
        (1, "failed", 500, "process-1"),
        (2, "delivered", 200, "process-2"),
    ]
    # Both attempts sent the same bytes with the same signature.
    assert len(rec.received) == 2 and rec.received[0].body == rec.received[1].body
    body = rec.received[0].body
    assert json.loads(body)["delivery_id"] == delivery_id
    assert all(r.headers["x-launchgap-signature"] == signature(SECRET, body) for r in rec.received)


def test_a_claim_left_by_a_dead_process_expires(engine: Engine) -> None:
    clock = Clock(T0)
    factory = session_factory(engine)
    with receiver() as rec:
        [delivery_id] = _owe(factory, _watch(factory, rec.url))
        dead = DeliverySender(factory, owner="dead", allow_private=True, clock=clock)
        pk = _delivery(factory, delivery_id)[0].id
        assert dead.claim(pk) is not None  # won, then the process died before sending
        alive = DeliverySender(factory, owner="alive", allow_private=True, clock=clock)
        assert alive.claim(pk) is None and alive.run_once() == 0
        clock.advance(CLAIM)
        assert alive.run_once() == 1
    row, attempts = _delivery(factory, delivery_id)
    assert row.state == "delivered" and [a.sender for a in attempts] == ["alive"] and len(rec.received) == 1


def test_backoff_doubles_and_gives_up_after_a_day(engine: Engine) -> None:
    clock = Clock(T0)
    factory = session_factory(engine)
    with receiver([503]) as rec:
        [delivery_id] = _owe(factory, _watch(factory, rec.url))
        sender = DeliverySender(factory, owner="p", allow_private=True, clock=clock)
        while True:
            assert sender.run_once() == 1
            row, _ = _delivery(factory, delivery_id)
            if row.state != "pending":
                break
            clock.now = row.next_attempt_at
    row, attempts = _delivery(factory, delivery_id)
    gaps = [(b.started_at - a.started_at) / timedelta(minutes=1) for a, b in itertools.pairwise(attempts)]
    # 1, 2, 4 … 256 minutes, then at most 6 h, and a last attempt when the day is over.
    assert gaps == [1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360, 209]
    assert attempts[-1].started_at == T0 + timedelta(days=1)
    assert row.state == "failed" and row.attempts == 13 == len(rec.received)
    assert sender.run_once() == 0


def test_the_address_is_checked_again_at_each_delivery(engine: Engine) -> None:
    """A watch created while private receivers were allowed (or whose name now resolves elsewhere) is not
    called once the guard says no; the attempt is logged as refused and retried later."""
    clock = Clock(T0)
    factory = session_factory(engine)
    with receiver() as rec:
        by_literal = _owe(factory, _watch(factory, rec.url))[0]
        by_name = _owe(factory, _watch(factory, rec.url.replace("127.0.0.1", "localhost")))[0]
        sender = DeliverySender(factory, owner="p", allow_private=False, clock=clock)
        assert sender.run_once() == 2
    assert rec.received == []
    for delivery_id, shown in (
        (by_literal, "127.0.0.1 is a loopback"),
        (by_name, "the address of localhost is not allowed"),
    ):
        row, [attempt] = _delivery(factory, delivery_id)
        assert (row.state, attempt.outcome, attempt.status_code) == ("pending", "refused", None)
        assert shown in (attempt.error or "") and row.next_attempt_at == T0 + timedelta(minutes=1)


def test_redirects_are_not_followed_and_answers_are_read_only_a_few_kb(engine: Engine) -> None:
    clock = Clock(T0)
    factory = session_factory(engine)
    with receiver([307], answer=b"x" * 100_000) as rec:
        [delivery_id] = _owe(factory, _watch(factory, rec.url))
        DeliverySender(factory, owner="p", allow_private=True, clock=clock).run_once()
    _row, [attempt] = _delivery(factory, delivery_id)
    assert len(rec.received) == 1 and (attempt.outcome, attempt.status_code) == ("failed", 307)
    assert "not followed" in (attempt.error or "") and len(attempt.response_excerpt or "") == 4096


def test_a_deleted_watch_is_not_called(engine: Engine) -> None:
    clock = Clock(T0)
    factory = session_factory(engine)
    with receiver() as rec:
        watch_id = _watch(factory, rec.url)
        _owe(factory, watch_id, 3)
        from app.models import Watch

        with session_scope(factory) as session:
            session.delete(session.get(Watch, watch_id))
        assert DeliverySender(factory, owner="p", allow_private=True, clock=clock).run_once() == 0
    assert rec.received == []


@pytest.fixture
def postgres_url(scratch_databases: ScratchDatabases) -> str:
    url = scratch_databases.new_url("postgresql")
    upgrade(url)
    return url


def test_two_watcher_processes_send_each_delivery_once(postgres_url: str) -> None:
    """Two real `launchgap watch deliveries` processes share one PostgreSQL outbox."""
    engine = create_db_engine(postgres_url)
    factory = session_factory(engine)
    processes: list[subprocess.Popen[str]] = []
    drains: list[threading.Thread] = []
    try:
        with receiver(delay=0.02) as rec:
            watch_id = _watch(factory, rec.url)
            # Owed, but not due until both processes are up and looking: then they race for every one.
            far = datetime.now(UTC) + timedelta(days=1)
            owed = set(_owe(factory, watch_id, 60, at=far))
            env = {
                **os.environ,
                "LAUNCHGAP_DATABASE_URL": postgres_url,
                "LAUNCHGAP_WEBHOOK_ALLOW_PRIVATE": "true",
                "LAUNCHGAP_WATCH_SEND_INTERVAL_SECONDS": "0.1",
                "LAUNCHGAP_LOG_LEVEL": "INFO",
            }
            for _ in range(2):
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "app", "watch", "deliveries"],
                        env=env,
                        stderr=subprocess.PIPE,
                        text=True,
                    )
                )
            for process in processes:
                _wait_for_line(process, "watch delivery sender started")
                # Keep reading its log so a full pipe never blocks it.
                drains.append(threading.Thread(target=process.stderr.read, daemon=True))  # type: ignore[union-attr]
                drains[-1].start()
            with session_scope(factory) as session:
                session.execute(
                    update(WatchDelivery).values(next_attempt_at=datetime.now(UTC) - timedelta(days=2))
                )
            _wait_until_delivered(factory, len(owed))
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)
        for drain in drains:
            drain.join(timeout=10)
        for process in processes:
            process.stderr.close()  # type: ignore[union-attr]
    with factory() as session:
        attempts = session.execute(
            select(WatchDelivery.delivery_id, WatchDeliveryAttempt.sender).join(
                WatchDelivery, WatchDelivery.id == WatchDeliveryAttempt.delivery_pk
            )
        ).all()
    engine.dispose()
    received = [r.json()["delivery_id"] for r in rec.received]
    assert sorted(received) == sorted(owed)  # every delivery, each exactly once
    assert sorted(d for d, _ in attempts) == sorted(owed)
    assert len({sender for _, sender in attempts}) == 2  # and both processes really took part
    assert all(p.returncode == 0 for p in processes)


def _wait_for_line(process: subprocess.Popen[str], text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    assert process.stderr is not None
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if text in line:
            return
        if not line and process.poll() is not None:
            raise AssertionError(f"sender exited early with {process.returncode}")
    raise AssertionError(f"no {text!r} within {timeout}s")


def _wait_until_delivered(factory: sessionmaker[Session], count: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with factory() as session:
            done = session.scalars(select(WatchDelivery.id).where(WatchDelivery.state == "delivered")).all()
        if len(done) == count:
            return
        time.sleep(0.2)
    raise AssertionError(f"only {len(done)} of {count} delivered within {timeout}s")

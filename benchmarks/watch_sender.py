"""Watch delivery sender benchmark (prints figures; not part of the test run).

Writes DELIVERIES outbox rows for one watch whose receiver runs on 127.0.0.1 (answering 200 at once), then
sends them with 1 and with 2 senders (threads of this process, each with its own engine, as two processes
would), and prints deliveries per second, the receiver's count (each delivery exactly once) and the p50 /
p95 of one attempt (claim, signed POST, log). On a fresh SQLite file and, when a PostgreSQL server is named
(option or LAUNCHGAP_TEST_POSTGRES_URL), on a scratch database created and dropped around the run.

    .venv/bin/python -m benchmarks.watch_sender [--deliveries 500] [--postgres postgresql+psycopg://…] [--no-sqlite]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from app.db.migrate import upgrade
from app.db.session import create_db_engine, session_factory, session_scope
from app.models import WatchDelivery, WatchDeliveryAttempt
from app.services.tokens import create_token
from app.services.watches.manage import WatchFilter, create_watch
from app.services.watches.sender import DeliverySender
from tests.support.receiver import receiver


def _run(url: str, deliveries: int, senders: int) -> None:
    upgrade(url)
    engine = create_db_engine(url)
    factory = session_factory(engine)
    now = datetime.now(UTC)
    with receiver() as rec:
        with session_scope(factory) as session:
            token, _ = create_token(session, f"bench-{uuid.uuid4().hex[:6]}", now=now)
            watch = create_watch(
                session, token_id=token.id, url=rec.url, secret="benchmark-secret-123",
                watch_filter=WatchFilter(), now=now, allow_private=True,
            )  # fmt: skip
            rows = []
            for n in range(deliveries):
                delivery_id = str(uuid.uuid4())
                rows.append(
                    {
                        "delivery_id": delivery_id, "watch_id": watch.id, "dedupe_key": uuid.uuid4().hex,
                        "body": json.dumps({"watch_id": watch.id, "delivery_id": delivery_id, "gap": {"n": n}}),
                        "state": "pending", "created_at": now, "next_attempt_at": now, "attempts": 0,
                    }
                )  # fmt: skip
            session.execute(insert(WatchDelivery), rows)
        engines = [create_db_engine(url) for _ in range(senders)]

        def work(index: int) -> None:
            sender = DeliverySender(
                session_factory(engines[index]), owner=f"bench-{index}", allow_private=True,
                clock=lambda: datetime.now(UTC),
            )  # fmt: skip
            while sender.run_once():
                pass

        started = time.perf_counter()
        threads = [threading.Thread(target=work, args=(i,)) for i in range(senders)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        for extra in engines:
            extra.dispose()
    with factory() as session:
        durations = list(session.scalars(select(WatchDeliveryAttempt.duration_ms)))
        by_sender = dict(
            session.execute(
                text("SELECT sender, count(*) FROM watch_delivery_attempts GROUP BY sender ORDER BY sender")
            ).all()
        )
    engine.dispose()
    ids = [r.json()["delivery_id"] for r in rec.received]
    quantiles = statistics.quantiles(durations, n=20)
    print(
        f"  {senders} sender(s): {deliveries} deliveries in {seconds:.2f} s = {deliveries / seconds:.0f}/s; "
        f"received {len(ids)} ({len(set(ids))} distinct); per sender {by_sender}; "
        f"POST p50 {statistics.median(durations):.0f} ms, p95 {quantiles[18]:.0f} ms"
    )


def _postgres_scratch(admin_url: str) -> tuple[str, object]:
    name = f"launchgap_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=500)
    parser.add_argument("--postgres", default=os.environ.get("LAUNCHGAP_TEST_POSTGRES_URL"))
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    if not args.no_sqlite:
        print("SQLite")
        for senders in (1, 2):
            with tempfile.TemporaryDirectory() as tmp:
                _run(f"sqlite:///{tmp}/bench.db", args.deliveries, senders)
    if args.postgres:
        print("PostgreSQL")
        for senders in (1, 2):
            url, drop = _postgres_scratch(args.postgres)
            try:
                _run(url, args.deliveries, senders)
            finally:
                drop()  # type: ignore[operator]


if __name__ == "__main__":
    main()

"""Hub watcher benchmarks against the fake Hub on 127.0.0.1 (prints figures; not part of the test run).

1. Requests per cycle with no changes, against the minimum (one request per page of each publisher's
   listing, pages as large as the Hub serves): the ratio should be 1.0.
2. Time of one cycle over PUBLISHERS × MODELS (default 40 × 500): the first cycle (everything new) and a
   second cycle (no changes), on a fresh SQLite database and, when a PostgreSQL server is named (option
   or LAUNCHGAP_TEST_POSTGRES_URL), on a scratch PostgreSQL database created and dropped around the run.
   Goal: under 10 s.

    .venv/bin/python -m benchmarks.hub_cycle [--publishers 40] [--models 500] [--page-size 1000]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from app.db.migrate import upgrade
from app.db.session import create_db_engine, session_factory
from app.services.hub.poll import poll_publishers
from app.sources.hub.budget import RequestBudget
from app.sources.hub.client import HubClient
from tests.fakes.fake_hub import FakeHub

BASE = datetime(2024, 1, 1, tzinfo=UTC)


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{Path(tmp) / 'bench.db'}"


@contextmanager
def postgres_url(server_url: str) -> Iterator[str]:
    """A scratch database on ``server_url``'s server, dropped afterwards."""
    name = f"launchgap_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(label: str, url: str, hub: FakeHub, orgs: list[str], models: int, page_size: int) -> None:
    upgrade(url)
    engine = create_db_engine(url)
    factory = session_factory(engine)
    minimum = sum(max(1, math.ceil(models / page_size)) for _ in orgs)
    with HubClient(hub.url, None, 30.0, budget=RequestBudget(100_000)) as client:
        t0 = time.perf_counter()
        first = poll_publishers(factory, client, orgs, BASE + timedelta(days=900))
        t1 = time.perf_counter()
        second = poll_publishers(factory, client, orgs, BASE + timedelta(days=900, minutes=15))
        t2 = time.perf_counter()
    engine.dispose()
    assert first.ok and second.ok, (first.failed, second.failed)
    total = len(orgs) * models
    print(
        f"[{label}] first cycle (all {total} new): {t1 - t0:.2f} s, {first.requests} requests, "
        f"{first.new_models} models stored"
    )
    print(f"[{label}] second cycle (no changes): {t2 - t1:.2f} s, {second.requests} requests")
    print(
        f"[{label}] requests per no-change cycle: {second.requests} / minimum {minimum} = "
        f"ratio {second.requests / minimum:.2f} (target 1.0)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--publishers", type=int, default=40)
    parser.add_argument("--models", type=int, default=500)
    parser.add_argument("--page-size", type=int, default=1000, help="largest page the fake Hub serves")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("LAUNCHGAP_TEST_POSTGRES_URL"),
        help="a PostgreSQL server URL to run on too (a scratch database is created and dropped)",
    )
    args = parser.parse_args()

    orgs = [f"org-{i:02d}" for i in range(args.publishers)]
    print(f"publishers={args.publishers} models/publisher={args.models} page_size={args.page_size}")
    with FakeHub(page_size=args.page_size) as hub:
        for i, org in enumerate(orgs):
            for j in range(args.models):
                hub.add_model(
                    org,
                    f"Model-{j}",
                    architectures=[f"Arch{i}x{j % 7}ForCausalLM"],
                    model_type=f"arch{i}_{j % 7}",
                    created_at=BASE + timedelta(hours=i * 1000 + j),
                    parameters=1_000_000 * (j + 1),
                )
        with sqlite_url() as url:
            run("sqlite", url, hub, orgs, args.models, args.page_size)
        if args.postgres:
            with postgres_url(args.postgres) as url:
                run("postgresql", url, hub, orgs, args.models, args.page_size)
        else:
            print("[postgresql] skipped: pass --postgres URL or set LAUNCHGAP_TEST_POSTGRES_URL")


if __name__ == "__main__":
    main()

"""Hub watcher benchmarks against the fake Hub on 127.0.0.1 (prints figures; not part of the test run).

1. Requests per cycle with no changes, against the minimum (one request per page of each publisher's
   listing, pages as large as the Hub serves): the ratio should be 1.0.
2. Time of one cycle over PUBLISHERS × MODELS (default 40 × 500) on a fresh SQLite database: first cycle
   (everything new) and a second cycle (no changes). Goal: under 10 s.

    .venv/bin/python -m benchmarks.hub_cycle [--publishers 40] [--models 500] [--page-size 1000]
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.db.migrate import upgrade
from app.db.session import create_db_engine, session_factory
from app.services.hub_watch import poll_publishers
from app.sources.hub.budget import RequestBudget
from app.sources.hub.client import HubClient
from tests.fakes.fake_hub import FakeHub


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--publishers", type=int, default=40)
    parser.add_argument("--models", type=int, default=500)
    parser.add_argument("--page-size", type=int, default=1000, help="largest page the fake Hub serves")
    args = parser.parse_args()

    base = datetime(2024, 1, 1, tzinfo=UTC)
    orgs = [f"org-{i:02d}" for i in range(args.publishers)]
    with FakeHub(page_size=args.page_size) as hub, tempfile.TemporaryDirectory() as tmp:
        for i, org in enumerate(orgs):
            for j in range(args.models):
                hub.add_model(
                    org,
                    f"Model-{j}",
                    architectures=[f"Arch{i}x{j % 7}ForCausalLM"],
                    model_type=f"arch{i}_{j % 7}",
                    created_at=base + timedelta(hours=i * 1000 + j),
                    parameters=1_000_000 * (j + 1),
                )
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        engine = create_db_engine(url)
        factory = session_factory(engine)
        minimum = sum(max(1, math.ceil(args.models / args.page_size)) for _ in orgs)
        with HubClient(hub.url, None, 30.0, budget=RequestBudget(100_000)) as client:
            t0 = time.perf_counter()
            first = poll_publishers(factory, client, orgs, base + timedelta(days=900))
            t1 = time.perf_counter()
            second = poll_publishers(factory, client, orgs, base + timedelta(days=900, minutes=15))
            t2 = time.perf_counter()
        engine.dispose()
        assert first.ok and second.ok, (first.failed, second.failed)
        total = args.publishers * args.models
        print(f"publishers={args.publishers} models/publisher={args.models} page_size={args.page_size}")
        print(
            f"first cycle (all {total} new): {t1 - t0:.2f} s, {first.requests} requests, "
            f"{first.new_models} models stored"
        )
        print(f"second cycle (no changes): {t2 - t1:.2f} s, {second.requests} requests")
        print(
            f"requests per no-change cycle: {second.requests} / minimum {minimum} = "
            f"ratio {second.requests / minimum:.2f} (target 1.0)"
        )


if __name__ == "__main__":
    main()

"""Hub firehose benchmark against the fake Hub on 127.0.0.1 (prints figures; not part of the test run).

A Hub that creates ``--per-day`` repositories a day (default 20,000; plus as many modifications of older
repositories) is simulated for ``--hours`` (default 6) of cycles every ``--interval`` seconds (default 300):
before each cycle the repositories created (and modified) since the last one are added to the fake Hub,
then one firehose cycle runs with a simulated clock. The mix: 60 % derivatives (a third of them of a stored
release), 37 % uploads of known architectures by unknown users, the rest originals of watched publishers,
and one new architecture from an unknown lab every two hours.

Figures printed:
1. requests per cycle and per day (two listings, pages of ``--page-size``), against the budget;
2. the cycle's wall time and how far behind the newest repository the watcher runs: a repository created
   just after a cycle's read waits for the next one, so the worst lag is the interval plus the cycle's
   duration (target: under 10 minutes);
3. the first run's backfill over ``--backfill-days`` (default 1) of that Hub: pages, requests, wall time,
   and the 90-day figure extrapolated.

    .venv/bin/python -m benchmarks.firehose [--per-day 20000] [--hours 6] [--interval 300] [--page-size 1000]
        [--backfill-days 1] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from app.db.migrate import upgrade
from app.db.session import create_db_engine, session_factory, session_scope
from app.services.hub.firehose import read_firehose
from app.services.releases.publishers import sync_publishers
from app.sources.hub.budget import RequestBudget
from app.sources.hub.client import HubClient
from benchmarks.hub_cycle import postgres_url, sqlite_url
from tests.fakes.fake_hub import FakeHub

START = datetime(2026, 11, 1, tzinfo=UTC)
WATCHED = ["meta-llama", "Qwen", "mistralai", "google", "deepseek-ai"]
KNOWN = [("LlamaForCausalLM", "llama"), ("Qwen2ForCausalLM", "qwen2"), ("MistralForCausalLM", "mistral")]


class Population:
    """Adds the repositories a Hub creates between two times to the fake Hub, deterministically."""

    def __init__(self, hub: FakeHub, per_day: int, seed: int = 26) -> None:
        self.hub = hub
        self.gap = timedelta(days=1) / per_day
        self.rng = random.Random(seed)
        self.count = 0
        self.bases: list[str] = []
        self.next_new_arch = START

    def add_until(self, start: datetime, end: datetime) -> int:
        at = start + self.gap
        added = 0
        while at <= end:
            self._one(at)
            added += 1
            at += self.gap
        return added

    def _one(self, at: datetime) -> None:
        self.count += 1
        n, roll = self.count, self.rng.random()
        if at >= self.next_new_arch:
            self.next_new_arch = at + timedelta(hours=2)
            lab = f"newlab{n}"
            self.hub.add_model(
                lab, "Nova", architectures=[f"Nova{n}ForCausalLM"], model_type=f"nova{n}", created_at=at
            )
            self.bases.append(f"{lab}/Nova")
        elif roll < 0.03:
            arch, model_type = KNOWN[n % len(KNOWN)]
            org = WATCHED[n % len(WATCHED)]
            self.hub.add_model(org, f"model-{n}", architectures=[arch], model_type=model_type, created_at=at)
            self.bases.append(f"{org}/model-{n}")
        elif roll < 0.40:
            arch, model_type = KNOWN[n % len(KNOWN)]
            self.hub.add_model(
                f"user{n}", f"upload-{n}", architectures=[arch], model_type=model_type, created_at=at
            )
        else:
            base = (
                self.rng.choice(self.bases)
                if self.bases and self.rng.random() < 1 / 3
                else f"someone/unknown-{n % 500}"
            )
            relation = self.rng.choice(["finetune", "quantized", "adapter"])
            self.hub.add_model(f"user{n}", f"ft-{n}", created_at=at, base_models=[(relation, base)])

    def modify(self, at: datetime, how_many: int) -> None:
        """``how_many`` older repositories get a new ``lastModified`` (pushed to) at ``at``."""
        with self.hub._lock:
            models = list(self.hub.models.values())
        for model in self.rng.sample(models, min(how_many, len(models))):
            model.last_modified = at


def simulate(label: str, url: str, per_day: int, hours: float, interval: int, page_size: int) -> None:
    upgrade(url)
    engine = create_db_engine(url)
    factory = session_factory(engine)
    with session_scope(factory) as session:
        sync_publishers(session, None)
    with FakeHub(page_size=page_size) as hub:
        population = Population(hub, per_day)
        population.add_until(START - timedelta(hours=1), START)
        budget = RequestBudget(100_000)
        step = timedelta(seconds=interval)
        now = START
        with HubClient(hub.url, None, 30.0, budget=budget, page_size=page_size) as client:
            read_firehose(factory, client, now, backfill=timedelta(hours=1), interval=step)  # the cursors
            cycles: list[tuple[int, float, int]] = []
            releases = derivatives = 0
            for _ in range(int(hours * 3600 / interval)):
                created = population.add_until(now, now + step)
                population.modify(now + step, created)  # as many pushes to older repos as creations
                now += step
                before = client.requests_sent
                t0 = time.perf_counter()
                report = read_firehose(factory, client, now, backfill=timedelta(hours=1), interval=step)
                cycles.append((client.requests_sent - before, time.perf_counter() - t0, created))
                assert all(r.status == "ok" for r in report.results), report.results
                releases += len(report.releases)
                derivatives += sum(r.derivatives for r in report.results)
    engine.dispose()
    per_cycle = statistics.mean(c[0] for c in cycles)
    walls = sorted(c[1] for c in cycles)
    worst = walls[-1]
    per_day_requests = per_cycle * 86400 / interval
    print(
        f"[{label}] {len(cycles)} cycles every {interval}s, {statistics.mean(c[2] for c in cycles):.0f} repos created per cycle"
    )
    print(
        f"[{label}] requests: {per_cycle:.2f} per cycle (2 listings, pages of {page_size}) = "
        f"{per_day_requests:.0f} per day = {per_cycle * 300 / interval:.1f} per 5-minute window"
    )
    print(
        f"[{label}] cycle wall time: median {statistics.median(walls):.2f} s, worst {worst:.2f} s; "
        f"worst lag behind the newest repo = interval + cycle = {(interval + worst) / 60:.1f} min"
    )
    print(f"[{label}] new releases found: {releases}, derivatives counted: {derivatives}")


def backfill(label: str, url: str, per_day: int, days: float, page_size: int) -> None:
    upgrade(url)
    engine = create_db_engine(url)
    factory = session_factory(engine)
    with session_scope(factory) as session:
        sync_publishers(session, None)
    with FakeHub(page_size=page_size) as hub:
        now = START + timedelta(days=days)
        Population(hub, per_day).add_until(START, now)
        with HubClient(hub.url, None, 60.0, budget=RequestBudget(100_000), page_size=page_size) as client:
            t0 = time.perf_counter()
            report = read_firehose(factory, client, now, backfill=timedelta(days=days))
            wall = time.perf_counter() - t0
    engine.dispose()
    created = report.results[0]
    print(
        f"[{label}] backfill of {days:g} day(s): {created.pages} pages, {report.requests} requests, "
        f"{created.items} repos, {wall:.1f} s; {len(report.releases)} releases"
    )
    pages_90 = math.ceil(per_day * 90 / page_size)
    print(
        f"[{label}] 90 days extrapolated: {pages_90} pages = {pages_90 / 300 * 5:.0f} min of a 300-per-5-minute "
        f"budget, {wall / days * 90 / 60:.0f} min of work at this speed"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--per-day", type=int, default=20_000)
    parser.add_argument("--hours", type=float, default=6.0)
    parser.add_argument("--interval", type=int, default=300)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--backfill-days", type=float, default=1.0)
    parser.add_argument("--postgres", default=os.environ.get("LAUNCHGAP_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    with sqlite_url() as url:
        simulate("sqlite", url, args.per_day, args.hours, args.interval, args.page_size)
    with sqlite_url() as url:
        backfill("sqlite", url, args.per_day, args.backfill_days, args.page_size)
    if args.postgres:
        with postgres_url(args.postgres) as url:
            simulate("postgresql", url, args.per_day, args.hours, args.interval, args.page_size)
        with postgres_url(args.postgres) as url:
            backfill("postgresql", url, args.per_day, args.backfill_days, args.page_size)


if __name__ == "__main__":
    main()

"""API benchmark on a large database (prints figures; not part of the test run).

Builds MODELS models (default 20,000: RELEASES originals in release families, the rest derivatives), the 20
catalog runtimes and EVENTS support events (default 200,000) on a fresh SQLite database and, when a
PostgreSQL server is named (option or LAUNCHGAP_TEST_POSTGRES_URL), on a scratch PostgreSQL database created
and dropped around the run. Then:

1. ``refresh_gaps``: full (empty table), again with nothing changed, and after one runtime's new events.
2. p50 / p95 of ``GET /api/v1/gaps?vendor=…`` (each vendor in turn; goal p95 < 100 ms),
   ``GET /api/v1/stats/vendors`` (goal p95 < 300 ms) and a few other reads (the early-access map, propagation
   and stage lags, a release's requirements among them), with the number of SQL statements each request
   runs (constant whatever the data: no N+1).

    .venv/bin/python -m benchmarks.api_gaps [--models 20000] [--releases 2000] [--events 200000]
        [--requests 60] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--no-sqlite]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import event, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.api.deps import get_session
from app.db.migrate import upgrade
from app.db.session import create_db_engine, session_factory
from app.domain.vocabulary import Vendor
from app.main import create_app
from app.models import Model, Publisher, Runtime, SupportEvent, SupportKey
from app.services.gaps.refresh import refresh_gaps
from app.services.runtimes.catalog_rows import sync_catalog
from app.services.runtimes.catalog_views import runtime_key_kinds
from app.services.runtimes.stored_coverage import record_coverage
from app.sources.runtimes.catalog import CATALOG
from app.sources.runtimes.coverage import FETCHED, StageCoverage, scanned_stages
from benchmarks.hub_cycle import postgres_url, sqlite_url

START = datetime(2024, 1, 1, tzinfo=UTC)
CHUNK = 2000


def build(session: Session, *, models: int, releases: int, events: int, seed: int = 7) -> None:
    """Fill an empty, migrated database with a deterministic synthetic history."""
    rng = random.Random(seed)
    sync_catalog(session)
    session.flush()
    publishers = [{"hub_org": f"lab-{i:02d}", "name": f"Lab {i}", "country": "US"} for i in range(40)]
    session.execute(insert(Publisher), publishers)
    org_ids = list(session.scalars(select(Publisher.id).order_by(Publisher.id)))

    # Releases come in families of 1–3 siblings; about one family in three brings a new architecture, the
    # others reuse one of the architectures already out (as Kimi K2 reuses DeepseekV3ForCausalLM).
    rows: list[dict[str, object]] = []
    architectures: list[tuple[str, str, datetime]] = []
    span = timedelta(days=700)
    while len(rows) < releases:
        at = START + span * (len(rows) / releases) + timedelta(minutes=rng.randrange(600))
        if not architectures or rng.random() < 0.35:
            n = len(architectures)
            architectures.append((f"Arch{n}ForCausalLM", f"arch{n}", at))
            arch, model_type, _ = architectures[-1]
        else:
            arch, model_type, _ = rng.choice(architectures)
        org = rng.choice(org_ids)
        family = f"lab-{org:02d}/M{len(rows)}"
        for member in range(min(rng.randint(1, 3), releases - len(rows))):
            rows.append(
                {
                    "repo_id": f"{family}-{member}" if member else family,
                    "publisher_id": org,
                    "release_at": at + timedelta(days=member),
                    "release_at_source": "observed",
                    "release_at_precision": "second",
                    "architectures": [arch],
                    "model_type": model_type,
                    "family": family,
                    "is_derivative": False,
                    "visibility": "public",
                    "base_models": [],
                    "tags": [],
                    "hub_extra": {},
                }
            )
    originals = list(rows)
    for i in range(models - releases):
        base = rng.choice(originals)
        rows.append(
            {
                **base,
                "repo_id": f"someone-{i % 500}/{base['repo_id'].split('/')[1]}-q{i}",  # type: ignore[union-attr]
                "publisher_id": None,
                "release_at": base["release_at"] + timedelta(days=rng.randint(1, 60)),  # type: ignore[operator]
                "family": None,
                "is_derivative": True,
                "base_models": [base["repo_id"]],
            }
        )
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(Model), rows[start : start + CHUNK])

    keys = [{"key_kind": "architecture", "key": a} for a, _, _ in architectures]
    keys += [{"key_kind": "model_type", "key": t} for _, t, _ in architectures]
    keys += [{"key_kind": "gguf_architecture", "key": t.replace("arch", "gguf")} for _, t, _ in architectures]
    keys += [{"key_kind": "repo_id", "key": str(r["repo_id"])} for r in originals]
    session.execute(insert(SupportKey), keys)
    key_ids = {
        (k, v): i for i, k, v in session.execute(select(SupportKey.id, SupportKey.key_kind, SupportKey.key))
    }
    runtime_ids = dict(session.execute(select(Runtime.name, Runtime.id)).all())
    first_release = {a: at for a, _, at in architectures}
    first_release |= {t: at for _, t, at in architectures}
    first_release |= {t.replace("arch", "gguf"): at for _, t, at in architectures}
    first_release |= {str(r["repo_id"]): r["release_at"] for r in originals}  # type: ignore[misc]

    # Per runtime and stage, the keys it registers; each event: a key, a time around the key's first release
    # (some before: early access), on main or a branch, with a tag for the released stage, SKUs for recipes.
    choices: list[tuple[str, str, str]] = []
    for stage in ("branch", "merged", "released", "documented", "verified"):
        for runtime, kinds in runtime_key_kinds(stage).items():
            for kind in kinds:
                if kind in ("model_name",):
                    continue
                choices.append((runtime, stage, kind))
    by_kind: dict[str, list[str]] = {}
    for kind, key in key_ids:
        by_kind.setdefault(kind, []).append(key)
    batch: list[dict[str, object]] = []
    for n in range(events):
        runtime, stage, kind = choices[n % len(choices)]
        key = rng.choice(by_kind[kind])
        at = first_release[key] + timedelta(hours=rng.expovariate(1 / 400) - 48)  # type: ignore[operator]
        hardware = CATALOG[runtime].hardware
        batch.append(
            {
                "runtime_id": runtime_ids[runtime],
                "support_key_id": key_ids[(kind, key)],
                "stage": stage,
                "event": "removed" if n % 97 == 0 else "added",
                "at": at,
                "author_at": at - timedelta(days=2),
                "commit": f"{n:040x}",
                "tag": f"v0.{n % 50}.0" if stage == "released" else "",
                "branch": (f"amd/feature-{n}" if n % 3 == 0 else f"feature-{n}") if stage == "branch" else "",
                "sku": hardware[n % len(hardware)] if stage == "verified" and hardware else "",
                "signal": f"{stage}-signal",
                "evidence_url": f"https://example.test/{runtime}/commit/{n:040x}",
                "provenance": "git",
                "confidence": "high",
                "recorded_at": at,
                "retracted_at": at + timedelta(days=1) if n % 211 == 0 else None,
            }
        )
        if len(batch) == CHUNK:
            session.execute(insert(SupportEvent), batch)
            batch = []
    if batch:
        session.execute(insert(SupportEvent), batch)
    # Every runtime scanned from its URL (observed until the build): cells are decided, not unknown.
    observed_until = START + timedelta(days=3 * 365)
    for name, spec in CATALOG.items():
        stages = [
            StageCoverage(stage, True, observed_until, FETCHED, spec.repo_url)
            for stage in scanned_stages(spec)
        ]
        record_coverage(session, name, stages, now=observed_until)


class StatementCounter:
    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, *_args: object) -> None:
        self.count += 1


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(
    client: TestClient, counter: StatementCounter, paths: Iterator[str], n: int
) -> tuple[float, float, set[int], int]:
    timings: list[float] = []
    statements: set[int] = set()
    size = 0
    for _ in range(n):
        path = next(paths)
        before = counter.count
        started = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        statements.add(counter.count - before)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        size = len(response.content)
    return statistics.median(timings), percentile(timings, 0.95), statements, size


def bench_client(
    engine: Engine, factory: sessionmaker[Session]
) -> tuple[TestClient, StatementCounter, list[str]]:
    """The app in-process on the benchmark's database (no watchers), a counter of its SQL statements and
    the first 50 original releases' repo ids (the requirements targets) — shared by every API benchmark."""
    app = create_app(start_watchers=False)

    def session_dep() -> Iterator[Session]:
        with factory() as session:
            yield session

    app.dependency_overrides[get_session] = session_dep
    with factory() as session:
        originals = list(
            session.scalars(
                select(Model.repo_id).where(Model.is_derivative.is_(False)).order_by(Model.id).limit(50)
            )
        )
    return TestClient(app), StatementCounter(engine), originals


def cycle(paths: list[str]) -> Iterator[str]:
    while True:
        yield from paths


def run(label: str, url: str, args: argparse.Namespace) -> None:
    upgrade(url)
    engine = create_db_engine(url)
    factory = session_factory(engine)
    started = time.perf_counter()
    with factory() as session:
        build(session, models=args.models, releases=args.releases, events=args.events)
        session.commit()
    print(f"[{label}] built {args.models} models ({args.releases} releases), {len(CATALOG)} runtimes, {args.events} events "
          f"in {time.perf_counter() - started:.1f} s")  # fmt: skip

    refreshes = (
        ("full", {}),
        ("nothing changed", {}),
        ("one runtime", {"runtimes": ["vllm"]}),
        ("one runtime fetched again", {"runtimes": ["vllm"]}),
    )
    for name, kwargs in refreshes:
        with factory() as session:
            if name == "one runtime":
                # A scan found 200 new merged events for vLLM.
                runtime_id = session.scalar(select(Runtime.id).where(Runtime.name == "vllm"))
                key_ids = list(
                    session.scalars(select(SupportKey.id).where(SupportKey.key_kind == "architecture"))
                )
                session.execute(
                    insert(SupportEvent),
                    [
                        {"runtime_id": runtime_id, "support_key_id": key_ids[i % len(key_ids)], "stage": "merged",
                         "event": "added", "at": START + timedelta(days=i), "commit": f"{i:040x}",
                         "signal": "bench-rescan", "recorded_at": START, "evidence_url": None}
                        for i in range(200)
                    ],
                )  # fmt: skip
            if name == "one runtime fetched again":
                # A later fetch with nothing new: observed_until moves, so vLLM's pending gaps grow with it.
                spec = CATALOG["vllm"]
                later = START + timedelta(days=3 * 365 + 1)
                stages = [
                    StageCoverage(st, True, later, FETCHED, spec.repo_url) for st in scanned_stages(spec)
                ]
                record_coverage(session, "vllm", stages, now=later)
            started = time.perf_counter()
            report = refresh_gaps(session, **kwargs)  # type: ignore[arg-type]
            session.commit()
            print(
                f"[{label}] refresh_gaps ({name}): {time.perf_counter() - started:.2f} s — {report.computed} rows "
                f"computed, {report.inserted} inserted, {report.updated} updated, {report.deleted} deleted"
            )

    client, counter, originals = bench_client(engine, factory)
    targets = [
        ("GET /api/v1/gaps?vendor=…", [f"/api/v1/gaps?vendor={v}" for v in Vendor], 100),
        ("GET /api/v1/gaps?vendor=…&status=pending", [f"/api/v1/gaps?vendor={v}&status=pending" for v in Vendor], None),
        ("GET /api/v1/gaps?vendor=…&format=csv", [f"/api/v1/gaps?vendor={v}&format=csv" for v in Vendor], None),
        ("GET /api/v1/gaps (all kinds)", ["/api/v1/gaps"], None),
        ("GET /api/v1/stats/vendors", ["/api/v1/stats/vendors"], 300),
        ("GET /api/v1/stats/runtimes", ["/api/v1/stats/runtimes"], None),
        ("GET /api/v1/stats/vendors?per_quarter=true", ["/api/v1/stats/vendors?per_quarter=true"], None),
        ("GET /api/v1/stats/survival?vendor=amd", ["/api/v1/stats/survival?vendor=amd"], None),
        ("GET /api/v1/stats/early-access", ["/api/v1/stats/early-access"], None),
        ("GET /api/v1/stats/propagation", ["/api/v1/stats/propagation"], None),
        ("GET /api/v1/stats/lag?merged→documented", ["/api/v1/stats/lag?from_stage=merged&to_stage=documented"], None),
        ("GET /api/v1/models/…/requirements", [f"/api/v1/models/{r}/requirements" for r in originals], None),
    ]  # fmt: skip
    for name, paths, goal in targets:
        client.get(paths[0])  # warm-up: route compilation, statement cache
        n = args.requests if goal else max(10, args.requests // 4)
        p50, p95, statements, size = measure(client, counter, cycle(paths), n)
        verdict = "" if goal is None else (" ok" if p95 < goal else f" OVER the {goal} ms goal")
        print(
            f"[{label}] {name}: p50 {p50:.1f} ms, p95 {p95:.1f} ms over {n} requests; "
            f"SQL statements per request {sorted(statements)}; last body {size} bytes{verdict}"
        )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", type=int, default=20_000)
    parser.add_argument("--releases", type=int, default=2_000)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--postgres", default=os.environ.get("LAUNCHGAP_TEST_POSTGRES_URL"))
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    if not args.no_sqlite:
        with sqlite_url() as url:
            run("sqlite", url, args)
    if args.postgres:
        with postgres_url(args.postgres) as url:
            run("postgresql", url, args)


if __name__ == "__main__":
    main()

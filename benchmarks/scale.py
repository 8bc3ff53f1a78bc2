"""The answers at ten times the data, on PostgreSQL (prints figures; not part of the test run).

Builds ten times ``benchmarks.api_gaps``' history on a scratch PostgreSQL database (created and dropped
around the run): 200,000 models (20,000 original releases in families, the rest derivatives), the
catalog runtimes and 2,000,000 support events, then the gap rows (a full ``refresh_gaps``). Then p50 / p95
of every answer over REQUESTS requests each, in-process through the ASGI app, against one goal: p95 under
100 ms. Which requests: ``/api/v1/gaps`` (the hot list, a vendor's rows, a runtime's pending rows),
``/api/v1/stats/vendors`` and ``/runtimes`` (plain and weighted by downloads), the survival curve, the
early-access map, propagation and stage lags, and a release's requirements.

    .venv/bin/python -m benchmarks.scale [--models 200000] [--releases 20000] [--events 2000000]
        [--requests 40] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--keep NAME]
"""

from __future__ import annotations

import argparse
import os
import random
import time

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, make_url, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from app.api.warm import warm_answers
from app.db.migrate import upgrade
from app.db.session import create_db_engine, read_only_factory, session_factory
from app.domain.vocabulary import Vendor
from app.models import Model
from app.services.gaps.refresh import refresh_gaps
from app.services.gaps.version import record_refresh
from app.sources.runtimes.catalog import CATALOG
from benchmarks.api_gaps import bench_client, build, cycle, measure
from benchmarks.hub_cycle import postgres_url

GOAL_MS = 100.0


def add_demand(session: Session, seed: int = 3) -> None:
    """Downloads and likes on every model (long-tailed, as on the Hub), read at the build time — when the
    schema has them (the benchmark also runs on code from before demand existed)."""
    if not hasattr(Model, "downloads"):
        return
    rng = random.Random(seed)
    ids = list(session.scalars(select(Model.id)))
    for start in range(0, len(ids), 5000):
        session.execute(
            update(Model),
            [
                {"id": i, "downloads": int(rng.paretovariate(1.1) * 50), "likes": rng.randrange(200)}
                for i in ids[start : start + 5000]
            ],
        )


def targets(repo_ids: list[str], weighted: bool) -> list[tuple[str, list[str]]]:
    found = [
        ("GET /api/v1/gaps?stage=merged&limit=50", ["/api/v1/gaps?stage=merged&limit=50"]),
        ("GET /api/v1/gaps?vendor=…", [f"/api/v1/gaps?vendor={v}" for v in Vendor]),
        ("GET /api/v1/gaps?runtime=vllm&status=pending", ["/api/v1/gaps?runtime=vllm&status=pending"]),
        ("GET /api/v1/stats/vendors", ["/api/v1/stats/vendors"]),
        ("GET /api/v1/stats/runtimes", ["/api/v1/stats/runtimes"]),
        ("GET /api/v1/stats/vendors?per_quarter=true", ["/api/v1/stats/vendors?per_quarter=true"]),
        ("GET /api/v1/stats/survival?vendor=amd", ["/api/v1/stats/survival?vendor=amd"]),
        ("GET /api/v1/stats/early-access", ["/api/v1/stats/early-access"]),
        ("GET /api/v1/stats/propagation", ["/api/v1/stats/propagation"]),
        ("GET /api/v1/stats/lag?merged→documented", ["/api/v1/stats/lag?from_stage=merged&to_stage=documented"]),
        ("GET /api/v1/models/…/requirements", [f"/api/v1/models/{r}/requirements" for r in repo_ids]),
    ]  # fmt: skip
    if weighted:
        found.insert(
            5, ("GET /api/v1/stats/vendors?weight=downloads", ["/api/v1/stats/vendors?weight=downloads"])
        )
    return found


def run(url: str, args: argparse.Namespace) -> None:
    upgrade(url)
    engine = create_db_engine(url)
    factory = session_factory(engine)
    with factory() as session:
        built = session.scalar(select(func.count()).select_from(Model)) or 0
    if built:
        print(f"reusing the {built} models already built in this database", flush=True)
    else:
        started = time.perf_counter()
        with factory() as session:
            build(session, models=args.models, releases=args.releases, events=args.events)
            add_demand(session)
            session.commit()
        print(
            f"built {args.models} models ({args.releases} releases), {len(CATALOG)} runtimes, {args.events} events "
            f"in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        started = time.perf_counter()
        with factory() as session:
            report = refresh_gaps(session)
            session.commit()
        print(
            f"refresh_gaps (full): {time.perf_counter() - started:.0f} s, {report.computed} rows", flush=True
        )
    with engine.begin() as connection:  # committed: statistics taken in a rolled-back transaction are lost
        connection.exec_driver_sql("ANALYZE")

    client, counter, repo_ids = bench_client(engine, factory)
    over = []
    for name, paths in targets(repo_ids, hasattr(Model, "downloads")):
        first = time.perf_counter()
        client.get(paths[0])  # the first request after a refresh (cold caches) is reported apart
        cold = (time.perf_counter() - first) * 1000
        p50, p95, statements, size = measure(client, counter, cycle(paths), args.requests)
        verdict = "ok" if p95 < GOAL_MS else f"OVER the {GOAL_MS:.0f} ms goal"
        if p95 >= GOAL_MS:
            over.append(name)
        print(
            f"{name}: p50 {p50:.1f} ms, p95 {p95:.1f} ms over {args.requests} requests (first {cold:.0f} ms); "
            f"SQL statements {sorted(statements)}; {size} bytes; {verdict}",
            flush=True,
        )
    print(f"{len(over)} answers over the goal: {', '.join(over) or 'none'}")
    warmed_first_requests(client, factory)
    engine.dispose()


WARMED = [
    "/api/v1/stats/vendors",
    "/api/v1/stats/runtimes",
    "/api/v1/stats/early-access",
    "/api/v1/stats/propagation",
    "/api/v1/stats/lag",
    "/api/v1/releases/latest",
    "/api/v1/gaps",
]


def warmed_first_requests(client: TestClient, factory: sessionmaker[Session]) -> None:
    """A new version of the answers (what every refresh records), the warmer's run as ``launchgap serve``
    starts it after a refresh (``app/api/warm.py``; timed here in the foreground), then each plain answer's
    first request."""
    with factory() as session:
        record_refresh(session)
        session.commit()
    app = client.app
    app.state.read_session_factory = read_only_factory(factory)  # type: ignore[attr-defined]
    started = time.perf_counter()
    failed = warm_answers(app)  # type: ignore[arg-type]
    print(
        f"warming after a refresh (background in serve): {time.perf_counter() - started:.1f} s, {failed} failed"
    )
    for path in WARMED:
        first = time.perf_counter()
        status = client.get(path).status_code
        print(
            f"first request after a refresh, warmed: GET {path} {(time.perf_counter() - first) * 1000:.0f} ms ({status})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", type=int, default=200_000)
    parser.add_argument("--releases", type=int, default=20_000)
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "LAUNCHGAP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument(
        "--keep",
        metavar="NAME",
        help="build into database NAME on the server and keep it; a later run with the same NAME reuses it "
        "(to compare query plans without a 15-minute rebuild)",
    )
    args = parser.parse_args()
    if args.keep:
        run(kept_database(args.postgres, args.keep), args)
        return
    with postgres_url(args.postgres) as url:
        run(url, args)


def kept_database(server_url: str, name: str) -> str:
    """The URL of database ``name`` on ``server_url``'s server, created when it does not exist yet."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


if __name__ == "__main__":
    main()

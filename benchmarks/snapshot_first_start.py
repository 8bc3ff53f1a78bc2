"""First start on the bundled data (prints figures; not part of the test run).

Starts the app on a fresh, migrated database (SQLite in a temp dir, or the PostgreSQL URL given) with the
watchers off, so the figures are what the bundled snapshot and release facts alone give, then prints:

- how long the first start took to answer ``/healthz`` (the seeding happens before the server listens), and a
  second start (nothing to seed);
- support events, dated cells, DeepSeek-V3's dated runtimes per stage;
- vendors with 10 or more counted release families (``/api/v1/stats/vendors``), per stage;
- per-SKU cells (vLLM Recipes) with a date, and Huawei's ``branch`` cells for DeepSeek-V4;
- dated cells without a commit, without an evidence link, or whose link does not name the catalog's repository
  and the cell's commit or tag (all three should be 0).

    .venv/bin/python -m benchmarks.snapshot_first_start [--database-url URL]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.config import Settings
from app.db.migrate import upgrade
from app.db.session import open_database
from app.main import create_app
from app.models import GapRecord, SupportEvent
from app.sources.runtimes.catalog import CATALOG


def _start(settings: Settings) -> float:
    started = time.perf_counter()
    with TestClient(create_app(settings, start_watchers=False)) as client:
        assert client.get("/healthz").status_code == 200
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="An empty database (default: a new SQLite file).")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='launchgap-first-')) / 'first.db'}"
    upgrade(url)
    settings = Settings(database_url=url)
    print(f"first start (seeding) to /healthz: {_start(settings):.1f} s")
    print(f"second start (nothing to seed):    {_start(settings):.1f} s")

    with open_database(url) as factory, factory() as session:
        events = session.scalar(select(func.count()).select_from(SupportEvent))
        print(f"support events: {events}")
        dated = session.scalars(select(GapRecord).where(GapRecord.support_at.is_not(None))).all()
        print(f"dated cells: {len(dated)} ({Counter(r.row_kind for r in dated)})")

        v3: dict[str, set[str]] = defaultdict(set)
        for row in dated:
            if row.repo_id == "deepseek-ai/DeepSeek-V3" and row.row_kind == "runtime":
                v3[row.stage].add(row.runtime)
        for stage, runtimes in sorted(v3.items()):
            print(f"DeepSeek-V3 dated at {stage}: {len(runtimes)} runtimes ({', '.join(sorted(runtimes))})")

        skus = [r for r in dated if r.row_kind == "sku"]
        print(f"per-SKU dated cells: {len(skus)} over {len({r.repo_id for r in skus})} releases")
        for row in sorted(skus, key=lambda r: (r.repo_id, r.sku)):
            if row.repo_id.startswith("deepseek-ai/DeepSeek-V4"):
                print(f"  {row.repo_id} {row.sku}: {row.status} {row.support_at:%Y-%m-%d} {row.evidence_url}")
        for row in dated:
            if row.stage == "branch" and row.runtime == "vllm-ascend" and "DeepSeek-V4" in row.repo_id:
                print(
                    f"Huawei branch: {row.repo_id} {row.status} {row.support_at:%Y-%m-%d %H:%M} {row.evidence_url}"
                )

        no_commit = [r for r in dated if not r.commit]
        no_link = [r for r in dated if not r.evidence_url]
        elsewhere = []
        for row in dated:
            runtime = row.runtime or row.via_runtime
            base = CATALOG[runtime].repo_url if runtime in CATALOG else None
            url_ok = bool(row.evidence_url) and bool(base) and row.evidence_url.startswith(f"{base}/")
            names_it = bool(row.evidence_url) and (
                (row.commit and row.commit in row.evidence_url)
                or (row.tag and row.evidence_url.endswith(row.tag))
            )
            if not (url_ok and names_it):
                elsewhere.append(row)
        print(f"dated cells without a commit: {len(no_commit)}; without a link: {len(no_link)}; "
              f"link not naming the upstream's commit or tag: {len(elsewhere)}")  # fmt: skip
        for row in elsewhere[:5]:
            print(
                f"  e.g. {row.repo_id} {row.stage} {row.row_kind} {row.runtime or row.vendor} {row.evidence_url}"
            )

    with TestClient(create_app(settings, start_watchers=False)) as client:
        for stage in ("merged", "released"):
            items = client.get("/api/v1/stats/vendors", params={"stage": stage}).json()["items"]
            ranked = [(i.get("vendor") or i["group"], i["count"]) for i in items]
            big = [f"{v} {n}" for v, n in ranked if n >= 10]
            print(
                f"vendors at {stage} with >= 10 counted families: {len(big)} ({', '.join(big)}); all: {ranked}"
            )
            left_out = [(i.get("vendor") or i["group"], i["incomplete"], i["unknown"]) for i in items]
            print(f"vendors at {stage}: (incomplete cells left out, unknown): {left_out}")


if __name__ == "__main__":
    main()

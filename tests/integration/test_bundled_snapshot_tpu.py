"""Google TPUs and Intel's Xeon 6 on the bundled snapshot (issue 28): facts that hold once the snapshot is
built with the tpu-inference copy (app/data/snapshot_sources.json). A snapshot built before that copy was
listed has no source for it: the module is skipped then, and runs as soon as the rebuilt file is bundled."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.api.deps import get_session
from app.config import Settings
from app.db.migrate import upgrade
from app.db.session import open_database
from app.main import create_app
from app.models import GapRecord
from app.services.jobs import bootstrap_reference_data
from app.services.snapshot import read_snapshot
from app.services.snapshot.build import BUNDLED_SNAPSHOT

from ..conftest import ScratchDatabases

NOW = datetime(2026, 11, 30, tzinfo=UTC)

_SOURCES = {source.runtime for source in read_snapshot(BUNDLED_SNAPSHOT).sources}
pytestmark = pytest.mark.skipif(
    "tpu-inference" not in _SOURCES,
    reason="the bundled snapshot predates the tpu-inference copy: rebuild it (launchgap snapshot build)",
)


@pytest.fixture(scope="module")
def factory(scratch_databases: ScratchDatabases) -> Iterator[sessionmaker[Session]]:
    """A fresh SQLite database after its first start: the bundled snapshot imported, gap rows computed."""
    url = scratch_databases.new_url("sqlite")
    upgrade(url)
    with open_database(url) as made:
        bootstrap_reference_data(made, Settings(database_url=url), now=NOW)
        yield made


def _google(session: Session, repo_id: str, stage: str) -> GapRecord:
    return session.execute(
        select(GapRecord).where(
            GapRecord.repo_id == repo_id,
            GapRecord.row_kind == "vendor",
            GapRecord.vendor == "google",
            GapRecord.stage == stage,
        )
    ).scalar_one()


def test_google_has_dated_tpu_cells_for_deepseek_v3_and_qwen3(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        # hand-checked on vllm-project/tpu-inference (docs/runtimes.md, "tpu-inference")
        v3 = _google(session, "deepseek-ai/DeepSeek-V3", "merged")
        assert (v3.via_runtime, v3.status) == ("tpu-inference", "later")
        assert v3.support_at == datetime(2025, 8, 28, 17, 54, 20, tzinfo=UTC)
        assert v3.commit is not None and v3.commit.startswith("685ef9569e")
        assert v3.evidence_url and v3.evidence_url.startswith(
            "https://github.com/vllm-project/tpu-inference/"
        )
        qwen3 = _google(session, "Qwen/Qwen3-32B", "merged")
        assert qwen3.via_runtime == "tpu-inference"
        assert qwen3.support_at == datetime(2025, 8, 19, 18, 25, 3, tzinfo=UTC)
        released = _google(session, "deepseek-ai/DeepSeek-V3", "released")
        assert (released.via_runtime, released.tag) == ("tpu-inference", "v0.11.1")


def test_intel_has_xeon6_cells_and_skus_are_spelt_once(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        skus = session.scalars(
            select(GapRecord).where(GapRecord.row_kind == "sku", GapRecord.support_at.is_not(None))
        ).all()
        xeon6 = [r for r in skus if r.sku == "xeon6"]
        assert len(xeon6) >= 5 and {r.vendor for r in xeon6} == {"intel"}
        assert {"trillium", "ironwood"} <= {r.sku for r in skus if r.vendor == "google"}
        # no count suffix survives as a SKU of its own (rtx_pro_6000_8x is rtx_pro_6000)
        assert not [r.sku for r in skus if re.search(r"_\d+x$", r.sku or "")]


def test_the_leaderboard_lists_google(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        app = create_app(start_watchers=False)
        app.dependency_overrides[get_session] = lambda: session
        client = TestClient(app)
        stats = client.get("/api/v1/stats/vendors", params={"stage": "merged"}).json()["items"]
        google = next(s for s in stats if s["vendor"] == "google")
        assert google["runtimes_observed"] >= 1 and google["count"] > 0
        assert 'data-vendor="google"' in client.get("/", params={"stage": "merged"}).text
        # a SKU asked for in another spelling is the catalog's
        rows = client.get("/api/v1/gaps", params={"sku": "XEON6_2x", "stage": "verified"}).json()["items"]
        assert rows and {r["sku"] for r in rows} == {"xeon6"}

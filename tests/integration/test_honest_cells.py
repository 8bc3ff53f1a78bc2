"""Honest cells end to end: a database with facts and no scan knows nothing about support; one scan makes
exactly that runtime's cells known; rc vs final on a released cell; ``final_only``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.deps import get_session
from app.domain.vocabulary import GapStatus, Vendor
from app.main import create_app
from app.models import GapRecord
from app.services.gaps.refresh import refresh_gaps
from app.services.operations.bootstrap import BUNDLED_RELEASE_FACTS
from app.services.releases.facts import import_releases
from app.services.releases.publishers import sync_publishers
from app.services.runtimes.catalog_rows import sync_catalog
from app.services.runtimes.scan import scan_runtime
from app.sources.runtimes.catalog import get_runtime
from tests.fakes.repo_builder import RepoBuilder
from tests.integration.test_scan import registry

NOW = datetime(2026, 11, 30, tzinfo=UTC)
HEADER = "hf_repo_id,org,architecture,model_type,public_release_date,createdAt,source,confidence,notes\n"


def _client(session: Session) -> TestClient:
    app = create_app(start_watchers=False)
    app.dependency_overrides[get_session] = lambda: session
    return TestClient(app)


@pytest.fixture
def facts_only(session: Session) -> Iterator[Session]:
    """The bundled facts imported, nothing scanned: what `make run` gives a new user offline."""
    sync_catalog(session)
    sync_publishers(session, None)
    import_releases(session, BUNDLED_RELEASE_FACTS, kind="bundled")
    refresh_gaps(session)
    yield session


def _statuses(session: Session, **where: object) -> set[str]:
    query = select(GapRecord.status)
    for name, value in where.items():
        query = query.where(getattr(GapRecord, name) == value)
    return set(session.scalars(query))


def test_facts_and_no_scan_give_only_unknown_cells_and_rank_no_vendor(facts_only: Session) -> None:
    assert _statuses(facts_only) == {GapStatus.UNKNOWN}
    assert set(facts_only.scalars(select(GapRecord.gap_hours))) == {None}
    client = _client(facts_only)
    vendors = client.get("/api/v1/stats/vendors").json()["items"]
    assert len(vendors) == len(Vendor)
    assert {(v["count"], v["runtimes_observed"], v["resolved"], v["pending"]) for v in vendors} == {
        (0, 0, 0, 0)
    }
    assert all(v["unknown"] > 0 and v["day0_rate"] is None for v in vendors)
    runtimes = client.get("/api/v1/stats/runtimes").json()["items"]
    assert runtimes and {r["runtimes_observed"] for r in runtimes} == {0}
    assert all(r["runtime"] == r["group"] for r in runtimes)
    # the dashboard ranks nobody: every vendor row says "not ranked"
    html = client.get("/").text
    assert html.count('class="not-ranked"') == len(Vendor) and 'class="ranked"' not in html


def test_one_scan_makes_exactly_that_runtimes_cells_known(facts_only: Session, tmp_path: Path) -> None:
    mlx = get_runtime("mlx-lm")
    assert mlx.releases is not None
    repo = RepoBuilder(tmp_path / "mlx")
    repo.commit(
        {
            "mlx_lm/models/llama.py": "class Model:\n    pass\n",
            "mlx_lm/_version.py": '__version__ = "0.1.0"\n',
        },
        at="2024-01-05T10:00:00Z",
    )
    repo.commit({"mlx_lm/models/deepseek_v3.py": "class Model:\n    pass\n"}, at="2025-01-20T10:00:00Z")
    repo.commit({"README.md": "x"}, at="2026-11-01T10:00:00Z")  # the copy reaches beyond every release
    scan_runtime(facts_only, mlx, data_dir=tmp_path / "d", repo=str(repo.path), now=NOW)
    refresh_gaps(facts_only, runtimes=["mlx-lm"])

    merged = _statuses(facts_only, runtime="mlx-lm", stage="merged", row_kind="runtime")
    assert GapStatus.UNKNOWN not in merged and {GapStatus.PENDING, GapStatus.PRE_EXISTING} <= merged
    others = _statuses(facts_only, stage="merged", row_kind="runtime") - merged
    assert _statuses(facts_only, runtime="sglang", stage="merged") == {GapStatus.UNKNOWN}
    assert others <= {GapStatus.UNKNOWN} | merged
    pending = facts_only.scalars(
        select(GapRecord).where(
            GapRecord.runtime == "mlx-lm", GapRecord.stage == "merged", GapRecord.status == GapStatus.PENDING
        )
    ).first()
    assert pending is not None
    until = datetime(2026, 11, 1, 10, tzinfo=UTC)
    assert pending.observed_until == until
    assert pending.gap_hours == round((until - pending.release_at).total_seconds() / 3600, 2)
    # Apple (mlx-lm counts for it) is now ranked on mlx-lm; every other vendor still is not. MLX-VLM, Apple's
    # other runtime, is not read: Apple's supported cells are upper bounds, left out of the figures.
    vendors = {v["vendor"]: v for v in _client(facts_only).get("/api/v1/stats/vendors").json()["items"]}
    assert vendors["apple"]["runtimes_observed"] == 1 and vendors["apple"]["count"] == 0
    assert vendors["apple"]["incomplete"] > 0
    assert vendors["apple"]["observed_runtimes"][0]["runtime"] == "mlx-lm"
    assert {v["runtimes_observed"] for name, v in vendors.items() if name != "apple"} == {0}


@pytest.fixture
def rc_then_final(session: Session, tmp_path: Path) -> Iterator[Session]:
    """A release supported first in an rc, then in a final release five weeks later."""
    sync_catalog(session)
    sync_publishers(session, None)
    facts = tmp_path / "facts.csv"
    facts.write_text(
        HEADER + "acme/New-MoE,acme,NewMoeForCausalLM,new_moe,2025-06-01T00:00:00Z,,mine,high,\n"
    )
    import_releases(session, facts)
    repo = RepoBuilder(tmp_path / "vllm")
    path = "vllm/model_executor/models/registry.py"
    repo.commit({path: registry("LlamaForCausalLM")}, at="2025-01-01T10:00:00Z")
    repo.commit({path: registry("LlamaForCausalLM", "NewMoeForCausalLM")}, at="2025-06-03T00:00:00Z")
    repo.tag("v0.9.0rc1", annotated=True, at="2025-06-04T00:00:00Z")
    repo.commit({"README.md": "x"}, at="2025-07-01T00:00:00Z")
    repo.tag("v0.9.0", annotated=True, at="2025-07-10T00:00:00Z")
    repo.commit({"README.md": "y"}, at="2025-08-01T00:00:00Z")
    scan_runtime(session, get_runtime("vllm"), data_dir=tmp_path / "d", repo=str(repo.path), now=NOW)
    refresh_gaps(session)
    yield session


def test_a_released_cell_says_rc_and_gives_the_first_final_release(rc_then_final: Session) -> None:
    client = _client(rc_then_final)
    params = {"stage": "released", "runtime": "vllm", "rows": "runtime", "repo_id": "acme/New-MoE"}
    [cell] = client.get("/api/v1/gaps", params=params).json()["items"]
    assert (cell["status"], cell["tag"], cell["tag_prerelease"], cell["gap_hours"]) == (
        "later",
        "v0.9.0rc1",
        True,
        72.0,
    )
    assert (cell["first_final_tag"], cell["first_final_at"]) == ("v0.9.0", "2025-07-10T00:00:00Z")
    assert (cell["final_status"], cell["final_gap_hours"]) == ("later", 936.0)
    assert cell["observed_until"] == "2025-08-01T00:00:00Z"

    [final] = client.get("/api/v1/gaps", params={**params, "final_only": "true"}).json()["items"]
    assert (final["status"], final["tag"], final["tag_prerelease"], final["gap_hours"]) == (
        "later",
        "v0.9.0",
        False,
        936.0,
    )
    assert final["support_at"] == "2025-07-10T00:00:00Z"
    # the NVIDIA view (vLLM counts for it) carries the same pair
    [nvidia] = client.get(
        "/api/v1/gaps",
        params={"stage": "released", "vendor": "nvidia", "rows": "vendor", "repo_id": "acme/New-MoE"},
    ).json()["items"]
    assert (nvidia["tag"], nvidia["first_final_tag"], nvidia["via_runtime"]) == (
        "v0.9.0rc1",
        "v0.9.0",
        "vllm",
    )

    stats = {
        s["runtime"]: s
        for s in client.get("/api/v1/stats/runtimes", params={"stage": "released"}).json()["items"]
    }
    final_stats = {
        s["runtime"]: s
        for s in client.get(
            "/api/v1/stats/runtimes", params={"stage": "released", "final_only": "true"}
        ).json()["items"]
    }
    assert (stats["vllm"]["median_hours"], final_stats["vllm"]["median_hours"]) == (72.0, 936.0)
    # the release page says which version to install
    page = client.get("/releases/acme/New-MoE").text
    assert "first final v0.9.0 · 2025-07-10" in page


def test_an_rc_without_a_final_release_yet_is_pending_when_final_only(
    session: Session, tmp_path: Path
) -> None:
    sync_catalog(session)
    sync_publishers(session, None)
    facts = tmp_path / "facts.csv"
    facts.write_text(
        HEADER + "acme/New-MoE,acme,NewMoeForCausalLM,new_moe,2025-06-01T00:00:00Z,,mine,high,\n"
    )
    import_releases(session, facts)
    repo = RepoBuilder(tmp_path / "vllm")
    path = "vllm/model_executor/models/registry.py"
    repo.commit({path: registry("LlamaForCausalLM")}, at="2025-01-01T10:00:00Z")
    repo.tag("v0.8.0", annotated=True, at="2025-01-02T00:00:00Z")
    repo.commit({path: registry("LlamaForCausalLM", "NewMoeForCausalLM")}, at="2025-06-03T00:00:00Z")
    repo.tag("v0.9.0rc1", annotated=True, at="2025-06-04T00:00:00Z")
    repo.commit({"README.md": "x"}, at="2025-07-01T00:00:00Z")
    scan_runtime(session, get_runtime("vllm"), data_dir=tmp_path / "d", repo=str(repo.path), now=NOW)
    refresh_gaps(session)
    params = {"stage": "released", "runtime": "vllm", "rows": "runtime", "repo_id": "acme/New-MoE"}
    client = _client(session)
    [cell] = client.get("/api/v1/gaps", params=params).json()["items"]
    assert (cell["tag"], cell["first_final_tag"], cell["final_status"]) == ("v0.9.0rc1", None, "pending")
    [final] = client.get("/api/v1/gaps", params={**params, "final_only": "true", "status": "pending"}).json()[
        "items"
    ]
    assert (final["tag"], final["support_at"]) == (None, None)
    assert (
        final["gap_hours"]
        == (datetime(2025, 7, 1, tzinfo=UTC) - datetime(2025, 6, 1, tzinfo=UTC)).total_seconds() / 3600
    )
    assert timedelta(hours=final["gap_hours"]) == timedelta(days=30)

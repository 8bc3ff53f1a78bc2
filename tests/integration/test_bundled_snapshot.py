"""The bundled snapshot (app/data/snapshot.jsonl.gz), built by LaunchGap from the real runtime histories.

The suite imports it once per database: a first start seeds a fresh SQLite and a fresh PostgreSQL database,
and every test here reads that one import. The file alone is checked against the hand-checked facts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from app.api.deps import get_session
from app.config import Settings
from app.db.migrate import upgrade
from app.db.session import open_database
from app.domain.vocabulary import Stage
from app.main import create_app
from app.models import (
    GapRecord,
    KeyMapping,
    Model,
    SourceCoverage,
    SourceState,
    SupportEvent,
    VersionStatement,
)
from app.services.jobs import bootstrap_reference_data
from app.services.operations.bootstrap import BUNDLED_RELEASE_FACTS
from app.services.snapshot import read_snapshot
from app.services.snapshot.build import BUNDLED_SNAPSHOT, read_sources
from app.services.snapshot.exchange import import_snapshot
from app.services.snapshot.format import EventRow, Snapshot
from app.sources.runtimes.catalog import CATALOG
from app.sources.runtimes.verified_facts import load_facts
from tests.fakes.repo_builder import RepoBuilder

from ..conftest import DIALECTS, ScratchDatabases

NOW = datetime(2026, 11, 30, tzinfo=UTC)
MAX_BYTES = 10 * 1024 * 1024


@pytest.fixture(scope="module")
def bundled() -> Snapshot:
    return read_snapshot(BUNDLED_SNAPSHOT)


@dataclass(frozen=True)
class Seeded:
    url: str
    factory: sessionmaker[Session]


@pytest.fixture(scope="module", params=DIALECTS)
def seeded(request: pytest.FixtureRequest, scratch_databases: ScratchDatabases) -> Iterator[Seeded]:
    """A fresh database after its first start: the one import of the bundled snapshot for this dialect."""
    url = scratch_databases.new_url(request.param)
    upgrade(url)
    with open_database(url) as factory:
        bootstrap_reference_data(factory, Settings(database_url=url), now=NOW)
        yield Seeded(url, factory)


def _first(events: list[EventRow], runtime: str, key: str, stage: str, kind: str = "added") -> EventRow:
    matching = [e for e in events if (e.runtime, e.key, e.stage, e.event) == (runtime, key, stage, kind)]
    return min(matching, key=lambda e: (e.at, e.tag, e.commit))


def test_the_file_is_small_versioned_and_built_from_the_listed_copies(bundled: Snapshot) -> None:
    assert BUNDLED_SNAPSHOT.stat().st_size <= MAX_BYTES
    assert len(bundled.events) >= 5000
    copies = {(c.runtime, c.copy) for c in read_sources()}
    assert {(s.runtime, s.copy) for s in bundled.sources} == copies
    assert all(len(s.head) == 40 and s.head_at is not None for s in bundled.sources)
    assert {e.runtime for e in bundled.events} == {c.runtime for c in read_sources()}


def test_every_event_links_to_its_upstream_commit_or_tag(bundled: Snapshot) -> None:
    for event in bundled.events:
        base = CATALOG[event.runtime].repo_url
        assert event.commit and event.evidence_url, event
        assert event.evidence_url.startswith(f"{base}/"), event
        assert event.commit in event.evidence_url or event.evidence_url.endswith(
            f"/releases/tag/{event.tag}"
        ), event


def test_hand_checked_facts_hold_in_the_bundled_snapshot(bundled: Snapshot) -> None:
    # A fact checked on the very copy (and head) a runtime's stage was read from must be the snapshot's date.
    readers: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for source in bundled.sources:
        for stage in source.stages or tuple(Stage):
            readers.setdefault((source.runtime, stage), []).append((source.copy, source.head))
    checked = 0
    for fact in load_facts():
        if readers.get((fact.runtime, fact.stage)) != [(fact.repository, fact.head)]:
            continue
        matching = [
            e
            for e in bundled.events
            # proposed is dated by the earliest of pull request, branch and main (Stage.event_stages)
            if (e.runtime, e.key, e.sku, e.event) == (fact.runtime, fact.key, fact.sku, fact.event)
            and e.stage in Stage(fact.stage).event_stages
        ]
        assert matching, fact
        first = min(matching, key=lambda e: (e.at, e.tag, e.commit))
        assert first.commit.startswith(fact.commit), (fact, first)
        if fact.at:
            assert first.at == fact.at, (fact, first)
        if fact.tag:
            assert first.tag == fact.tag, (fact, first)
        checked += 1
    assert checked >= 100


def test_first_start_seeds_the_real_history(seeded: Seeded, bundled: Snapshot) -> None:
    with seeded.factory() as session:
        assert session.scalar(select(func.count()).select_from(SupportEvent)) == len(bundled.events)
        assert session.scalar(select(func.count()).select_from(KeyMapping)) == len(bundled.key_mappings)
        assert (
            session.scalar(select(func.count()).select_from(VersionStatement)) == len(bundled.statements) > 0
        )
        dated = select(GapRecord).where(GapRecord.support_at.is_not(None))
        v3 = session.scalars(
            dated.where(GapRecord.repo_id == "deepseek-ai/DeepSeek-V3", GapRecord.row_kind == "runtime")
        ).all()
        assert len({r.runtime for r in v3 if r.stage == "merged"}) >= 8
        assert len({r.runtime for r in v3 if r.stage == "released"}) >= 8
        for row in session.scalars(dated):
            runtime = row.runtime or row.via_runtime
            assert row.commit and row.evidence_url, row.id
            assert row.evidence_url.startswith(f"{CATALOG[runtime].repo_url}/"), row.evidence_url
        # every runtime read from a copy is observed, as of that copy's cutoff (TensorRT-LLM stays unknown)
        observed = {
            (row.runtime, row.stage): row.observed_until
            for row in session.scalars(select(SourceCoverage).where(SourceCoverage.observed.is_(True)))
        }
        assert {runtime for runtime, _stage in observed} == {s.runtime for s in bundled.sources}
        heads = {s.runtime: s.head_at for s in bundled.sources if not s.stages or "merged" in s.stages}
        for (runtime, stage), until in observed.items():
            if stage == "merged":
                assert until is not None and until >= heads[runtime], (runtime, until)
        skus = session.scalars(dated.where(GapRecord.row_kind == "sku")).all()
        assert {"H200", "MI355X"} <= {r.sku for r in skus if r.repo_id == "deepseek-ai/DeepSeek-V4-Pro"}


def test_first_releases_with_their_commits(seeded: Seeded, bundled: Snapshot) -> None:
    """A handful of facts, each the first release (or merge) of an architecture in a runtime, with its commit."""
    expected = [
        ("vllm", "DeepseekV3ForCausalLM", "released", "v0.6.6.post1", "2339d59f92"),
        ("vllm", "DeepseekV3ForCausalLM", "merged", "", "f49777ba62"),
        ("sglang", "DeepseekV3ForCausalLM", "merged", "", "53aed988cb"),
        ("llama.cpp", "DeepseekV3ForCausalLM", "released", "b4417", "9394bbd484"),
        ("lmdeploy", "DeepseekV3ForCausalLM", "released", "v0.7.0", "9fcb3b1036"),
    ]
    for runtime, key, stage, tag, commit in expected:
        first = _first(bundled.events, runtime, key, stage)
        assert (first.tag, first.commit[:10]) == (tag, commit), (runtime, key, stage)
    with seeded.factory() as session:
        cell = session.execute(
            select(GapRecord).where(
                GapRecord.repo_id == "deepseek-ai/DeepSeek-V3",
                GapRecord.row_kind == "runtime",
                GapRecord.runtime == "vllm",
                GapRecord.stage == "released",
            )
        ).scalar_one()
        assert cell.tag == "v0.6.6.post1" and cell.commit is not None and cell.commit.startswith("2339d59f92")
        assert cell.evidence_url == "https://github.com/vllm-project/vllm/releases/tag/v0.6.6.post1"
        # Huawei: DeepSeek-V4 on a vllm-ascend release branch, linked to the upstream commit
        branch = session.scalars(
            select(GapRecord).where(
                GapRecord.repo_id == "deepseek-ai/DeepSeek-V4-Pro",
                GapRecord.runtime == "vllm-ascend",
                GapRecord.stage == "branch",
                GapRecord.support_at.is_not(None),
            )
        ).all()
        assert branch and branch[0].evidence_url.startswith(
            "https://github.com/vllm-project/vllm-ascend/commit/"
        )


def test_restart_and_reimport_change_nothing(seeded: Seeded, bundled: Snapshot) -> None:
    def counts(session: Session) -> tuple[int, ...]:
        return tuple(
            session.scalar(select(func.count()).select_from(table)) or 0
            for table in (
                SupportEvent,
                KeyMapping,
                Model,
                GapRecord,
                SourceState,
                SourceCoverage,
                VersionStatement,
            )
        )

    with seeded.factory() as session:
        before = counts(session)
    bootstrap_reference_data(seeded.factory, Settings(database_url=seeded.url), now=NOW)
    with seeded.factory() as session:
        assert counts(session) == before
        report = import_snapshot(session, bundled, now=NOW)
        assert not report.changed and report.events_present == len(bundled.events)
        session.flush()
        assert counts(session) == before
        session.rollback()


def test_db_upgrade_import_and_scan_never_seed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.cli.main import cli
    from app.config import get_settings

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    monkeypatch.setenv("LAUNCHGAP_DATABASE_URL", url)
    monkeypatch.setenv("LAUNCHGAP_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        repo = RepoBuilder(tmp_path / "mlx").commit(
            {"mlx_lm/models/qwen3.py": "x\n"}, at="2025-04-28T13:44:17Z"
        )
        for args in (
            ["db", "upgrade"],
            ["import", "releases", str(BUNDLED_RELEASE_FACTS)],
            ["scan", "mlx-lm", "--repo", str(repo.path)],
        ):
            result = CliRunner().invoke(cli, args)
            assert result.exit_code == 0, (args, result.output)
    finally:
        get_settings.cache_clear()
    with open_database(url) as factory, factory() as session:
        assert session.scalar(select(func.count()).select_from(SupportEvent)) == 1  # the scan's own event
        assert (
            session.scalar(
                select(func.count()).select_from(SourceState).where(SourceState.kind == "snapshot")
            )
            == 0
        )


def _vendor_cell(session: Session, repo_id: str, vendor: str, stage: str) -> GapRecord:
    return session.execute(
        select(GapRecord).where(
            GapRecord.repo_id == repo_id,
            GapRecord.row_kind == "vendor",
            GapRecord.vendor == vendor,
            GapRecord.stage == stage,
        )
    ).scalar_one()


def test_vendor_answers_say_what_they_do_not_know(seeded: Seeded) -> None:
    """DeepSeek-V4-Pro for NVIDIA at the released stage: lmdeploy's release is the earliest seen, but vLLM's
    copy ends before V4 and TensorRT-LLM was never read, so the cell is an upper bound (docs/data.md)."""
    with seeded.factory() as session:
        nvidia = _vendor_cell(session, "deepseek-ai/DeepSeek-V4-Pro", "nvidia", "released")
        assert (nvidia.status, nvidia.via_runtime, nvidia.complete) == ("later", "lmdeploy", False)
        assert nvidia.gap_hours is not None and nvidia.runtimes_total == 7
        unobserved = set((nvidia.unobserved_runtimes or "").split(", "))
        assert {"vllm", "tensorrt-llm"} <= unobserved
        app = create_app(start_watchers=False)
        app.dependency_overrides[get_session] = lambda: session
        client = TestClient(app)
        html = client.get(
            "/", params={"stage": "released", "view": "vendors", "publisher": "deepseek-ai"}
        ).text
        # V4-Pro is known to the day: the bound is in whole days
        assert f"≤ +{math.floor(nvidia.gap_hours / 24)} d" in html and "tensorrt-llm" in html
        # the leaderboard says per vendor how many cells it left out as incomplete
        stats = client.get("/api/v1/stats/vendors", params={"stage": "released"}).json()["items"]
        incomplete = {s["vendor"]: s["incomplete"] for s in stats}
        assert incomplete["nvidia"] > 0
        leaderboard = client.get("/", params={"stage": "released"}).text
        shown = dict(re.findall(r'data-vendor="(\w+)">.*?data-incomplete="(\d+)"', leaderboard, re.DOTALL))
        ranked = {s["vendor"] for s in stats if s["runtimes_observed"]}
        assert shown == {vendor: str(count) for vendor, count in incomplete.items() if vendor in ranked}


def test_a_key_is_new_only_if_nothing_public_shows_it_earlier(seeded: Seeded) -> None:
    """Qwen2ForCausalLM and LlamaForCausalLM were in runtimes months before Qwen2-72B and Llama-3-70B: not new,
    so no pre-release cell anywhere; Qwen3's code merged weeks before its weights: pre-release stays
    (docs/data.md, "Key novelty on the bundled data")."""
    with seeded.factory() as session:
        for repo_id in ("Qwen/Qwen2-72B-Instruct", "meta-llama/Meta-Llama-3-70B-Instruct"):
            rows = session.scalars(select(GapRecord).where(GapRecord.repo_id == repo_id)).all()
            assert rows and all(r.status != "pre-release" for r in rows), repo_id
            assert {r.key_is_new for r in rows if r.key_kind == "architecture"} == {False}, repo_id
        qwen3 = session.scalars(
            select(GapRecord).where(
                GapRecord.repo_id == "Qwen/Qwen3-235B-A22B",
                GapRecord.row_kind == "runtime",
                GapRecord.stage == "merged",
            )
        ).all()
        early = {r.runtime for r in qwen3 if r.status == "pre-release"}
        assert {"vllm", "sglang", "transformers", "llama.cpp", "mlx-lm"} <= early
        # one answer per key: every row matching on the architecture says the same
        assert {r.key_is_new for r in qwen3 if r.key_kind == "architecture"} == {True}


def test_a_vendor_cells_first_final_release_is_its_own_runtimes(seeded: Seeded) -> None:
    """DeepSeek-V4-Pro's Huawei cell has its support from vllm-ascend: its first final release is vllm-ascend's,
    not xLLM's v0.10.0."""
    with seeded.factory() as session:
        huawei = _vendor_cell(session, "deepseek-ai/DeepSeek-V4-Pro", "huawei", "released")
        ascend = session.execute(
            select(GapRecord).where(
                GapRecord.repo_id == "deepseek-ai/DeepSeek-V4-Pro",
                GapRecord.row_kind == "runtime",
                GapRecord.runtime == "vllm-ascend",
                GapRecord.stage == "released",
            )
        ).scalar_one()
        assert huawei.via_runtime == "vllm-ascend" and huawei.first_final_tag == ascend.first_final_tag
        assert huawei.first_final_tag is not None and huawei.first_final_tag != "v0.10.0"


def _v4_pro_on_mi355x(seeded: Seeded) -> dict:
    with seeded.factory() as session:
        app = create_app(start_watchers=False)
        app.dependency_overrides[get_session] = lambda: session
        response = TestClient(app).get(
            "/api/v1/models/deepseek-ai/DeepSeek-V4-Pro/requirements", params={"sku": "mi355x"}
        )
    assert response.status_code == 200, response.text
    [vllm] = [i for i in response.json()["items"] if i["runtime"] == "vllm"]
    return vllm


def test_which_vllm_version_runs_deepseek_v4_pro_on_mi355x(seeded: Seeded) -> None:
    """Issue 24's question on the real data: vLLM's releases are not observed for V4 (its copy ends before
    V4), yet the recipes state the minimum (0.20.0) and verified MI355X on 2026-06-10."""
    vllm = _v4_pro_on_mi355x(seeded)
    assert vllm["releases_observed"] is False and vllm["first_release"] is None
    assert vllm["min_version"]["version"] == "0.20.0"
    assert vllm["min_version"]["evidence_url"].startswith("https://github.com/vllm-project/recipes/blob/")
    checked = vllm["verification"]
    assert (checked["sku"], checked["source"], checked["at"][:10]) == ("MI355X", "vllm-recipes", "2026-06-10")
    assert checked["evidence_url"].startswith("https://github.com/vllm-project/recipes/")


def test_the_bundled_snapshot_carries_the_recipes_images(seeded: Seeded, bundled: Snapshot) -> None:
    """Format 2 carries ``model.docker_image`` (issue 24). The bundled file is rebuilt by the lead: until
    then it is version 1, which has no images, and this test says so instead of passing."""
    if bundled.version < 2:
        pytest.skip("the bundled snapshot is format version 1 (no images) until it is rebuilt")
    images = [s for s in bundled.statements if s.kind == "image"]
    # vllm-project/recipes at 8959cf64189c: 25 recipes name images — 12 one for every vendor, 13 a map by
    # vendor (12 amd, 10 nvidia, one of them by CUDA build) (docs/runtimes.md)
    assert len({s.key for s in images}) >= 25
    assert {s.vendor for s in images} == {None, "amd", "nvidia"}
    vllm = _v4_pro_on_mi355x(seeded)
    [image] = [s for s in vllm["statements"] if s["kind"] == "image"]
    assert (image["vendor"], image["value"], image["source"]) == (
        "amd",
        "vllm/vllm-openai-rocm:nightly",
        "vllm-recipes",
    )
    assert image["evidence_url"].startswith("https://github.com/vllm-project/recipes/blob/")

"""Snapshots on real git repositories built here and real databases: build from declared copies (evidence
links name the upstream), the file format, additive idempotent import, first-start seeding, the CLI."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.clock import utcnow
from app.config import Settings
from app.db.session import create_db_engine, session_factory
from app.main import create_app
from app.models import (
    GapRecord,
    KeyMapping,
    Model,
    Runtime,
    SourceCoverage,
    SourceState,
    SupportEvent,
    VersionStatement,
)
from app.services.jobs import bootstrap_reference_data
from app.services.operations.bootstrap import BUNDLED_RELEASE_FACTS
from app.services.releases.facts import read_release_facts
from app.services.runtimes.catalog_rows import sync_catalog
from app.services.runtimes.scan import scan_runtime
from app.services.runtimes.store import store_events, store_key_mapping
from app.services.snapshot import Snapshot, SnapshotError, read_snapshot, write_snapshot
from app.services.snapshot.build import CopySpec, build_snapshot, read_sources
from app.services.snapshot.exchange import SNAPSHOT_STATE, export_snapshot, import_snapshot
from app.services.snapshot.format import (
    CoverageRow,
    EventRow,
    KeyMappingRow,
    ReleaseRow,
    SourceRow,
    StatementRow,
    encode,
)
from app.sources.runtimes.catalog import CATALOG, get_runtime
from app.sources.runtimes.scanner import ScanEvent
from tests.fakes.repo_builder import RepoBuilder

NOW = datetime(2026, 9, 1, tzinfo=UTC)
REGISTRY = "vllm/model_executor/models/registry.py"
DOCS = "docs/usage/supported_models.md"
VLLM_URL = get_runtime("vllm").repo_url
ASCEND_URL = get_runtime("vllm-ascend").repo_url


def registry(*archs: str) -> str:
    body = "".join(f'    "{a}": ("{a.lower()}", "{a}"),\n' for a in archs)
    return f"_TEXT_GENERATION_MODELS = {{\n{body}}}\n"


def make_copies(root: Path) -> dict[str, RepoBuilder]:
    """Three copies as `fetch` leaves them (owner+name/repo): a vLLM mirror of main without tags, a vLLM
    fork with upstream's tags plus its own under an upstream name, and vllm-ascend itself with a docs page."""
    mirror = RepoBuilder(root / "mirror+vllm" / "repo")
    mirror.commit({REGISTRY: registry("LlamaForCausalLM")}, at="2024-03-01T10:00:00Z", message="Init (#1)")
    mirror.commit({REGISTRY: registry("LlamaForCausalLM", "DeepseekV3ForCausalLM")},
                  at="2024-12-27T00:09:44Z", message="DeepSeek V3 (#11)")  # fmt: skip
    fork = RepoBuilder(root / "fork+vllm" / "repo")
    fork.commit({REGISTRY: registry("LlamaForCausalLM")}, at="2024-11-01T10:00:00Z", message="Fork point")
    fork.tag("v0.6.5", annotated=True, at="2024-12-17T10:00:00Z")
    fork.commit({REGISTRY: registry("LlamaForCausalLM", "DeepseekV3ForCausalLM")}, at="2024-12-20T10:00:00Z",
                message="Downstream cherry-pick")  # fmt: skip
    fork.tag("v0.6.6", annotated=True, at="2024-12-20T11:00:00Z")  # the fork's own tag, upstream's name
    fork.tag("v0.6.6.post1", annotated=True, at="2024-12-27T06:23:29Z")
    fork.commit({"README.md": "fork\n"}, at="2025-01-10T10:00:00Z", message="The fork's own work")
    ascend = RepoBuilder(root / "vllm-project+vllm-ascend" / "repo")
    ascend.commit({DOCS: "| Model | Support |\n|---|---|\n| Qwen3 | ✅ |\n"}, at="2025-04-29T10:00:00Z")
    ascend.commit({DOCS: "| Model | Support |\n|---|---|\n| Qwen3 | ✅ |\n| DeepSeek V3 | ✅ |\n"},
                  at="2025-05-06T10:00:00Z")  # fmt: skip
    return {"mirror": mirror, "fork": fork, "ascend": ascend}


COPIES = [
    CopySpec("vllm", "mirror/vllm", stages=("merged",)),
    CopySpec("vllm", "fork/vllm", stages=("released",), excluded_tags=("v0.6.6",)),
    CopySpec("vllm-ascend", "vllm-project/vllm-ascend"),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Snapshot, dict[str, RepoBuilder], Path]:
    root = tmp_path_factory.mktemp("snapshot-build")
    repos = make_copies(root / "copies")
    snapshot = build_snapshot(COPIES, copies_dir=root / "copies", work_dir=root / "work", clock=utcnow)
    return snapshot, repos, root


def _event(snapshot: Snapshot, runtime: str, key: str, stage: str) -> EventRow:
    (event,) = [
        e for e in snapshot.events if (e.runtime, e.key, e.stage, e.event) == (runtime, key, stage, "added")
    ]
    return event


def test_build_reads_declared_copies_with_links_to_the_upstream(built) -> None:  # type: ignore[no-untyped-def]
    snapshot, repos, _root = built
    merged = _event(snapshot, "vllm", "DeepseekV3ForCausalLM", "merged")
    assert merged.commit == repos["mirror"].head()
    assert merged.evidence_url == f"{VLLM_URL}/commit/{merged.commit}"
    # releases come from the fork's upstream tags only: its own v0.6.6 is ignored, so v0.6.6.post1 it is
    released = _event(snapshot, "vllm", "DeepseekV3ForCausalLM", "released")
    assert (released.tag, released.at) == ("v0.6.6.post1", datetime(2024, 12, 27, 6, 23, 29, tzinfo=UTC))
    assert released.evidence_url == f"{VLLM_URL}/releases/tag/v0.6.6.post1"
    assert not [e for e in snapshot.events if e.tag == "v0.6.6"]
    # the fork's main line gives no merged dates (it is listed for its tags only)
    fork_line = set(repos["fork"].git("rev-list", "HEAD").split())
    assert not [e for e in snapshot.events if e.stage == "merged" and e.commit in fork_line]
    # a docs line links to the page at that commit
    documented = _event(snapshot, "vllm-ascend", "DeepSeek V3", "documented")
    assert documented.evidence_url == f"{ASCEND_URL}/blob/{documented.commit}/{DOCS}"
    # every event carries its commit, and its link contains it
    assert all(e.commit and e.evidence_url and (e.commit in e.evidence_url or e.tag in e.evidence_url)
               for e in snapshot.events)  # fmt: skip
    # coverage: each stage as far as the refs it was read from go, named by the copy (not a local path)
    coverage = {(c.runtime, c.stage): c for c in snapshot.coverage}
    assert coverage[("vllm", "merged")].observed_until == datetime(2024, 12, 27, 0, 9, 44, tzinfo=UTC)
    assert coverage[("vllm", "released")].observed_until == datetime(
        2024, 12, 20, 10, tzinfo=UTC
    )  # tags only
    assert coverage[("vllm", "released")].source == "fork/vllm"
    assert ("vllm", "branch") not in coverage  # neither copy is read for branches
    assert coverage[("vllm-ascend", "documented")].observed_until == datetime(2025, 5, 6, 10, tzinfo=UTC)
    heads = {(s.runtime, s.copy): (s.head, s.head_at) for s in snapshot.sources}
    assert heads[("vllm", "mirror/vllm")] == (
        repos["mirror"].head(),
        datetime(2024, 12, 27, 0, 9, 44, tzinfo=UTC),
    )
    assert snapshot.cutoff == datetime(2025, 5, 6, 10, tzinfo=UTC)
    assert {r.repo_id for r in snapshot.releases} == {
        f.repo_id for f in read_release_facts(BUNDLED_RELEASE_FACTS)
    }


def test_rebuilding_from_the_same_copies_gives_the_same_bytes(built) -> None:  # type: ignore[no-untyped-def]
    snapshot, _repos, root = built
    again = build_snapshot(COPIES, copies_dir=root / "copies", work_dir=root / "work-again", clock=utcnow)
    assert encode(again) == encode(snapshot)
    data = encode(snapshot)
    assert data[4:8] == b"\0\0\0\0"  # gzip mtime 0: no build time in the bytes


def test_build_names_missing_copies_and_bad_source_lists(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match=r"copies not found under .*: nobody/vllm"):
        build_snapshot(
            [CopySpec("vllm", "nobody/vllm")], copies_dir=tmp_path, work_dir=tmp_path / "w", clock=utcnow
        )
    bad = tmp_path / "sources.json"
    bad.write_text(json.dumps({"copies": [{"runtime": "nope", "copy": "a/b"}, {"runtime": "vllm", "copy": "x",
                                                                              "stages": ["shipped"]}]}))  # fmt: skip
    with pytest.raises(SnapshotError, match=r"entry 1: .*nope.*; entry 2: unknown stages \['shipped'\]"):
        read_sources(bad)


def test_the_bundled_list_of_copies_names_catalog_runtimes() -> None:
    copies = read_sources()
    assert {c.runtime for c in copies} == set(CATALOG) - {"tensorrt-llm"}  # not fetchable here (docs/data.md)
    # forks' pull requests are their own, not upstream's: never read for the proposed stage
    forks = {c.copy for c in copies if not c.pull_requests}
    assert {"Ascend/sglang", "ngxson/llama.cpp", "vasqu/transformers"} <= forks
    read = {(c.runtime, c.copy) for c in copies if c.reads_pull_requests}
    assert ("vllm-ascend", "vllm-project/vllm-ascend") in read and ("mlx-lm", "ml-explore/mlx-lm") in read
    assert ("rocm-vllm", "ROCm/vllm") in read and ("vllm", "ROCm/vllm") not in read


def test_source_list_pull_requests_flag_is_checked(tmp_path: Path) -> None:
    bad = tmp_path / "sources.json"
    bad.write_text(json.dumps({"copies": [{"runtime": "vllm", "copy": "a/b", "pull_requests": "no"}]}))
    with pytest.raises(SnapshotError, match=r"entry 1: pull_requests must be true or false, not 'no'"):
        read_sources(bad)


def test_file_round_trip_and_refusals(built, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    snapshot, _repos, _root = built
    path = tmp_path / "s.jsonl.gz"
    write_snapshot(path, snapshot)
    back = read_snapshot(path)
    assert encode(back) == encode(snapshot)
    lines = gzip.decompress(path.read_bytes()).splitlines()

    def broken(name: str, content: list[bytes]) -> Path:
        target = tmp_path / name
        target.write_bytes(gzip.compress(b"\n".join(content) + b"\n"))
        return target

    with pytest.raises(SnapshotError, match="no such file"):
        read_snapshot(tmp_path / "absent.jsonl.gz")
    (tmp_path / "plain.txt").write_text("not gzip")
    with pytest.raises(SnapshotError, match="not a readable gzip file"):
        read_snapshot(tmp_path / "plain.txt")
    header = json.loads(lines[0])
    with pytest.raises(SnapshotError, match="format version 99; this LaunchGap reads versions 1, 2"):
        read_snapshot(broken("v99", [json.dumps({**header, "version": 99}).encode(), *lines[1:]]))
    with pytest.raises(SnapshotError, match=r"counts in the header .* differ .* \(truncated\?\)"):
        read_snapshot(broken("cut", lines[:-1]))
    last = json.loads(lines[-1])
    with pytest.raises(SnapshotError, match=f"line {len(lines)} \\(event\\): stage: 'shipped' is not one of"):
        read_snapshot(broken("bad", [*lines[:-1], json.dumps({**last, "stage": "shipped"}).encode()]))
    with pytest.raises(SnapshotError, match="appears twice"):
        read_snapshot(
            broken("twice", [json.dumps({**header, "counts": None}).encode(), *lines[1:], lines[-1]])
        )


def _hand_snapshot() -> Snapshot:
    at = datetime(2024, 12, 27, 0, 9, 44, tzinfo=UTC)
    event = EventRow(
        runtime="vllm", key_kind="architecture", key="DeepseekV3ForCausalLM", stage="merged", event="added",
        at=at, author_at=at, commit="f49777ba62b4926d0f8c100ab06edb03c5c10098", tag="", branch="main", sku="",
        signal="registry", pr_number=11, is_prerelease=None,
        evidence_url=f"{VLLM_URL}/commit/f49777ba62b4926d0f8c100ab06edb03c5c10098", provenance="git",
        confidence="high",
    )  # fmt: skip
    released = replace(
        event, stage="released", tag="v0.6.6.post1", branch="", pr_number=None, is_prerelease=False,
        at=datetime(2024, 12, 27, 6, 23, 29, tzinfo=UTC), evidence_url=f"{VLLM_URL}/releases/tag/v0.6.6.post1",
    )  # fmt: skip
    day = datetime(2024, 12, 26, tzinfo=UTC)
    copy = SourceRow(
        "vllm", "mirror/vllm", VLLM_URL, "main", "ab" * 20, datetime(2026, 8, 22, 20, 52, tzinfo=UTC)
    )
    coverage = [
        CoverageRow(
            "vllm", "merged", True, datetime(2026, 5, 24, 15, 14, tzinfo=UTC), "local", "mirror/vllm"
        ),
        CoverageRow("vllm", "released", True, datetime(2025, 7, 8, tzinfo=UTC), "local", "fork/vllm"),
    ]
    stated = StatementRow(
        "vllm-recipes", "repo_id", "deepseek-ai/DeepSeek-V4-Pro", "vllm", "0.20.0", "cd" * 20,
        "models/deepseek-ai/DeepSeek-V4-Pro.yaml", "https://github.com/vllm-project/recipes/blob/x/y.yaml",
    )  # fmt: skip
    return Snapshot(
        sources=[copy],
        coverage=coverage,
        statements=[stated],
        events=[event, released],
        key_mappings=[
            KeyMappingRow(
                "llama.cpp",
                "architecture",
                "DeepseekV3ForCausalLM",
                "gguf_architecture",
                "deepseek2",
                "9394bbd484f802ce80d2858033583af3ef700d25",
            )
        ],
        releases=[
            ReleaseRow(
                "deepseek-ai/DeepSeek-V3",
                ("DeepseekV3ForCausalLM",),
                "deepseek_v3",
                day,
                "day",
                "bundled",
                "widely reported",
                "medium",
                None,
            ),
            ReleaseRow(
                "acme/Estimated-7B",
                ("LlamaForCausalLM",),
                "llama",
                day,
                "day",
                "bundled",
                "blog",
                "high",
                None,
            ),
            ReleaseRow(
                "acme/Fresh-1B", ("LlamaForCausalLM",), "llama", day, "second", "observed", None, "high", None
            ),
        ],
    )


def _counts(session: Session) -> tuple[int, ...]:
    return tuple(
        session.scalar(select(func.count()).select_from(table)) or 0
        for table in (SupportEvent, KeyMapping, Model, SourceState, SourceCoverage, VersionStatement)
    )


def test_import_adds_never_overwrites_and_is_idempotent(session: Session) -> None:
    snapshot = _hand_snapshot()
    sync_catalog(session)
    # what this database already knows: the same merged event seen live (no link), an operator's release time
    # to the second, a Hub estimate, and llama.cpp's mapping read live
    live = snapshot.events[0]
    vllm_id = session.scalar(select(Runtime.id).where(Runtime.name == "vllm"))
    assert vllm_id is not None
    store_events(session, vllm_id, [ScanEvent(
        runtime="vllm", key=live.key, key_kind=live.key_kind, stage=live.stage, event=live.event, at=live.at,
        author_at=live.author_at, commit=live.commit, tag="", branch="main", sku="", signal="registry",
        provenance="git", confidence="high", pr_number=11, is_prerelease=None, evidence_url=None,
    )], NOW)  # fmt: skip
    operator_time = datetime(2024, 12, 26, 12, 34, 56, tzinfo=UTC)
    session.add_all([
        Model(repo_id="deepseek-ai/DeepSeek-V3", architectures=["DeepseekV3ForCausalLM"], model_type="deepseek_v3",
              release_at=operator_time, release_at_source="imported", release_at_precision="second",
              release_source_detail="operator", release_confidence="high", base_models=[], tags=[], hub_extra={}),
        Model(repo_id="acme/Estimated-7B", architectures=["LlamaForCausalLM"], model_type="llama",
              release_at=datetime(2024, 12, 20, tzinfo=UTC), release_at_source="created_at_estimate",
              base_models=[], tags=[], hub_extra={}),
    ])  # fmt: skip
    store_key_mapping(session, "llama.cpp", {"LlamaForCausalLM": "llama"}, commit="live", now=NOW)
    live_until = datetime(2026, 11, 1, tzinfo=UTC)
    session.add(SourceCoverage(runtime="vllm", stage="merged", observed=True, observed_until=live_until,
                               copy="fetched", source=VLLM_URL, recorded_at=NOW))  # fmt: skip
    session.flush()

    report = import_snapshot(session, snapshot, now=NOW)
    assert (report.events_new, report.events_present) == (1, 1)
    assert (report.key_mappings_new, report.key_mappings_kept) == (0, 1)
    assert (report.releases_created, report.releases_filled, report.releases_kept) == (1, 1, 1)
    assert (report.coverage_new, report.coverage_kept) == (1, 1)
    assert (report.statements_new, report.statements_kept) == (1, 0)
    assert session.scalars(select(VersionStatement.value)).all() == ["0.20.0"]
    coverage = {
        (c.stage): c for c in session.scalars(select(SourceCoverage).where(SourceCoverage.runtime == "vllm"))
    }
    assert (coverage["merged"].observed_until, coverage["merged"].copy) == (live_until, "fetched")  # kept
    assert (coverage["released"].observed_until, coverage["released"].source) == (
        datetime(2025, 7, 8, tzinfo=UTC),
        "fork/vllm",
    )
    events = session.scalars(select(SupportEvent).order_by(SupportEvent.stage)).all()
    assert [(e.stage, e.evidence_url) for e in events] == [
        ("merged", None),  # the live event is kept as it was
        ("released", f"{VLLM_URL}/releases/tag/v0.6.6.post1"),
    ]
    models = {m.repo_id: m for m in session.scalars(select(Model))}
    v3 = models["deepseek-ai/DeepSeek-V3"]
    assert (v3.release_at, v3.release_source_detail) == (operator_time, "operator")
    estimated = models["acme/Estimated-7B"]
    assert (estimated.release_at, estimated.release_at_source) == (
        datetime(2024, 12, 26, tzinfo=UTC),
        "bundled",
    )
    fresh = models["acme/Fresh-1B"]
    assert fresh.release_at_source == "bundled"  # another instance's observation is, here, a bundled fact
    assert session.scalars(select(KeyMapping.to_key)).all() == ["llama"]
    record = session.execute(select(SourceState).where(SourceState.kind == SNAPSHOT_STATE)).scalar_one()
    assert record.name == report.digest[:16]

    before = _counts(session)
    again = import_snapshot(session, snapshot, now=datetime(2026, 9, 2, tzinfo=UTC))
    assert not again.changed and again.events_present == 2
    assert _counts(session) == before
    assert (
        session.execute(select(SourceState).where(SourceState.kind == SNAPSHOT_STATE))
        .scalar_one()
        .last_checked_at
        == NOW
    )


def test_import_refuses_runtimes_the_catalog_lacks(session: Session) -> None:
    snapshot = _hand_snapshot()
    snapshot.events.append(replace(snapshot.events[0], runtime="retired-runtime"))
    with pytest.raises(SnapshotError, match="runtimes this catalog does not know: retired-runtime"):
        import_snapshot(session, snapshot, now=NOW)
    assert session.scalar(select(func.count()).select_from(SupportEvent)) == 0


def test_export_of_a_scanned_database_imports_elsewhere_unchanged(
    session: Session, fresh_database_url: str, tmp_path: Path
) -> None:
    repos = make_copies(tmp_path / "copies")
    sync_catalog(session)
    scan_runtime(session, get_runtime("vllm"), data_dir=tmp_path / "data", repo=str(repos["mirror"].path),
                 upstream=VLLM_URL, now=NOW)  # fmt: skip
    exported = export_snapshot(session)
    assert [(s.runtime, s.head) for s in exported.sources] == [("vllm", repos["mirror"].head())]
    engine = create_db_engine(fresh_database_url)
    try:
        with session_factory(engine)() as other:
            import_snapshot(other, exported, now=NOW)
            other.commit()
            again = export_snapshot(other, sources=exported.sources)
    finally:
        engine.dispose()
    assert encode(again) == encode(exported)


def test_first_start_seeds_an_empty_database_only(fresh_database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "bundled.jsonl.gz"
    write_snapshot(path, _hand_snapshot())
    engine = create_db_engine(fresh_database_url)
    factory = session_factory(engine)
    try:
        off = Settings(database_url=fresh_database_url, seed_release_facts=False)
        bootstrap_reference_data(factory, off, now=NOW, snapshot=path)
        with factory() as session:
            assert session.scalar(select(func.count()).select_from(SupportEvent)) == 0
        on = Settings(database_url=fresh_database_url)
        bootstrap_reference_data(factory, on, now=NOW, snapshot=path)
        with factory() as session:
            assert session.scalar(select(func.count()).select_from(SupportEvent)) == 2
            cell = session.execute(
                select(GapRecord).where(
                    GapRecord.repo_id == "deepseek-ai/DeepSeek-V3",
                    GapRecord.row_kind == "runtime",
                    GapRecord.runtime == "vllm",
                    GapRecord.stage == "released",
                )
            ).scalar_one()
            assert (cell.tag, cell.evidence_url) == ("v0.6.6.post1", f"{VLLM_URL}/releases/tag/v0.6.6.post1")
        # pages say how old the evidence is, per runtime too
        with TestClient(create_app(off, start_watchers=False)) as client:
            assert "Runtime evidence as of 2026-08-22 20:52 UTC from the" in client.get("/").text
            page = client.get("/runtimes/vllm").text
            assert (
                "as of 2026-08-22 20:52 UTC: copy <code>mirror/vllm</code> at <code>abababababab</code>"
                in page
            )
            assert "From the snapshot" not in client.get("/runtimes/sglang").text
        # a database with evidence of its own is never seeded again, even with another snapshot
        other = tmp_path / "other.jsonl.gz"
        snapshot = _hand_snapshot()
        snapshot.events = [replace(e, commit="0" * 40) for e in snapshot.events]
        write_snapshot(other, snapshot)
        bootstrap_reference_data(factory, on, now=NOW, snapshot=other)
        with factory() as session:
            assert session.scalar(select(func.count()).select_from(SupportEvent)) == 2
    finally:
        engine.dispose()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from app.config import get_settings
    from app.db.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url)
    monkeypatch.setenv("LAUNCHGAP_DATABASE_URL", url)
    monkeypatch.setenv("LAUNCHGAP_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_cli_build_import_export_and_scan_upstream(cli_env: Path) -> None:
    from app.cli.main import cli

    repos = make_copies(cli_env / "copies")
    sources = cli_env / "sources.json"
    sources.write_text(json.dumps({"copies": [
        {"runtime": c.runtime, "copy": c.copy, "stages": list(c.stages), "excluded_tags": list(c.excluded_tags)}
        for c in COPIES
    ]}))  # fmt: skip
    out = cli_env / "built.jsonl.gz"
    args = ["snapshot", "build", "--copies", str(cli_env / "copies"), "--sources", str(sources), "--out", str(out),
            "--work-dir", str(cli_env / "work")]  # fmt: skip
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert "cutoff 2025-05-06T10:00:00+00:00" in first.stdout and "(unchanged)" not in first.stdout
    second = CliRunner().invoke(cli, args)
    assert "(unchanged)" in second.stdout

    imported = CliRunner().invoke(cli, ["snapshot", "import", str(out)])
    assert imported.exit_code == 0, imported.output
    assert "(as of 2025-05-06)" in imported.stdout
    again = CliRunner().invoke(cli, ["snapshot", "import", str(out)])
    assert "0 new events" in again.stdout
    exported = cli_env / "exported.jsonl.gz"
    result = CliRunner().invoke(cli, ["snapshot", "export", str(exported)])
    assert result.exit_code == 0, result.output
    assert {e.identity() for e in read_snapshot(exported).events} == {
        e.identity() for e in read_snapshot(out).events
    }
    bad = CliRunner().invoke(cli, ["snapshot", "import", str(cli_env / "sources.json")])
    assert bad.exit_code == 2 and "not a readable gzip file" in bad.stderr

    # scan: a local copy links to nothing unless --upstream declares what it copies
    plain = CliRunner().invoke(cli, ["scan", "vllm", "--repo", str(repos["mirror"].path), "--json"])
    assert {e["evidence_url"] for e in json.loads(plain.stdout)} == {None}
    declared = CliRunner().invoke(
        cli, ["scan", "vllm", "--repo", str(repos["mirror"].path), "--upstream", VLLM_URL, "--json"]
    )
    urls = {e["evidence_url"] for e in json.loads(declared.stdout)}
    assert urls == {f"{VLLM_URL}/commit/{c}" for c in repos["mirror"].git("rev-list", "HEAD").split()}
    lonely = CliRunner().invoke(cli, ["scan", "vllm", "--upstream", VLLM_URL, "--json"])
    assert lonely.exit_code == 2 and "give --repo too" in lonely.output
    lonely = CliRunner().invoke(cli, ["scan", "vllm", "--no-pull-requests", "--json"])
    assert lonely.exit_code == 2 and "give --repo too" in lonely.output


def test_cli_reads_pull_requests_unless_the_copy_is_a_fork(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.cli.main import cli
    from app.config import get_settings

    repos = make_copies(cli_env / "copies")
    mirror = repos["mirror"]
    mirror.branch("pr").commit(
        {
            "vllm/model_executor/models/registry.py": '_TEXT_GENERATION_MODELS = {\n    "Glm5ForCausalLM": ("g", "G"),\n}\n'
        },
        at="2025-04-01T10:00:00Z",
    )
    mirror.git("update-ref", "refs/pull/77/head", mirror.head())
    mirror.checkout("main").git("branch", "-D", "pr")

    def proposed(*args: str) -> list[tuple[str, int]]:
        result = CliRunner().invoke(cli, ["scan", "vllm", *args, "--json"])
        assert result.exit_code == 0, result.output
        return [(e["key"], e["pr_number"]) for e in json.loads(result.stdout) if e["stage"] == "proposed"]

    assert proposed("--repo", str(mirror.path)) == [("Glm5ForCausalLM", 77)]
    assert proposed("--repo", str(mirror.path), "--no-pull-requests") == []
    # a configured copy declared a fork (LAUNCHGAP_FORK_COPIES) is not read for them either
    monkeypatch.setenv("LAUNCHGAP_RUNTIME_REPOS", json.dumps({"vllm": str(mirror.path)}))
    monkeypatch.setenv("LAUNCHGAP_FORK_COPIES", json.dumps(["vllm"]))
    get_settings.cache_clear()
    assert proposed() == []
    monkeypatch.setenv("LAUNCHGAP_FORK_COPIES", "[]")
    get_settings.cache_clear()
    assert proposed() == [("Glm5ForCausalLM", 77)]


def test_configured_copy_links_to_the_catalog_repository(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.cli.main import cli
    from app.config import get_settings

    repos = make_copies(cli_env / "copies")
    monkeypatch.setenv("LAUNCHGAP_RUNTIME_REPOS", json.dumps({"vllm-ascend": str(repos["ascend"].path)}))
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, ["scan", "vllm-ascend", "--json"])
    assert result.exit_code == 0, result.output
    urls = sorted(e["evidence_url"] for e in json.loads(result.stdout))
    assert urls[0].startswith(f"{ASCEND_URL}/blob/") and urls[0].endswith(DOCS)


RECIPE_URL = "https://github.com/vllm-project/recipes/blob/x/models/deepseek-ai/DeepSeek-V4-Pro.yaml"


def _stated_v4_pro() -> list[StatementRow]:
    pro = ("vllm-recipes", "repo_id", "deepseek-ai/DeepSeek-V4-Pro", "vllm")
    return [
        StatementRow(*pro, "0.20.0", "cd" * 20, "models/deepseek-ai/DeepSeek-V4-Pro.yaml", RECIPE_URL),
        StatementRow(
            *pro, "vllm/vllm-openai-rocm:nightly", "cd" * 20, "models/deepseek-ai/DeepSeek-V4-Pro.yaml",
            RECIPE_URL, kind="image", vendor="amd",
        ),
        StatementRow(
            *pro, "vllm/vllm-openai:deepseekv4-cu129", "cd" * 20, "models/deepseek-ai/DeepSeek-V4-Pro.yaml",
            None, kind="image", vendor="nvidia", variant="cu129",
        ),
    ]  # fmt: skip


def test_format_2_round_trip_with_images(tmp_path: Path, session: Session) -> None:
    snapshot = replace(_hand_snapshot(), statements=_stated_v4_pro())
    path = tmp_path / "v2.jsonl.gz"
    write_snapshot(path, snapshot)
    lines = [json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]
    assert lines[0]["version"] == 2
    image = next(line for line in lines if line.get("kind") == "image" and line["vendor"] == "amd")
    assert image == {
        "section": "statement", "source": "vllm-recipes", "key_kind": "repo_id",
        "key": "deepseek-ai/DeepSeek-V4-Pro", "runtime": "vllm", "kind": "image", "vendor": "amd",
        "variant": None, "value": "vllm/vllm-openai-rocm:nightly", "commit": "cd" * 20,
        "path": "models/deepseek-ai/DeepSeek-V4-Pro.yaml", "evidence_url": RECIPE_URL,
    }  # fmt: skip
    back = read_snapshot(path)
    assert back.version == 2 and sorted(back.statements, key=StatementRow.identity) == sorted(
        snapshot.statements, key=StatementRow.identity
    )
    assert encode(back) == encode(snapshot)

    # imported: each statement a row, the images with their vendor and build; exported back the same
    sync_catalog(session)
    report = import_snapshot(session, back, now=NOW)
    assert (report.statements_new, report.statements_kept) == (3, 0)
    rows = {(r.kind, r.vendor, r.variant): r.value for r in session.scalars(select(VersionStatement))}
    assert rows == {
        ("min_version", "", ""): "0.20.0",
        ("image", "amd", ""): "vllm/vllm-openai-rocm:nightly",
        ("image", "nvidia", "cu129"): "vllm/vllm-openai:deepseekv4-cu129",
    }
    exported = export_snapshot(session, sources=[])
    assert sorted(exported.statements, key=StatementRow.identity) == sorted(
        snapshot.statements, key=StatementRow.identity
    )
    # a second import of the same file adds nothing
    again = import_snapshot(session, back, now=NOW)
    assert again.statements_new == 0


def _v1_file(tmp_path: Path, statement: dict[str, object]) -> Path:
    """A version-1 file as LaunchGap wrote it before issue 24: its statement has ``min_version``."""
    header = {
        "format": "launchgap-snapshot", "version": 1, "cutoff": None,
        "counts": {"source": 0, "coverage": 0, "release": 0, "key_mapping": 0, "statement": 1, "event": 0},
    }  # fmt: skip
    lines = [header, {"section": "statement", **statement}]
    path = tmp_path / "v1.jsonl.gz"
    path.write_bytes(gzip.compress(b"".join(json.dumps(line).encode() + b"\n" for line in lines)))
    return path


def test_a_version_1_file_is_still_read(tmp_path: Path, session: Session) -> None:
    v1 = {
        "source": "vllm-recipes", "key_kind": "repo_id", "key": "deepseek-ai/DeepSeek-V4-Pro", "runtime": "vllm",
        "min_version": "0.20.0", "commit": "cd" * 20, "path": "models/deepseek-ai/DeepSeek-V4-Pro.yaml",
        "evidence_url": RECIPE_URL,
    }  # fmt: skip
    back = read_snapshot(_v1_file(tmp_path, v1))
    assert back.version == 1
    [stated] = back.statements
    assert (stated.kind, stated.value, stated.vendor, stated.variant) == ("min_version", "0.20.0", None, None)
    # written again, it is a version-2 file
    assert json.loads(gzip.decompress(encode(back)).splitlines()[0])["version"] == 2
    sync_catalog(session)
    assert import_snapshot(session, back, now=NOW).statements_new == 1
    row = session.scalars(select(VersionStatement)).one()
    assert (row.kind, row.value, row.vendor, row.variant) == ("min_version", "0.20.0", "", "")
    # version 1 had no images: a version-1 line with version 2's fields is refused, as is one without its
    # minimum
    with pytest.raises(SnapshotError, match=r"unknown field\(s\) kind, value \(format version 1\)"):
        read_snapshot(_v1_file(tmp_path, {**v1, "kind": "image", "value": "x"}))
    missing = {k: v for k, v in v1.items() if k != "min_version"}
    with pytest.raises(SnapshotError, match="field 'min_version' is missing"):
        read_snapshot(_v1_file(tmp_path, missing))


def test_format_2_refuses_bad_statements(tmp_path: Path) -> None:
    [_minimum, image, _cuda] = _stated_v4_pro()
    for bad, why in [
        (replace(image, kind="install"), "kind: 'install' is not one of min_version, image"),
        (replace(image, vendor="acme"), "vendor: 'acme' is not one of"),
        (replace(image, value="x" * 301), "value: longer than 300 characters"),
    ]:
        path = tmp_path / "bad.jsonl.gz"
        write_snapshot(path, Snapshot(statements=[bad]))
        with pytest.raises(SnapshotError, match=why):
            read_snapshot(path)

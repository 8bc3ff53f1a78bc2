"""The scanner on real git repositories built in tmp dirs, stored on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.runtime import Runtime, RuntimeVendor
from app.models.source_state import SourceState
from app.models.support import SupportEvent
from app.services.runtimes.catalog_rows import sync_catalog
from app.services.runtimes.fetch import collect_events
from app.services.runtimes.scan import ScanError, scan_runtime
from app.sources.runtimes.catalog import CATALOG, get_runtime
from tests.fakes.repo_builder import RepoBuilder

NOW = datetime(2026, 6, 1, tzinfo=UTC)
VLLM = get_runtime("vllm")


def registry(*archs: str, name: str = "_TEXT_GENERATION_MODELS", extra: str = "") -> str:
    body = "".join(f'    "{a}": ("{a.lower()}", "{a}"),\n' for a in archs)
    return f'"""Models registry."""\n{name} = {{\n{body}{extra}}}\n'


def vllm_history(path: Path) -> RepoBuilder:
    """Every registry era of vLLM, in miniature."""
    repo = RepoBuilder(path)
    repo.commit({"cacheflow/model_executor/model_loader.py": '_MODEL_REGISTRY = {\n    "gpt2": GPT2,\n    "LlamaForCausalLM": Llama,\n}\n'},
                at="2023-05-09T10:00:00Z", message="Add registry (#82)")  # fmt: skip
    # era 1 -> 2: the file moves to vllm/ within one commit (no removal, no re-addition)
    repo.commit({"cacheflow/model_executor/model_loader.py": None,
                 "vllm/model_executor/model_loader.py": '_MODEL_REGISTRY = {\n    "LlamaForCausalLM": Llama,\n    "OPTForCausalLM": OPT,\n}\n'},
                at="2023-06-01T10:00:00Z", author_at="2023-05-20T08:00:00Z", message="Rename to vLLM (#100)")  # fmt: skip
    # era 2 -> 3
    repo.commit({"vllm/model_executor/model_loader.py": "from vllm.model_executor.models import ModelRegistry\n",
                 "vllm/model_executor/models/__init__.py": registry("LlamaForCausalLM", "OPTForCausalLM", name="_MODELS")},
                at="2023-12-01T10:00:00Z", message="Lazy registry (#200)")  # fmt: skip
    repo.tag("v0.2.5", annotated=True, at="2023-12-05T10:00:00Z")
    # a commented-out registration does not count; OPT removed
    repo.commit({"vllm/model_executor/models/__init__.py": registry("LlamaForCausalLM", name="_MODELS",
                 extra='    # "MixtralForCausalLM": ("mixtral", "MixtralForCausalLM"),\n')},
                at="2024-01-10T10:00:00Z", message="Drop OPT (#300)")  # fmt: skip
    # era 3 -> 4 (split into two dicts in a new file), OPT re-added
    repo.commit({"vllm/model_executor/models/__init__.py": "from .registry import ModelRegistry\n",
                 "vllm/model_executor/models/registry.py": registry("LlamaForCausalLM", "OPTForCausalLM")
                 + registry("LlavaForConditionalGeneration", name="_MULTIMODAL_MODELS")},
                at="2024-10-01T10:00:00Z", message="Registry module (#400)")  # fmt: skip
    repo.tag("v0.6.3", at="2024-10-02T10:00:00Z")
    return repo


def test_sync_catalog_is_idempotent(session: Session) -> None:
    sync_catalog(session)
    sync_catalog(session)
    assert session.scalar(select(func.count()).select_from(Runtime)) == len(CATALOG)
    vllm = session.execute(select(Runtime).where(Runtime.name == "vllm")).scalar_one()
    assert [link.vendor.slug for link in vllm.vendor_links] == ["nvidia"]
    transformers = session.execute(select(Runtime).where(Runtime.name == "transformers")).scalar_one()
    assert transformers.vendor_links == []
    assert session.scalar(select(func.count()).select_from(RuntimeVendor)) == sum(
        len(s.vendors) for s in CATALOG.values()
    )


def test_merged_events_across_every_era(tmp_path: Path) -> None:
    repo = vllm_history(tmp_path / "vllm")
    events = [
        e
        for e in collect_events(VLLM, data_dir=tmp_path / "data", repo=str(repo.path))
        if e.stage == "merged"
    ]
    got = [(e.key, e.event, e.at.date().isoformat(), e.pr_number) for e in events]
    assert got == [
        ("LlamaForCausalLM", "added", "2023-05-09", 82),
        ("OPTForCausalLM", "added", "2023-06-01", 100),
        ("OPTForCausalLM", "removed", "2024-01-10", 300),
        ("LlavaForConditionalGeneration", "added", "2024-10-01", 400),
        ("OPTForCausalLM", "added", "2024-10-01", 400),
    ]
    opt = events[1]
    assert opt.author_at == datetime(2023, 5, 20, 8, tzinfo=UTC)
    assert opt.commit == repo.head("HEAD~3")
    assert opt.evidence_url is None  # a local path has no web address


def test_released_stage_uses_tag_dates_and_release_branch_content(tmp_path: Path) -> None:
    repo = vllm_history(tmp_path / "vllm")
    # a release branch carries Mixtral (rc then final) before main gets it
    repo.branch("releases/v0.6.4").commit(
        {
            "vllm/model_executor/models/registry.py": registry(
                "LlamaForCausalLM", "OPTForCausalLM", "MixtralForCausalLM"
            )
        },
        at="2024-11-01T10:00:00Z",
    )
    repo.tag("v0.6.4rc1", annotated=True, at="2024-11-02T10:00:00Z").tag("v0.6.4", at=None)
    repo.checkout("main").commit(
        {"vllm/model_executor/models/registry.py": registry("LlamaForCausalLM", "OPTForCausalLM", "MixtralForCausalLM")},
        at="2024-12-01T10:00:00Z", message="Mixtral (#500)",
    )  # fmt: skip
    events = collect_events(VLLM, data_dir=tmp_path / "data", repo=str(repo.path))
    released = {
        (e.key, e.tag, e.is_prerelease, e.at.date().isoformat()) for e in events if e.stage == "released"
    }
    assert ("LlamaForCausalLM", "v0.2.5", False, "2023-12-05") in released  # annotated: tagger date
    assert ("OPTForCausalLM", "v0.2.5", False, "2023-12-05") in released
    assert (
        "LlavaForConditionalGeneration",
        "v0.6.3",
        False,
        "2024-10-01",
    ) in released  # lightweight: commit date
    assert ("MixtralForCausalLM", "v0.6.4rc1", True, "2024-11-02") in released
    assert ("MixtralForCausalLM", "v0.6.4", False, "2024-11-01") in released
    branch = [(e.key, e.branch) for e in events if e.stage == "branch"]
    assert branch == [("MixtralForCausalLM", "releases/v0.6.4")]
    merged = [e for e in events if e.stage == "merged" and e.key == "MixtralForCausalLM"]
    assert merged[0].at.date().isoformat() == "2024-12-01"


def test_scan_runtime_stores_idempotently_and_rescans_incrementally(session: Session, tmp_path: Path) -> None:
    sync_catalog(session)
    repo = vllm_history(tmp_path / "vllm")
    first = scan_runtime(session, VLLM, data_dir=tmp_path / "data", repo=str(repo.path), now=NOW)
    assert first.events_inserted == first.events_found > 0
    again = scan_runtime(session, VLLM, data_dir=tmp_path / "data", repo=str(repo.path), now=NOW)
    assert again.events_found == 0 and again.commits_walked == 0
    repo.commit({"vllm/model_executor/models/registry.py": registry("LlamaForCausalLM", "OPTForCausalLM", "Qwen3ForCausalLM")},
                at="2025-04-07T10:00:00Z", message="Qwen3 (#600)")  # fmt: skip
    third = scan_runtime(session, VLLM, data_dir=tmp_path / "data", repo=str(repo.path), now=NOW)
    assert third.commits_walked == 1
    added = {
        (e.support_key.key, e.event)
        for e in _events(session)
        if e.stage == "merged" and e.commit == repo.head()
    }
    assert added == {("Qwen3ForCausalLM", "added"), ("LlavaForConditionalGeneration", "removed")}
    total = session.scalar(select(func.count()).select_from(SupportEvent))
    # a fresh full scan (cursor lost) duplicates nothing
    state = session.execute(select(SourceState).where(SourceState.name == "vllm")).scalar_one()
    state.cursor = {}
    session.flush()
    scan_runtime(session, VLLM, data_dir=tmp_path / "data", repo=str(repo.path), now=NOW)
    assert session.scalar(select(func.count()).select_from(SupportEvent)) == total


def _events(session: Session) -> list[SupportEvent]:
    return list(session.execute(select(SupportEvent)).scalars())


def test_force_push_retracts_vanished_events(session: Session, tmp_path: Path) -> None:
    repo = vllm_history(tmp_path / "vllm")
    base = repo.head()
    repo.commit({"vllm/model_executor/models/registry.py": registry("LlamaForCausalLM", "OPTForCausalLM", "BadForCausalLM")},
                at="2025-01-01T10:00:00Z", message="oops (#700)")  # fmt: skip
    bad = repo.head()
    scan_runtime(session, VLLM, data_dir=tmp_path / "data", repo=str(repo.path), now=NOW)
    repo.reset_hard(base)
    repo.commit({"vllm/model_executor/models/registry.py": registry("LlamaForCausalLM", "OPTForCausalLM", "GoodForCausalLM")},
                at="2025-01-02T10:00:00Z", message="fixed (#701)")  # fmt: skip
    later = datetime(2026, 6, 2, tzinfo=UTC)
    summary = scan_runtime(session, VLLM, data_dir=tmp_path / "data", repo=str(repo.path), now=later)
    assert summary.retracted >= 1
    events = {(e.support_key.key, e.commit): e for e in _events(session) if e.stage == "merged"}
    assert events[("BadForCausalLM", bad)].retracted_at == later
    assert events[("GoodForCausalLM", repo.head())].retracted_at is None
    assert events[("LlamaForCausalLM", repo.head("HEAD~5"))].retracted_at is None
    assert len([k for k in events if k[0] == "LlamaForCausalLM"]) == 1


def test_partial_clone_from_a_file_url(session: Session, tmp_path: Path) -> None:
    repo = vllm_history(tmp_path / "upstream").allow_filter()
    summary = scan_runtime(session, VLLM, data_dir=tmp_path / "data", repo=repo.url, now=NOW)
    mirror = tmp_path / "data" / "mirrors" / "vllm.git"
    assert (mirror / "HEAD").exists()
    config = (mirror / "config").read_text()
    assert "partialclonefilter = blob:none" in config
    assert summary.events_inserted > 0
    urls = {e.evidence_url for e in _events(session)}
    assert urls == {None}  # file:// has no web page
    repo.commit({"vllm/model_executor/models/registry.py": registry("LlamaForCausalLM", "OPTForCausalLM", "Qwen3ForCausalLM")},
                at="2025-04-07T10:00:00Z", message="Qwen3 (#600)")  # fmt: skip
    second = scan_runtime(session, VLLM, data_dir=tmp_path / "data", repo=repo.url, now=NOW)
    assert second.commits_walked == 1 and second.events_inserted == 2  # Qwen3 added, Llava removed


def test_missing_repository_records_failure_and_keeps_nothing(session: Session, tmp_path: Path) -> None:
    with pytest.raises(ScanError, match="does not exist"):
        scan_runtime(session, VLLM, data_dir=tmp_path / "data", repo=str(tmp_path / "nope"), now=NOW)
    state = session.execute(select(SourceState).where(SourceState.name == "vllm")).scalar_one()
    assert state.consecutive_errors == 1 and "does not exist" in (state.last_error or "")
    assert session.scalar(select(func.count()).select_from(SupportEvent)) == 0


def test_rule_matching_nothing_is_an_error(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "r").commit({"README.md": "hello"})
    with pytest.raises(ScanError, match="no rule matched anything"):
        collect_events(VLLM, data_dir=tmp_path / "data", repo=str(repo.path))


def test_unknown_ref_is_an_error(tmp_path: Path) -> None:
    repo = vllm_history(tmp_path / "vllm")
    with pytest.raises(ScanError, match="not found"):
        collect_events(VLLM, data_dir=tmp_path / "data", repo=str(repo.path), ref="nope")


def test_split_within_one_commit_is_no_event_and_new_tags_are_judged_incrementally(
    session: Session, tmp_path: Path
) -> None:
    sglang = get_runtime("sglang")
    repo = RepoBuilder(tmp_path / "sglang")
    models = "python/sglang/srt/models"
    repo.commit({f"{models}/qwen.py": "class A: ...\nEntryClass = [Qwen2ForCausalLM, Qwen3ForCausalLM]\n"},
                at="2025-04-18T00:00:00Z")  # fmt: skip
    # one file split into two in one commit (plus a sub-package): no removal, no re-addition
    repo.commit({f"{models}/qwen.py": None, f"{models}/qwen2.py": "EntryClass = Qwen2ForCausalLM\n",
                 f"{models}/qwen3/model.py": "EntryClass = Qwen3ForCausalLM\n"}, at="2025-04-19T00:00:00Z")  # fmt: skip
    first = scan_runtime(session, sglang, data_dir=tmp_path / "d", repo=str(repo.path), now=NOW)
    merged = [(e.key, e.event) for e in collect_events(sglang, data_dir=tmp_path / "d", repo=str(repo.path))
              if e.stage == "merged"]  # fmt: skip
    assert merged == [("Qwen2ForCausalLM", "added"), ("Qwen3ForCausalLM", "added")]
    assert first.events_inserted == 2
    # a tag created later on an old commit is judged by its tree on the next (incremental) scan
    repo.tag("v0.4.6", ref="HEAD~1", annotated=True, at="2025-04-25T00:00:00Z")
    second = scan_runtime(session, sglang, data_dir=tmp_path / "d", repo=str(repo.path), now=NOW)
    assert second.commits_walked == 0 and second.events_inserted == 2
    released = {(e.support_key.key, e.tag) for e in _events(session) if e.stage == "released"}
    assert released == {("Qwen2ForCausalLM", "v0.4.6"), ("Qwen3ForCausalLM", "v0.4.6")}


def test_corrupt_object_is_a_clear_error(session: Session, tmp_path: Path) -> None:
    repo = vllm_history(tmp_path / "vllm")
    blob = repo.git("rev-parse", "HEAD:vllm/model_executor/models/registry.py")
    loose = repo.path / ".git" / "objects" / blob[:2] / blob[2:]
    loose.chmod(0o644)
    loose.write_bytes(b"not a zlib stream")
    with pytest.raises(ScanError, match=r"corrupt|missing|died"):
        scan_runtime(session, VLLM, data_dir=tmp_path / "d", repo=str(repo.path), now=NOW)
    assert session.scalar(select(func.count()).select_from(SupportEvent)) == 0


def test_rewritten_release_branch_retracts_its_branch_events(session: Session, tmp_path: Path) -> None:
    repo = vllm_history(tmp_path / "vllm")
    repo.branch("releases/v0.7").commit(
        {
            "vllm/model_executor/models/registry.py": registry(
                "LlamaForCausalLM", "OPTForCausalLM", "WrongForCausalLM"
            )
        },
        at="2025-02-01T00:00:00Z",
    )
    scan_runtime(session, VLLM, data_dir=tmp_path / "d", repo=str(repo.path), now=NOW)
    repo.reset_hard("HEAD~1").commit(
        {
            "vllm/model_executor/models/registry.py": registry(
                "LlamaForCausalLM", "OPTForCausalLM", "RightForCausalLM"
            )
        },
        at="2025-02-02T00:00:00Z",
    )
    repo.checkout("main")
    later = datetime(2026, 6, 3, tzinfo=UTC)
    scan_runtime(session, VLLM, data_dir=tmp_path / "d", repo=str(repo.path), now=later)
    branch = {e.support_key.key: e.retracted_at for e in _events(session) if e.stage == "branch"}
    assert branch == {"WrongForCausalLM": later, "RightForCausalLM": None}

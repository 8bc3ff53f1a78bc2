"""The released stage: removals on the newest release line, moved and deleted tags, and the tag rules that
real histories showed wrong (fork tags, internal builds)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.models.support import SupportEvent
from app.services.runtimes.fetch import collect_events
from app.services.runtimes.scan import scan_runtime
from app.services.runtimes.verify import verify_facts
from app.sources.runtimes.catalog import get_runtime
from app.sources.runtimes.verified_facts import VerifiedFact
from tests.fakes.repo_builder import RepoBuilder

NOW = datetime(2026, 6, 1, tzinfo=UTC)
VLLM = get_runtime("vllm")
REGISTRY = "vllm/model_executor/models/registry.py"


def registry(*archs: str) -> str:
    body = "".join(f'    "{a}": ("{a.lower()}", "{a}"),\n' for a in archs)
    return f"_TEXT_GENERATION_MODELS = {{\n{body}}}\n"


def released(events: list) -> list[tuple[str, str, str]]:
    return [(e.key, e.event, e.tag) for e in events if e.stage == "released"]


def test_removal_and_readdition_are_judged_on_the_newest_release_line(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "vllm")
    repo.commit({REGISTRY: registry("LlamaForCausalLM", "OPTForCausalLM")}, at="2024-01-01T00:00:00Z")
    repo.tag("v0.1.0")
    repo.branch("releases/v0.1")
    repo.checkout("main").commit({REGISTRY: registry("LlamaForCausalLM")}, at="2024-02-01T00:00:00Z")
    repo.tag("v0.2.0")
    # a backport on the old line still has OPT: it is not the newest line, so OPT does not come back
    repo.checkout("releases/v0.1").commit(
        {REGISTRY: registry("LlamaForCausalLM", "OPTForCausalLM"), "fix.txt": "x"}, at="2024-03-01T00:00:00Z"
    )
    repo.tag("v0.1.1")
    repo.checkout("main").commit(
        {REGISTRY: registry("LlamaForCausalLM", "OPTForCausalLM")}, at="2024-04-01T00:00:00Z"
    )
    repo.tag("v0.3.0rc1").commit({"README.md": "release"}, at="2024-04-02T00:00:00Z").tag("v0.3.0")
    events = collect_events(VLLM, data_dir=tmp_path / "d", repo=str(repo.path))
    assert released(events) == [
        ("LlamaForCausalLM", "added", "v0.1.0"),
        ("OPTForCausalLM", "added", "v0.1.0"),
        ("OPTForCausalLM", "removed", "v0.2.0"),
        ("LlamaForCausalLM", "added", "v0.3.0rc1"),
        ("OPTForCausalLM", "added", "v0.3.0rc1"),
        ("OPTForCausalLM", "added", "v0.3.0"),
    ]
    removed = next(e for e in events if e.stage == "released" and e.event == "removed")
    assert removed.is_prerelease is False and removed.at == datetime(2024, 2, 1, tzinfo=UTC)


def _released_rows(session: Session) -> set[tuple[str, str, str, bool]]:
    rows = session.execute(select(SupportEvent).where(SupportEvent.stage == "released")).scalars()
    return {(e.support_key.key, e.tag, e.commit, e.retracted_at is not None) for e in rows}


def test_moved_tag_records_its_new_target_and_deleted_tag_is_retracted(
    session: Session, tmp_path: Path
) -> None:
    repo = RepoBuilder(tmp_path / "vllm")
    repo.commit({REGISTRY: registry("LlamaForCausalLM")}, at="2024-01-01T00:00:00Z")
    old = repo.head()
    repo.tag("v0.1.0")
    repo.commit({REGISTRY: registry("LlamaForCausalLM", "OPTForCausalLM")}, at="2024-01-05T00:00:00Z")
    new = repo.head()
    repo.tag("v0.2.0")
    scan_runtime(session, VLLM, data_dir=tmp_path / "d", repo=str(repo.path), now=NOW)
    assert _released_rows(session) == {
        ("LlamaForCausalLM", "v0.1.0", old, False),
        ("OPTForCausalLM", "v0.2.0", new, False),
    }
    # v0.1.0 re-pointed at the newer commit: its events follow the tag, and OPT's first release is now v0.1.0
    repo.git("tag", "-f", "v0.1.0", new)
    later = datetime(2026, 6, 2, tzinfo=UTC)
    summary = scan_runtime(session, VLLM, data_dir=tmp_path / "d", repo=str(repo.path), now=later)
    assert summary.retracted == 1
    assert _released_rows(session) == {
        ("LlamaForCausalLM", "v0.1.0", old, True),
        ("LlamaForCausalLM", "v0.1.0", new, False),
        ("OPTForCausalLM", "v0.1.0", new, False),
        ("OPTForCausalLM", "v0.2.0", new, False),
    }
    # moved back: the events at the old target are true again, the ones at the other target retracted
    repo.git("tag", "-f", "v0.1.0", old)
    scan_runtime(session, VLLM, data_dir=tmp_path / "d", repo=str(repo.path), now=later)
    assert ("LlamaForCausalLM", "v0.1.0", old, False) in _released_rows(session)
    assert ("OPTForCausalLM", "v0.1.0", new, True) in _released_rows(session)
    # deleted: every event of the tag is retracted, nothing is deleted
    repo.git("tag", "-d", "v0.2.0")
    scan_runtime(session, VLLM, data_dir=tmp_path / "d", repo=str(repo.path), now=later)
    assert ("OPTForCausalLM", "v0.2.0", new, True) in _released_rows(session)


def test_fork_tags_are_not_upstream_releases(tmp_path: Path) -> None:
    # ROCm/vllm carries upstream's tags and its own (v0.4.3_rocm, v0.6.1.post1+rocm)
    repo = RepoBuilder(tmp_path / "rocm")
    repo.commit({REGISTRY: registry("LlamaForCausalLM")}, at="2024-08-01T00:00:00Z").tag("v0.4.3_rocm")
    repo.commit({REGISTRY: registry("LlamaForCausalLM", "OPTForCausalLM")}, at="2024-09-01T00:00:00Z")
    repo.tag("v0.6.1.post1+rocm").commit({"README.md": "x"}, at="2024-09-04T00:00:00Z").tag("v0.6.0")
    upstream = released(collect_events(VLLM, data_dir=tmp_path / "d", repo=str(repo.path)))
    assert upstream == [("LlamaForCausalLM", "added", "v0.6.0"), ("OPTForCausalLM", "added", "v0.6.0")]
    fork = released(collect_events(get_runtime("rocm-vllm"), data_dir=tmp_path / "d2", repo=str(repo.path)))
    assert fork == [
        ("LlamaForCausalLM", "added", "v0.4.3_rocm"),
        ("OPTForCausalLM", "added", "v0.6.1.post1+rocm"),
    ]


def test_ollama_internal_and_ci_builds_are_not_releases(tmp_path: Path) -> None:
    # ollama tagged v0.10.2-int1 (a partner build) a day before gpt-oss was public; -ci / -citest are CI runs
    repo = RepoBuilder(tmp_path / "ollama")
    convert = (
        'func f(p Params) {\n\tswitch p.Architectures[0] {\n\tcase "LlamaForCausalLM":\n\t\treturn\n\t}\n}\n'
    )
    repo.commit({"convert/convert.go": convert}, at="2025-08-01T00:00:00Z").tag("v0.10.1")
    gpt = convert.replace('"LlamaForCausalLM"', '"LlamaForCausalLM", "GptOssForCausalLM"')
    repo.commit({"convert/convert.go": gpt}, at="2025-08-04T00:00:00Z").tag("v0.10.2-int1").tag("v0.10.2-ci1")
    repo.commit({"README.md": "x"}, at="2025-08-05T00:00:00Z").tag("v0.10.2-rc0")
    repo.commit({"README.md": "y"}, at="2025-08-06T00:00:00Z").tag("v0.10.2")
    events = collect_events(get_runtime("ollama"), data_dir=tmp_path / "d", repo=str(repo.path))
    gpt_oss = [
        (e.tag, e.is_prerelease) for e in events if e.stage == "released" and e.key == "GptOssForCausalLM"
    ]
    assert gpt_oss == [("v0.10.2-rc0", True), ("v0.10.2", False)]


def test_facts_recorded_on_another_history_are_not_checked(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "mlx")
    repo.commit({"mlx_lm/models/qwen3.py": "x\n"}, at="2025-04-28T13:44:17Z")
    sha = repo.head()
    at = datetime(2025, 4, 28, 13, 44, 17, tzinfo=UTC)
    facts = [
        VerifiedFact("mlx-lm", "qwen3", "merged", sha, at, repository="here/mlx", head=sha),
        VerifiedFact("mlx-lm", "qwen3", "merged", "f" * 40, at, repository="a/fork", head="e" * 40),
    ]
    checks = verify_facts(get_runtime("mlx-lm"), repo=str(repo.path), data_dir=tmp_path / "d", facts=facts)
    assert [(c.checked, c.ok) for c in checks] == [(True, True), (False, False)]
    assert "a/fork" in checks[1].message


def test_cli_verify_on_an_unrelated_copy_checks_nothing_and_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.cli.main import cli
    from app.config import get_settings

    monkeypatch.setenv("LAUNCHGAP_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        repo = RepoBuilder(tmp_path / "mlx").commit(
            {"mlx_lm/models/qwen3.py": "x\n"}, at="2025-04-28T13:44:17Z"
        )
        result = CliRunner().invoke(cli, ["catalog", "verify", "mlx-lm", "--repo", str(repo.path)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert "skip merged" in result.stdout and "ml-explore/mlx-lm" in result.stdout
    assert "0/0 facts hold (" in result.stdout

"""vllm-ascend's real history shapes: release-line branches named ``vX.Y.Z-dev`` carry support first."""

from __future__ import annotations

from pathlib import Path

from app.services.runtimes.fetch import collect_events
from app.sources.runtimes.catalog import get_runtime
from tests.fakes.repo_builder import RepoBuilder

INIT = "vllm_ascend/models/__init__.py"


def _registry(*archs: str) -> str:
    """``vllm_ascend/models/__init__.py`` as it was in 2025: one ``register_model`` call per override."""
    calls = "".join(
        f'    ModelRegistry.register_model(\n        "{a}",\n        "vllm_ascend.models.x:Ascend{a}")\n\n'
        for a in archs
    )
    return f"from vllm import ModelRegistry\n\n\ndef register_model():\n{calls}"


def test_release_line_dev_branches_are_the_branch_stage(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "vllm-ascend")
    repo.commit({INIT: _registry("Qwen2VLForConditionalGeneration")}, at="2025-02-21T14:45:15Z")
    fork = repo.head()
    # the 0.7.3 release line, cut as a plain ``v0.7.3-dev`` branch (not ``releases/…``)
    repo.branch("v0.7.3-dev")
    repo.commit({INIT: _registry("Qwen2VLForConditionalGeneration", "Qwen3ForCausalLM")},
                at="2025-05-22T01:11:21Z", message="[Model][0.7.3] Add support for Qwen3 model (#903)")  # fmt: skip
    repo.tag("v0.7.3.post1", annotated=True, at="2025-05-29T09:48:16Z")
    # branches that are not release lines stay out, even when they register something
    repo.branch("rfc/community-contrib", start=fork)
    repo.commit(
        {INIT: _registry("Qwen2VLForConditionalGeneration", "RfcForCausalLM")}, at="2025-06-01T00:00:00Z"
    )
    repo.branch("v0.9.1-devel", start=fork)
    repo.commit(
        {INIT: _registry("Qwen2VLForConditionalGeneration", "DevelForCausalLM")}, at="2025-06-02T00:00:00Z"
    )
    repo.checkout("main")
    repo.commit({INIT: _registry("Qwen2VLForConditionalGeneration", "Qwen3ForCausalLM")},
                at="2025-07-22T11:03:13Z", message="[main] Qwen3 (#1806)")  # fmt: skip
    repo.tag("v0.9.2rc1", annotated=True, at="2025-07-25T00:00:00Z")

    events = collect_events(get_runtime("vllm-ascend"), data_dir=tmp_path / "data", repo=str(repo.path))
    qwen3 = sorted(
        (e.stage, e.branch, e.tag, e.at.isoformat(), e.pr_number)
        for e in events
        if e.key == "Qwen3ForCausalLM"
    )
    assert qwen3 == [
        ("branch", "v0.7.3-dev", "", "2025-05-22T01:11:21+00:00", 903),
        ("merged", "main", "", "2025-07-22T11:03:13+00:00", 1806),
        ("released", "", "v0.7.3.post1", "2025-05-29T09:48:16+00:00", None),
        ("released", "", "v0.9.2rc1", "2025-07-25T00:00:00+00:00", None),  # main's first pre-release
    ]  # fmt: skip
    assert not {e.key for e in events} & {"RfcForCausalLM", "DevelForCausalLM"}

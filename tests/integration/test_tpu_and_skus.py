"""Google TPUs and every SKU a source names (issue 28), on small real git repositories: tpu-inference's JAX
registry in both package layouts and its CI model configs, Recipes' new and counted SKUs, and the audit's
``unmapped_sku`` finding."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.repo_builder import RepoBuilder
from tests.support.git_history import audit_of, dated, events_of

_DICT_ERA = """def _get_model_architecture(config):
    from tpu_commons.models.jax.llama import LlamaForCausalLM

    _MODEL_REGISTRY = {
        "LlamaForCausalLM": LlamaForCausalLM,
        "Llama4ForConditionalGeneration": LlamaForCausalLM,
    }
    for arch in config.architectures:
        if arch in _MODEL_REGISTRY:
            return _MODEL_REGISTRY[arch]
"""


def _assign_era(package: str, *archs: str) -> str:
    rows = "".join(f'    _MODEL_REGISTRY["{a}"] = {a}\n' for a in archs)
    return (
        f'"""Loader of {package}: _MODEL_REGISTRY["NotThis"] in a docstring is no registration."""\n'
        "_MODEL_REGISTRY = {}\n\n\n"
        "def _get_model_architecture(config):\n"
        f"    from {package}.models.jax.qwen3 import Qwen3ForCausalLM\n"
        f"{rows}"
        '    _MODEL_REGISTRY[\n        "Qwen3MoeForCausalLM"] = Qwen3MoeForCausalLM\n'
        '    # _MODEL_REGISTRY["Llama4Scout"] = Llama4Scout\n'
        "    return _MODEL_REGISTRY[config.architectures[0]]\n\n\n"
        "def register_model(arch, model):\n    _MODEL_REGISTRY[arch] = model\n"
    )


def _ci(repo_id: str) -> str:
    """A per-model Buildkite pipeline as tpu-inference writes them (.buildkite/models/<org>_<name>.yml)."""
    return (
        "steps:\n"
        f'  - label: "Unit tests for {repo_id}"\n    soft_fail: true\n    env:\n'
        f'      CI_TARGET: "{repo_id}"\n      CI_STAGE: "UnitTest"\n'
        f"  - label: Accuracy\n    env:\n      TEST_MODEL: {repo_id}\n"
    )


def test_tpu_inference_registry_in_both_layouts_releases_and_ci_configs(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "tpu")
    old, common = "tpu_commons/models/jax/model_loader.py", "tpu_commons/models/common/model_loader.py"
    new = "tpu_inference/models/common/model_loader.py"
    repo.commit({old: _DICT_ERA}, at="2025-05-29T00:54:00Z", message="Add Llama modeling logic")
    # #61: the dict literal became one assignment per architecture (no event: the keys stay)
    repo.commit({old: _assign_era("tpu_commons", "LlamaForCausalLM", "Llama4ForConditionalGeneration")},
                at="2025-06-18T17:28:56Z", message="Use correct _MODEL_REGISTRY (#61)")  # fmt: skip
    # an internal name is no HF architecture; the HF name came later
    repo.commit({old: _assign_era("tpu_commons", "LlamaForCausalLM", "Llama4ForConditionalGeneration",
                                  "DeepSeekV3", "Qwen3ForCausalLM")},
                at="2025-08-19T18:25:03Z", message="Add Qwen3 dense models (#500)")  # fmt: skip
    repo.commit({old: _assign_era("tpu_commons", "LlamaForCausalLM", "Llama4ForConditionalGeneration",
                                  "DeepseekV3ForCausalLM", "Qwen3ForCausalLM")},
                at="2025-08-28T17:54:20Z", message="Rename deepseek registry name (#597)")  # fmt: skip
    repo.commit(move={old: common}, at="2025-10-07T10:00:00Z", message="Refactor JAX/Common folders (#781)")
    repo.commit({common: None, new: _assign_era("tpu_inference", "LlamaForCausalLM",
                 "Llama4ForConditionalGeneration", "DeepseekV3ForCausalLM", "Qwen3ForCausalLM")},
                at="2025-10-08T10:00:00Z", message="Renamed tpu_commons to tpu_inference (#803)")  # fmt: skip
    repo.commit({".buildkite/models/Qwen_Qwen3-32B.yml": _ci("Qwen/Qwen3-32B"),
                 ".buildkite/models/meta-llama_Llama-3_1-8B-Instruct.yml": _ci("meta-llama/Llama-3.1-8B-Instruct")},
                at="2025-10-15T12:56:24Z", message="CI: add tests for models (#868)")  # fmt: skip
    repo.tag("v0.11.1", at="2025-10-15T22:27:33Z")
    repo.commit({".buildkite/models/meta-llama_Llama-3_1-8B-Instruct.yml": None},
                at="2025-11-01T00:00:00Z", message="Drop Llama 3.1 from CI")  # fmt: skip

    events = events_of("tpu-inference", repo, tmp_path)
    assert dated(events, "merged") == [
        ("DeepseekV3ForCausalLM", "added", "2025-08-28"),
        ("Llama4ForConditionalGeneration", "added", "2025-05-29"),
        ("LlamaForCausalLM", "added", "2025-05-29"),
        ("Qwen3ForCausalLM", "added", "2025-08-19"),
        ("Qwen3MoeForCausalLM", "added", "2025-06-18"),
    ]  # the move and the rename are no event; DeepSeekV3, Llama4Scout and the hook's ``arch`` are none
    released = {(e.key, e.tag) for e in events if e.stage == "released"}
    assert ("DeepseekV3ForCausalLM", "v0.11.1") in released and ("Qwen3ForCausalLM", "v0.11.1") in released
    assert dated(events, "documented") == [
        ("Qwen/Qwen3-32B", "added", "2025-10-15"),
        ("meta-llama/Llama-3.1-8B-Instruct", "added", "2025-10-15"),
        ("meta-llama/Llama-3.1-8B-Instruct", "removed", "2025-11-01"),
    ]  # the repo id from the file's content: its name spells the dot as "_"
    assert not [e for e in events if e.stage == "verified"]  # a CI config verifies nothing
    report = audit_of("tpu-inference", repo, tmp_path)
    assert report.unexplained == [], [f.id for f in report.unexplained]


def _recipe(repo: RepoBuilder, model_id: str, at: str, message: str = "change", **hardware: str) -> None:
    """Commit ``models/<model_id>.yaml``: a recipe whose ``meta.hardware`` gives each SKU's status."""
    rows = "".join(f"    {sku}: {status}\n" for sku, status in hardware.items())
    recipe = f'meta:\n  title: "{model_id}"\n  hardware:\n{rows}model:\n  model_id: "{model_id}"\n'
    repo.commit({f"models/{model_id}.yaml": recipe}, at=at, message=message)


def test_recipes_new_and_counted_skus_are_one_sku_each_with_its_vendor(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "recipes")
    gemma, flash = "google/gemma-4-26B-A4B-it", "deepseek-ai/DeepSeek-V4-Flash"
    _recipe(repo, gemma, "2026-04-21T16:37:56Z", "gemma4 (#349)",
            h200="verified", trillium="verified", ironwood="unsupported")  # fmt: skip
    _recipe(repo, gemma, "2026-05-21T03:43:50Z", "Gemma4 on Intel (#463)",
            h200="verified", trillium="verified", xeon6="verified", arc_pro_b60="verified")  # fmt: skip
    _recipe(repo, flash, "2026-08-06T14:39:35Z", "rtx pro 6000 cookbook (#758)",
            rtx_pro_6000_8x="verified", ascend_950pr="verified", MI350X="verified")  # fmt: skip
    # the single-card entry joins the 8-card one: the same SKU, still verified (no event); the count goes
    _recipe(repo, flash, "2026-08-07T00:00:00Z",
            rtx_pro_6000_8x="verified", rtx_pro_6000="verified", ascend_950pr="verified", MI350X="verified")  # fmt: skip
    _recipe(repo, flash, "2026-08-08T00:00:00Z",
            rtx_pro_6000="verified", ascend_950pr="verified", MI350X="verified")  # fmt: skip
    assert dated(events_of("vllm-recipes", repo, tmp_path), "verified", "key", "sku", "event") == [
        ("deepseek-ai/DeepSeek-V4-Flash", "MI350X", "added", "2026-08-06"),
        ("deepseek-ai/DeepSeek-V4-Flash", "ascend_950pr", "added", "2026-08-06"),
        ("deepseek-ai/DeepSeek-V4-Flash", "rtx_pro_6000", "added", "2026-08-06"),
        ("google/gemma-4-26B-A4B-it", "H200", "added", "2026-04-21"),
        ("google/gemma-4-26B-A4B-it", "arc_pro_b60", "added", "2026-05-21"),
        ("google/gemma-4-26B-A4B-it", "trillium", "added", "2026-04-21"),
        ("google/gemma-4-26B-A4B-it", "xeon6", "added", "2026-05-21"),
    ]
    report = audit_of("vllm-recipes", repo, tmp_path)
    assert not [f for f in report.findings if f.kind == "unmapped_sku"]


def test_the_audit_names_a_sku_the_table_does_not_map_with_its_recipes(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "recipes")
    _recipe(repo, "acme/Alpha-7B", "2026-05-01T00:00:00Z", "Alpha on ZX 9000 (#1)",
            h200="verified", zx_9000="verified")  # fmt: skip
    first = repo.git("rev-parse", "HEAD")
    _recipe(repo, "acme/Beta-70B", "2026-05-02T00:00:00Z", "Beta on four ZX 9000 (#2)",
            zx_9000_4x="verified", h200="unsupported")  # fmt: skip
    events = events_of("vllm-recipes", repo, tmp_path)
    assert {e.sku for e in events if e.stage == "verified"} == {"H200", "zx_9000"}
    report = audit_of("vllm-recipes", repo, tmp_path)
    unmapped = [f for f in report.findings if f.kind == "unmapped_sku"]
    assert [f.id for f in unmapped] == ["unmapped_sku:zx_9000"]  # one finding, however the count is spelt
    finding = unmapped[0]
    assert finding.reason is None and finding in report.unexplained  # it fails the audit until mapped
    assert finding.commit == first and finding.signal == "hardware"
    assert "acme/Alpha-7B" in finding.summary and "acme/Beta-70B" in finding.summary
    assert "2 key(s)" in finding.summary

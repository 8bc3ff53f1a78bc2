"""One runtime per vendor cell's evidence: the first final release a vendor cell shows is its via_runtime's
(real git repositories, both databases)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from app.services.gaps.refresh import refresh_gaps
from tests.fakes.repo_builder import RepoBuilder
from tests.integration.test_scan import registry
from tests.support.coverage import observe
from tests.support.vendor_cells import (
    NOW,
    REPO,
    VLLM_REGISTRY,
    client,
    scan,
    seed_new_moe,
    vendor_cell,
    vllm_copy,
)


def test_a_vendor_cells_first_final_release_is_its_via_runtimes(session: Session, tmp_path: Path) -> None:
    seed_new_moe(session, tmp_path)
    # vLLM: an rc on 06-04 (the earliest release of all), its final release only on 07-10.
    vllm = vllm_copy(tmp_path)
    vllm.commit({VLLM_REGISTRY: registry("LlamaForCausalLM", "NewMoeForCausalLM")}, at="2025-06-03T00:00:00Z")
    vllm.tag("v0.9.0rc1", annotated=True, at="2025-06-04T00:00:00Z")
    vllm.commit({"README.md": "x"}, at="2025-07-01T00:00:00Z")
    vllm.tag("v0.9.0", annotated=True, at="2025-07-10T00:00:00Z")
    vllm.commit({"README.md": "y"}, at="2025-08-01T00:00:00Z")
    # TensorRT-LLM: a final release on 06-06, after vLLM's rc but long before vLLM's final.
    trt = RepoBuilder(tmp_path / "trt")
    models = "tensorrt_llm/models/__init__.py"
    trt.commit({models: 'MODEL_MAP = {\n    "LlamaForCausalLM": A,\n}\n'}, at="2025-01-01T10:00:00Z")
    trt.tag("v0.19.0", annotated=True, at="2025-01-02T00:00:00Z")
    trt.commit(
        {models: 'MODEL_MAP = {\n    "LlamaForCausalLM": A,\n    "NewMoeForCausalLM": B,\n}\n'},
        at="2025-06-05T00:00:00Z",
    )
    trt.tag("v0.20.0", annotated=True, at="2025-06-06T00:00:00Z")
    trt.commit({"README.md": "y"}, at="2025-08-01T00:00:00Z")
    for name, repo in (("vllm", vllm), ("tensorrt-llm", trt)):
        scan(session, name, repo, tmp_path)
    observe(session, "ktransformers", "lightllm", "lmdeploy", "sglang", "tgi", until=NOW)
    refresh_gaps(session)
    api = client(session)

    cell = vendor_cell(api, "released")
    assert (cell["via_runtime"], cell["tag"], cell["tag_prerelease"], cell["complete"]) == (
        "vllm", "v0.9.0rc1", True, True,
    )  # fmt: skip
    # vLLM's own final release, not TensorRT-LLM's v0.20.0 of 06-06
    assert cell["first_final_tag"] == "v0.9.0" and cell["first_final_at"].startswith("2025-07-10")
    final = vendor_cell(api, "released", final_only="true")
    assert (final["tag"], final["status"], final["gap_hours"]) == ("v0.9.0", "later", 39 * 24.0)
    page = api.get(f"/releases/{REPO}").text
    assert "first final v0.9.0 · 2025-07-10" in page and "first final v0.20.0" not in page

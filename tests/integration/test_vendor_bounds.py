"""Vendor answers that know what they do not know, on real git repositories and both databases: a vendor
with a runtime not observed gives an incomplete cell whose gap is an upper bound, left out of statistics;
observing that runtime completes it (docs/concepts.md, "Complete or bound")."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
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

# NVIDIA's merged-stage runtimes besides vLLM and TensorRT-LLM, read as far as NOW with no support of the key.
OTHER_NVIDIA = ("ktransformers", "lightllm", "lmdeploy", "sglang", "tgi")


def _nvidia_cell(client: TestClient) -> dict:  # type: ignore[type-arg]
    return vendor_cell(client, "merged")


def _nvidia_stats(client: TestClient, **params: str) -> dict:  # type: ignore[type-arg]
    items = client.get("/api/v1/stats/vendors", params={"stage": "merged", **params}).json()["items"]
    return next(i for i in items if i["vendor"] == "nvidia")  # type: ignore[no-any-return]


def test_an_unobserved_runtime_bounds_the_vendor_cell_until_it_is_observed(
    session: Session, tmp_path: Path
) -> None:
    seed_new_moe(session, tmp_path)
    vllm = vllm_copy(tmp_path)
    vllm.commit({VLLM_REGISTRY: registry("LlamaForCausalLM", "NewMoeForCausalLM")}, at="2025-06-05T00:00:00Z")
    vllm.commit({"README.md": "x"}, at="2025-08-01T00:00:00Z")
    scan(session, "vllm", vllm, tmp_path)
    observe(session, *OTHER_NVIDIA, until=NOW)
    refresh_gaps(session)
    api = client(session)

    # TensorRT-LLM never read: vLLM's +4 d is only an upper bound for NVIDIA.
    cell = _nvidia_cell(api)
    assert (cell["status"], cell["gap_hours"], cell["via_runtime"]) == ("later", 96.0, "vllm")
    assert (cell["complete"], cell["runtimes_total"], cell["runtimes_observed"]) == (False, 7, 6)
    assert cell["unobserved_runtimes"] == "tensorrt-llm"
    stats = _nvidia_stats(api)
    assert (stats["count"], stats["incomplete"], stats["median_hours"], stats["day0_rate"]) == (
        0,
        1,
        None,
        None,
    )
    assert stats["runtimes_observed"] == 6  # on statistics: observed at all
    counted = _nvidia_stats(api, include_incomplete="true")
    assert (counted["count"], counted["incomplete"], counted["median_hours"]) == (1, 1, 96.0)
    curve = api.get("/api/v1/stats/survival", params={"vendor": "nvidia", "stage": "merged"}).json()
    assert curve["count"] == 0
    html = api.get("/", params={"stage": "merged", "view": "vendors"}).text
    assert "≤ +4.0 d" in html and "not observed: tensorrt-llm" in html
    assert 'data-incomplete="1"' in html
    # the runtime's own row is complete: a runtime's cell is decided on its own source
    params = {"stage": "merged", "runtime": "vllm", "rows": "runtime", "repo_id": REPO}
    [own] = api.get("/api/v1/gaps", params=params).json()["items"]
    assert (own["complete"], own["runtimes_total"]) == (True, None)

    # Reading TensorRT-LLM (a real copy that never registered the key) completes the cell.
    trt = RepoBuilder(tmp_path / "trt")
    trt.commit(
        {"tensorrt_llm/models/__init__.py": 'MODEL_MAP = {\n    "LlamaForCausalLM": LLaMAForCausalLM,\n}\n'},
        at="2025-01-01T10:00:00Z",
    )
    trt.commit({"README.md": "x"}, at="2025-08-15T00:00:00Z")
    scan(session, "tensorrt-llm", trt, tmp_path)
    refresh_gaps(session, runtimes=["tensorrt-llm"])
    api = client(session)  # a new app: the dashboard's page cache starts empty
    cell = _nvidia_cell(api)
    assert (cell["status"], cell["gap_hours"], cell["complete"], cell["runtimes_observed"]) == (
        "later", 96.0, True, 7,
    )  # fmt: skip
    assert cell["unobserved_runtimes"] is None
    stats = _nvidia_stats(api)
    assert (stats["count"], stats["incomplete"], stats["median_hours"]) == (1, 0, 96.0)
    html = api.get("/", params={"stage": "merged", "view": "vendors"}).text
    assert "≤ +4.0 d" not in html and "+4.0 d" in html


def test_without_support_an_incomplete_vendor_cell_is_unknown_not_pending(
    session: Session, tmp_path: Path
) -> None:
    seed_new_moe(session, tmp_path)
    vllm = vllm_copy(tmp_path)
    vllm.commit({"README.md": "x"}, at="2025-08-01T00:00:00Z")
    scan(session, "vllm", vllm, tmp_path)
    refresh_gaps(session)
    cell = _nvidia_cell(client(session))
    assert (cell["status"], cell["gap_hours"], cell["complete"], cell["runtimes_observed"]) == (
        "unknown", None, False, 1,
    )  # fmt: skip
    # once every NVIDIA runtime is read past the release with no support, it is pending (as of the earliest)
    observe(session, *OTHER_NVIDIA, "tensorrt-llm", until=NOW)
    refresh_gaps(session)
    cell = _nvidia_cell(client(session))
    assert (cell["status"], cell["complete"]) == ("pending", True)
    assert cell["observed_until"].startswith("2025-08-01")

"""Vendor answers that know what they do not know, on real git repositories and both databases: a vendor
with a runtime not observed gives an incomplete cell whose gap is an upper bound, left out of statistics;
observing that runtime completes it (docs/concepts.md, "Complete or bound")."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.api.deps import get_session
from app.main import create_app
from app.services.gaps.refresh import refresh_gaps
from app.services.releases.facts import import_releases
from app.services.releases.publishers import sync_publishers
from app.services.runtimes.catalog_rows import sync_catalog
from app.services.runtimes.scan import scan_runtime
from app.sources.runtimes.catalog import get_runtime
from tests.fakes.repo_builder import RepoBuilder
from tests.integration.test_scan import registry
from tests.support.coverage import observe

NOW = datetime(2025, 9, 1, tzinfo=UTC)
REPO = "acme/New-MoE"
HEADER = "hf_repo_id,org,architecture,model_type,public_release_date,createdAt,source,confidence,notes\n"
# NVIDIA's merged-stage runtimes besides vLLM and TensorRT-LLM, read as far as NOW with no support of the key.
OTHER_NVIDIA = ("ktransformers", "lightllm", "lmdeploy", "sglang", "tgi")


def _client(session: Session) -> TestClient:
    app = create_app(start_watchers=False)
    app.dependency_overrides[get_session] = lambda: session
    return TestClient(app)


def _nvidia_cell(client: TestClient) -> dict:  # type: ignore[type-arg]
    params = {"stage": "merged", "vendor": "nvidia", "rows": "vendor", "repo_id": REPO}
    [cell] = client.get("/api/v1/gaps", params=params).json()["items"]
    return cell  # type: ignore[no-any-return]


def _nvidia_stats(client: TestClient, **params: str) -> dict:  # type: ignore[type-arg]
    items = client.get("/api/v1/stats/vendors", params={"stage": "merged", **params}).json()["items"]
    return next(i for i in items if i["vendor"] == "nvidia")  # type: ignore[no-any-return]


def test_an_unobserved_runtime_bounds_the_vendor_cell_until_it_is_observed(
    session: Session, tmp_path: Path
) -> None:
    sync_catalog(session)
    sync_publishers(session, None)
    facts = tmp_path / "facts.csv"
    facts.write_text(HEADER + f"{REPO},acme,NewMoeForCausalLM,new_moe,2025-06-01T00:00:00Z,,mine,high,\n")
    import_releases(session, facts)
    vllm = RepoBuilder(tmp_path / "vllm")
    path = "vllm/model_executor/models/registry.py"
    vllm.commit({path: registry("LlamaForCausalLM")}, at="2025-01-01T10:00:00Z")
    vllm.commit({path: registry("LlamaForCausalLM", "NewMoeForCausalLM")}, at="2025-06-05T00:00:00Z")
    vllm.commit({"README.md": "x"}, at="2025-08-01T00:00:00Z")
    scan_runtime(session, get_runtime("vllm"), data_dir=tmp_path / "d", repo=str(vllm.path), now=NOW)
    observe(session, *OTHER_NVIDIA, until=NOW)
    refresh_gaps(session)
    client = _client(session)

    # TensorRT-LLM never read: vLLM's +4 d is only an upper bound for NVIDIA.
    cell = _nvidia_cell(client)
    assert (cell["status"], cell["gap_hours"], cell["via_runtime"]) == ("later", 96.0, "vllm")
    assert (cell["complete"], cell["runtimes_total"], cell["runtimes_observed"]) == (False, 7, 6)
    assert cell["unobserved_runtimes"] == "tensorrt-llm"
    stats = _nvidia_stats(client)
    assert (stats["count"], stats["incomplete"], stats["median_hours"], stats["day0_rate"]) == (
        0,
        1,
        None,
        None,
    )
    assert stats["runtimes_observed"] == 6  # on statistics: observed at all
    counted = _nvidia_stats(client, include_incomplete="true")
    assert (counted["count"], counted["incomplete"], counted["median_hours"]) == (1, 1, 96.0)
    curve = client.get("/api/v1/stats/survival", params={"vendor": "nvidia", "stage": "merged"}).json()
    assert curve["count"] == 0
    html = client.get("/", params={"stage": "merged", "view": "vendors"}).text
    assert "≤ +4.0 d" in html and "not observed: tensorrt-llm" in html
    assert 'data-incomplete="1"' in html
    # the runtime's own row is complete: a runtime's cell is decided on its own source
    params = {"stage": "merged", "runtime": "vllm", "rows": "runtime", "repo_id": REPO}
    [own] = client.get("/api/v1/gaps", params=params).json()["items"]
    assert (own["complete"], own["runtimes_total"]) == (True, None)

    # Reading TensorRT-LLM (a real copy that never registered the key) completes the cell.
    trt = RepoBuilder(tmp_path / "trt")
    trt.commit(
        {"tensorrt_llm/models/__init__.py": 'MODEL_MAP = {\n    "LlamaForCausalLM": LLaMAForCausalLM,\n}\n'},
        at="2025-01-01T10:00:00Z",
    )
    trt.commit({"README.md": "x"}, at="2025-08-15T00:00:00Z")
    scan_runtime(session, get_runtime("tensorrt-llm"), data_dir=tmp_path / "d", repo=str(trt.path), now=NOW)
    refresh_gaps(session, runtimes=["tensorrt-llm"])
    client = _client(session)  # a new app: the dashboard's page cache starts empty
    cell = _nvidia_cell(client)
    assert (cell["status"], cell["gap_hours"], cell["complete"], cell["runtimes_observed"]) == (
        "later", 96.0, True, 7,
    )  # fmt: skip
    assert cell["unobserved_runtimes"] is None
    stats = _nvidia_stats(client)
    assert (stats["count"], stats["incomplete"], stats["median_hours"]) == (1, 0, 96.0)
    html = client.get("/", params={"stage": "merged", "view": "vendors"}).text
    assert "≤ +4.0 d" not in html and "+4.0 d" in html


def test_without_support_an_incomplete_vendor_cell_is_unknown_not_pending(
    session: Session, tmp_path: Path
) -> None:
    sync_catalog(session)
    sync_publishers(session, None)
    facts = tmp_path / "facts.csv"
    facts.write_text(HEADER + f"{REPO},acme,NewMoeForCausalLM,new_moe,2025-06-01T00:00:00Z,,mine,high,\n")
    import_releases(session, facts)
    vllm = RepoBuilder(tmp_path / "vllm")
    vllm.commit(
        {"vllm/model_executor/models/registry.py": registry("LlamaForCausalLM")}, at="2025-01-01T10:00:00Z"
    )
    vllm.commit({"README.md": "x"}, at="2025-08-01T00:00:00Z")
    scan_runtime(session, get_runtime("vllm"), data_dir=tmp_path / "d", repo=str(vllm.path), now=NOW)
    refresh_gaps(session)
    cell = _nvidia_cell(_client(session))
    assert (cell["status"], cell["gap_hours"], cell["complete"], cell["runtimes_observed"]) == (
        "unknown", None, False, 1,
    )  # fmt: skip
    # once every NVIDIA runtime is read past the release with no support, it is pending (as of the earliest)
    observe(session, *OTHER_NVIDIA, "tensorrt-llm", until=NOW)
    refresh_gaps(session)
    cell = _nvidia_cell(_client(session))
    assert (cell["status"], cell["complete"]) == ("pending", True)
    assert cell["observed_until"].startswith("2025-08-01")

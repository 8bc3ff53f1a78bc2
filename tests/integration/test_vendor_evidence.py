"""One runtime per vendor cell's evidence: the first final release a vendor cell shows is its via_runtime's
(real git repositories, both databases)."""

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


def test_a_vendor_cells_first_final_release_is_its_via_runtimes(session: Session, tmp_path: Path) -> None:
    sync_catalog(session)
    sync_publishers(session, None)
    facts = tmp_path / "facts.csv"
    facts.write_text(HEADER + f"{REPO},acme,NewMoeForCausalLM,new_moe,2025-06-01T00:00:00Z,,mine,high,\n")
    import_releases(session, facts)
    # vLLM: an rc on 06-04 (the earliest release of all), its final release only on 07-10.
    vllm = RepoBuilder(tmp_path / "vllm")
    path = "vllm/model_executor/models/registry.py"
    vllm.commit({path: registry("LlamaForCausalLM")}, at="2025-01-01T10:00:00Z")
    vllm.commit({path: registry("LlamaForCausalLM", "NewMoeForCausalLM")}, at="2025-06-03T00:00:00Z")
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
        scan_runtime(session, get_runtime(name), data_dir=tmp_path / "d", repo=str(repo.path), now=NOW)
    observe(session, "ktransformers", "lightllm", "lmdeploy", "sglang", "tgi", until=NOW)
    refresh_gaps(session)
    app = create_app(start_watchers=False)
    app.dependency_overrides[get_session] = lambda: session
    client = TestClient(app)

    params = {"stage": "released", "vendor": "nvidia", "rows": "vendor", "repo_id": REPO}
    [cell] = client.get("/api/v1/gaps", params=params).json()["items"]
    assert (cell["via_runtime"], cell["tag"], cell["tag_prerelease"], cell["complete"]) == (
        "vllm", "v0.9.0rc1", True, True,
    )  # fmt: skip
    # vLLM's own final release, not TensorRT-LLM's v0.20.0 of 06-06
    assert cell["first_final_tag"] == "v0.9.0" and cell["first_final_at"].startswith("2025-07-10")
    [final] = client.get("/api/v1/gaps", params={**params, "final_only": "true"}).json()["items"]
    assert (final["tag"], final["status"], final["gap_hours"]) == ("v0.9.0", "later", 39 * 24.0)
    page = client.get(f"/releases/{REPO}").text
    assert "first final v0.9.0 · 2025-07-10" in page and "first final v0.20.0" not in page

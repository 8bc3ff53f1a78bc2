"""One new-architecture release (acme/New-MoE) read against real git copies of NVIDIA's runtimes: the shared
set-up of the vendor-cell tests (tests/integration/test_vendor_bounds.py, test_vendor_evidence.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.api.deps import get_session
from app.main import create_app
from app.services.releases.facts import import_releases
from app.services.releases.publishers import sync_publishers
from app.services.runtimes.catalog_rows import sync_catalog
from app.services.runtimes.scan import scan_runtime
from app.sources.runtimes.catalog import get_runtime
from tests.fakes.repo_builder import RepoBuilder
from tests.integration.test_scan import registry

NOW = datetime(2025, 9, 1, tzinfo=UTC)
REPO = "acme/New-MoE"
ARCHITECTURE = "NewMoeForCausalLM"
HEADER = "hf_repo_id,org,architecture,model_type,public_release_date,createdAt,source,confidence,notes\n"
VLLM_REGISTRY = "vllm/model_executor/models/registry.py"


def seed_new_moe(session: Session, tmp_path: Path) -> None:
    """The catalog, the publishers and one release, acme/New-MoE (NewMoeForCausalLM) of 2025-06-01."""
    sync_catalog(session)
    sync_publishers(session, None)
    facts = tmp_path / "facts.csv"
    facts.write_text(HEADER + f"{REPO},acme,{ARCHITECTURE},new_moe,2025-06-01T00:00:00Z,,mine,high,\n")
    import_releases(session, facts)


def vllm_copy(tmp_path: Path) -> RepoBuilder:
    """A vLLM history that registers only Llama (2025-01-01); each test adds the commits it is about."""
    vllm = RepoBuilder(tmp_path / "vllm")
    vllm.commit({VLLM_REGISTRY: registry("LlamaForCausalLM")}, at="2025-01-01T10:00:00Z")
    return vllm


def scan(session: Session, runtime: str, copy: RepoBuilder, tmp_path: Path) -> None:
    """Scan ``copy`` as ``runtime``'s source up to NOW."""
    scan_runtime(session, get_runtime(runtime), data_dir=tmp_path / "d", repo=str(copy.path), now=NOW)


def client(session: Session) -> TestClient:
    """A new app on this session (so the dashboard's page cache starts empty)."""
    app = create_app(start_watchers=False)
    app.dependency_overrides[get_session] = lambda: session
    return TestClient(app)


def vendor_cell(client: TestClient, stage: str, **params: str) -> dict[str, Any]:
    """NVIDIA's one vendor row for acme/New-MoE at ``stage``."""
    query = {"stage": stage, "vendor": "nvidia", "rows": "vendor", "repo_id": REPO, **params}
    [cell] = client.get("/api/v1/gaps", params=query).json()["items"]
    return cell  # type: ignore[no-any-return]

"""Every API list endpoint refuses a query parameter it does not know; ``/api/v1/gaps`` filters by release,
publisher and family."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.api.deps import get_now, get_session
from app.main import create_app
from app.models import Model, Publisher
from app.services.gaps.refresh import refresh_gaps
from app.services.runtimes.catalog_rows import sync_catalog

NOW = datetime(2025, 10, 1, tzinfo=UTC)


@pytest.fixture
def client(session: Session) -> Iterator[TestClient]:
    sync_catalog(session)
    for org in ("acme", "beta"):
        publisher = Publisher(hub_org=org, name=org, country="US")
        session.add(publisher)
        session.flush()
        for index, suffix in enumerate(("Base", "Instruct")):
            session.add(
                Model(
                    repo_id=f"{org}/M-{suffix}",
                    publisher_id=publisher.id,
                    release_at=NOW - timedelta(days=10 - index),
                    release_at_source="observed",
                    architectures=[f"{org.title()}ForCausalLM"],
                    model_type=org,
                    family=f"{org}/M-Base",
                )
            )
    session.flush()
    refresh_gaps(session)
    app = create_app(start_watchers=False)
    app.dependency_overrides[get_session] = lambda: session
    app.dependency_overrides[get_now] = lambda: NOW
    yield TestClient(app)


def _list_paths(client: TestClient) -> list[str]:
    """Every GET endpoint of the API and the feeds without a path parameter, as the OpenAPI document says."""
    spec = client.get("/openapi.json").json()
    return [
        path
        for path, operations in spec["paths"].items()
        if "get" in operations and "{" not in path and path.startswith(("/api/v1/", "/feeds/"))
    ]


def test_every_list_endpoint_refuses_an_unknown_parameter(client: TestClient) -> None:
    paths = _list_paths(client)
    assert {"/api/v1/gaps", "/api/v1/models", "/api/v1/stats/vendors", "/api/v1/events"} <= set(paths)
    for path in paths:
        response = client.get(path, params={"repo_idz": "acme/M-Base"})
        assert response.status_code == 422, path
        assert "unknown query parameter 'repo_idz'" in response.json()["error"]["message"], path


def test_gaps_filter_by_repo_id_publisher_and_family(client: TestClient) -> None:
    def repos(**params: str) -> set[str]:
        body = client.get("/api/v1/gaps", params={"rows": "runtime", "limit": 1000, **params}).json()
        return {item["repo_id"] for item in body["items"]}

    assert repos() == {"acme/M-Base", "acme/M-Instruct", "beta/M-Base", "beta/M-Instruct"}
    assert repos(repo_id="acme/M-Instruct") == {"acme/M-Instruct"}
    assert repos(publisher="beta") == {"beta/M-Base", "beta/M-Instruct"}
    assert repos(family="acme/M-Base") == {"acme/M-Base", "acme/M-Instruct"}
    assert repos(family="acme/M-Base", repo_id="beta/M-Base") == set()

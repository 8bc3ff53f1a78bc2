"""Dashboard pages as HTML (no browser): paging by release, publisher filter, 404s for unknown names."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.api.deps import get_now, get_session
from app.main import create_app
from app.models import Model, Publisher
from app.services.catalog import sync_catalog
from app.services.gaps.refresh import refresh_gaps

NOW = datetime(2025, 10, 1, tzinfo=UTC)


@pytest.fixture
def client(session: Session) -> Iterator[TestClient]:
    sync_catalog(session)
    for org, count in (("acme", 53), ("beta", 2)):
        publisher = Publisher(hub_org=org, name=org.title(), country="US")
        session.add(publisher)
        session.flush()
        for index in range(count):
            session.add(
                Model(
                    repo_id=f"{org}/Model-{index:02d}",
                    publisher_id=publisher.id,
                    release_at=NOW - timedelta(days=index + 1),
                    release_at_source="imported",
                    architectures=[f"{org.title()}{index}ForCausalLM"],
                    model_type=f"{org}_{index}",
                )
            )
    session.flush()
    refresh_gaps(session)
    app = create_app(start_watchers=False)
    app.dependency_overrides[get_session] = lambda: session
    app.dependency_overrides[get_now] = lambda: NOW
    yield TestClient(app)


def _release_rows(html: str) -> list[str]:
    return re.findall(r'<th scope="row" class="release"><a href="/releases/([^"]+)"', html)


def test_matrix_pages_by_release_newest_first(client: TestClient) -> None:
    first = client.get("/")
    assert first.status_code == 200
    rows = _release_rows(first.text)
    assert len(rows) == 50 and rows[0] == "acme/Model-00"
    assert "page 1 of 2" in first.text and "55 releases" in first.text
    second = _release_rows(client.get("/", params={"page": 2}).text)
    assert len(second) == 5 and not set(rows) & set(second)


def test_publisher_filter(client: TestClient) -> None:
    page = client.get("/", params={"publisher": "beta"}).text
    assert sorted(_release_rows(page)) == ["beta/Model-00", "beta/Model-01"]
    assert "2 releases by beta" in page


def test_release_and_runtime_pages_and_unknown_names(client: TestClient) -> None:
    assert client.get("/releases/acme/Model-03").status_code == 200
    assert client.get("/runtimes/vllm").status_code == 200
    assert client.get("/releases/nobody/nothing").status_code == 404
    assert client.get("/runtimes/nope").status_code == 404
    assert client.get("/", params={"page": 0}).status_code == 422

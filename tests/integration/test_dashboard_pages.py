"""Dashboard pages as HTML (no browser): paging by release, publisher filter, 404s for unknown names."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.services.runtimes.catalog_rows import sync_catalog
from tests.support.seed import Seed

NOW = datetime(2025, 10, 1, tzinfo=UTC)


@pytest.fixture
def client(session: Session) -> Iterator[TestClient]:
    sync_catalog(session)
    seed = Seed(session)
    for org, count in (("acme", 53), ("beta", 2)):
        for index in range(count):
            seed.model(
                f"{org}/Model-{index:02d}",
                release_at=NOW - timedelta(days=index + 1),
                architecture=f"{org.title()}{index}ForCausalLM",
                model_type=f"{org}_{index}",
                source="imported",
            )
    with seed.serving(NOW) as test_client:
        yield test_client


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

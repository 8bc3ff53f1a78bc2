"""`GET /api/v1/models?q=` and the `/search` page (issue 24) on both databases: any part of a repo id or
name, case-insensitive, paged, `%` and `_` literal, 422 on an empty `q`, combined with the other filters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.support.seed import Seed

NOW = datetime(2026, 10, 1, tzinfo=UTC)
DAY = datetime(2026, 4, 24, tzinfo=UTC)


@pytest.fixture
def client(session: Session) -> Iterator[TestClient]:
    seed = Seed(session)
    for i, (repo_id, downloads) in enumerate(
        (
            ("deepseek-ai/DeepSeek-V4-Pro", 900),
            ("deepseek-ai/DeepSeek-V4-Pro-Base", 50),
            ("deepseek-ai/DeepSeek-V4-Flash", 700),
            ("acme/Model_100%", 10),
            ("acme/ModelX100", 10),
            ("someone/deepseek-v4-pro-GGUF", 5000),
        )
    ):
        seed.model(
            repo_id,
            release_at=DAY + timedelta(hours=i),
            architecture="DeepseekV4ForCausalLM",
            model_type="deepseek_v4",
            downloads=downloads,
            is_derivative=repo_id.startswith("someone/"),
        )
    with seed.serving(NOW) as test_client:
        yield test_client


def _ids(client: TestClient, **params: object) -> list[str]:
    response = client.get("/api/v1/models", params=params)
    assert response.status_code == 200, response.text
    return [m["repo_id"] for m in response.json()["items"]]


def test_q_finds_any_part_of_the_repo_id_case_insensitively(client: TestClient) -> None:
    newest_first = [
        "someone/deepseek-v4-pro-GGUF",
        "deepseek-ai/DeepSeek-V4-Pro-Base",
        "deepseek-ai/DeepSeek-V4-Pro",
    ]
    assert _ids(client, q="v4-pro") == newest_first
    assert _ids(client, q="V4-PRO") == newest_first
    assert _ids(client, q="  v4-PRO ") == newest_first  # what a search box sends, padded
    assert _ids(client, q="deepseek-ai/") == [
        "deepseek-ai/DeepSeek-V4-Flash",
        "deepseek-ai/DeepSeek-V4-Pro-Base",
        "deepseek-ai/DeepSeek-V4-Pro",
    ]
    assert _ids(client, q="nothing-like-this") == []


def test_q_pages_and_combines_with_sort_and_filters(client: TestClient) -> None:
    first = client.get("/api/v1/models", params={"q": "v4", "limit": 2}).json()
    assert first["total"] == 4 and len(first["items"]) == 2 and first["next_cursor"]
    second = client.get(
        "/api/v1/models", params={"q": "v4", "limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert second["total"] == 4 and second["next_cursor"] is None
    assert {m["repo_id"] for m in first["items"]}.isdisjoint(m["repo_id"] for m in second["items"])
    assert _ids(client, q="v4", sort="-downloads", min_downloads=100) == [
        "someone/deepseek-v4-pro-GGUF",
        "deepseek-ai/DeepSeek-V4-Pro",
        "deepseek-ai/DeepSeek-V4-Flash",
    ]
    assert _ids(client, q="v4-pro", derivatives="false", publisher="deepseek-ai") == [
        "deepseek-ai/DeepSeek-V4-Pro-Base",
        "deepseek-ai/DeepSeek-V4-Pro",
    ]
    assert _ids(client, q="v4-pro", search="base") == ["deepseek-ai/DeepSeek-V4-Pro-Base"]


def test_like_wildcards_are_literal(client: TestClient) -> None:
    assert _ids(client, q="%") == ["acme/Model_100%"]
    assert _ids(client, q="l_1") == ["acme/Model_100%"]  # "_" is not "any character": ModelX100 stays out
    assert _ids(client, q="\\") == []


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_q_is_a_422(client: TestClient, value: str) -> None:
    response = client.get("/api/v1/models", params={"q": value})
    assert response.status_code == 422
    assert response.json()["error"]["message"]


def test_search_page_lists_releases_only(client: TestClient) -> None:
    page = client.get("/search", params={"q": "V4-pro"})
    assert page.status_code == 200
    assert 'href="/releases/deepseek-ai/DeepSeek-V4-Pro"' in page.text
    assert "DeepSeek-V4-Pro-Base" in page.text and "GGUF" not in page.text.split("<main>")[1]
    assert "2 releases" in page.text
    empty = client.get("/search", params={"q": " "})
    assert empty.status_code == 200 and "Type any part" in empty.text
    assert 'id="search-nothing"' in client.get("/search", params={"q": "zzz"}).text
    assert 'name="q"' in client.get("/glossary").text  # the box is in every page's header

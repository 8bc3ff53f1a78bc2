"""The hot list's fast path: ``GET /api/v1/gaps`` serialises rows as read, without a model per row, and
answers the very bytes the validated path (``response_model=Page[GapOut]``) gave, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import pytest
from fastapi import FastAPI, Query
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.api.deps import get_session
from app.api.pagination import encode_cursor
from app.api.params import gap_filters
from app.domain.vocabulary import RowKind, Stage
from app.main import create_app
from app.schemas.common import Page
from app.schemas.gaps import GapOut
from app.services.gaps.query import count_gaps, query_gaps
from app.services.gaps.refresh import refresh_gaps
from benchmarks.api_gaps import build

QUERIES = [
    {"stage": "merged", "limit": 50},
    {"stage": "merged", "limit": 1000},
    {"stage": "released", "limit": 200},
    {"stage": "released", "limit": 200, "final_only": "true"},
    {"stage": "verified", "limit": 100},
    {"stage": "branch", "limit": 100, "status": "pending"},
    {"stage": "documented", "limit": 100, "vendor": "amd"},
    {"stage": "merged", "limit": 30, "runtime": "vllm", "rows": ["runtime", "vendor"]},
    {"stage": "merged", "limit": 40, "offset": 40},
    {"stage": "merged", "limit": 5, "offset": 10_000_000},  # past the end: no items
]


def _validated_app(session: Session) -> FastAPI:
    """The route as it was: rows built as ``GapRow``s, validated into ``GapOut``s and serialised by FastAPI
    from the response model (the reference the fast path must match byte for byte)."""
    app = FastAPI()

    @app.get("/reference", response_model=Page[GapOut])
    def reference(
        stage: Stage,
        limit: int,
        offset: int = 0,
        runtime: str | None = None,
        vendor: str | None = None,
        status: str | None = None,
        final_only: bool = False,
        rows: Annotated[list[RowKind] | None, Query()] = None,
    ) -> Page[GapOut]:  # type: ignore[valid-type]
        filters = gap_filters(
            stage=stage,
            runtime=runtime,
            vendor=vendor,
            status=status,
            final_only=final_only,
            rows=list(rows) if rows else None,
        )
        total = count_gaps(session, filters)
        items = query_gaps(session, filters, limit=limit, offset=offset) if offset < total else []
        return Page[GapOut](  # type: ignore[valid-type]
            items=[GapOut.model_validate(r, from_attributes=True) for r in items],
            total=total,
            next_cursor=None if offset + limit >= total else encode_cursor(offset + limit),
        )

    return app


@pytest.fixture
def history(session: Session) -> Session:
    build(session, models=120, releases=60, events=3000, seed=11)
    refresh_gaps(session)
    return session


def test_the_gaps_list_answers_the_same_bytes_as_the_validated_path(history: Session) -> None:
    app = create_app(start_watchers=False)
    app.dependency_overrides[get_session] = lambda: history
    fast = TestClient(app)
    reference = TestClient(_validated_app(history))
    checked_rows = 0
    for query in QUERIES:
        params = {k: v for k, v in query.items() if k != "offset"}
        offset = int(query.get("offset", 0))
        cursor = {"cursor": encode_cursor(offset)} if offset else {}
        got = fast.get("/api/v1/gaps", params={**params, **cursor})
        want = reference.get("/reference", params={**params, "offset": offset})
        assert got.status_code == want.status_code == 200, (query, got.text[:300], want.text[:300])
        assert got.headers["content-type"] == want.headers["content-type"]
        assert got.content == want.content, query
        checked_rows += len(got.json()["items"])
    # The comparison covered real rows of every kind, not empty pages.
    assert checked_rows > 500
    kinds = {
        (item["runtime"] is None, item["sku"] is None)
        for item in fast.get("/api/v1/gaps", params={"stage": "verified", "limit": 1000}).json()["items"]
    }
    assert {(True, True), (False, True), (False, False)} <= kinds


def test_fast_path_times_are_utc_with_a_z_like_the_models(history: Session) -> None:
    app = create_app(start_watchers=False)
    app.dependency_overrides[get_session] = lambda: history
    item = TestClient(app).get("/api/v1/gaps", params={"limit": 1}).json()["items"][0]
    assert item["release_at"].endswith("Z")
    assert datetime.fromisoformat(item["release_at"]).tzinfo == UTC

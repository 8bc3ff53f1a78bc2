"""`GET /api/v1/models` and `GET /api/v1/models/{repo_id}` (with its support ladders)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from app.api.deps import SessionDep
from app.api.listing import CursorQuery, FormatQuery, LimitQuery, query_page_or_csv
from app.api.params import check_time_zones
from app.schemas.common import Page, UtcTime
from app.schemas.models import (
    ClaimSummary,
    LadderOut,
    ModelDetailOut,
    ModelOut,
    ReleaseConflictOut,
    ReleaseTimeOut,
)
from app.services.claims import list_claims
from app.services.read_views import ModelFilters, count_models, get_model, list_models

router = APIRouter(tags=["models"])


@router.get(
    "/models",
    summary="Models (releases and derivatives), filterable and sorted",
    response_model=Page[ModelOut],
    responses={200: {"content": {"text/csv": {}}}},
)
def models(
    request: Request,
    session: SessionDep,
    publisher: Annotated[str | None, Query(description="Publisher's Hub org.")] = None,
    since: Annotated[UtcTime | None, Query(description="Released at or after (ISO-8601).")] = None,
    until: Annotated[UtcTime | None, Query(description="Released before (ISO-8601).")] = None,
    new_architecture: Annotated[bool | None, Query(description="Only (or never) new architectures.")] = None,
    derivatives: Annotated[bool, Query(description="Include fine-tunes, quantisations and merges.")] = True,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="Finds models by any part of their repo id or name, case-insensitively (`v4-pro`); "
            "`%` and `_` are literal. An empty `q` is a 422.",
        ),
    ] = None,
    search: Annotated[
        str | None, Query(max_length=200, description="Substring of the repo id (as `q`; both must match).")
    ] = None,
    min_downloads: Annotated[
        int | None, Query(ge=0, description="Only models with at least this many recent downloads.")
    ] = None,
    sort: Annotated[
        Literal[
            "-release_at",
            "release_at",
            "repo_id",
            "-created_at",
            "-downloads",
            "downloads",
            "-likes",
            "likes",
        ],
        Query(description="A leading `-` sorts descending: `-downloads` lists the most downloaded first."),
    ] = "-release_at",
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    format: FormatQuery = None,
) -> Page[ModelOut] | Response:
    check_time_zones(since, until)
    if q is not None and not q.strip():
        raise HTTPException(422, "q must name something to find (it is empty)")
    filters = ModelFilters(
        publisher=publisher,
        since=since,
        until=until,
        new_architecture=new_architecture,
        search=tuple(term for term in (q.strip() if q else None, search) if term),
        include_derivatives=derivatives,
        min_downloads=min_downloads,
        sort=sort,
    )
    return query_page_or_csv(
        request,
        ModelOut,
        lambda page, offset: list_models(session, filters, offset=offset, limit=page),
        lambda: count_models(session, filters),
        limit=limit,
        cursor=cursor,
        format=format,
        filename="models.csv",
    )


@router.get(
    "/models/{repo_id:path}",
    summary="One model with its support ladder per runtime, vendor and SKU, and the evidence of every rung",
    response_model=ModelDetailOut,
    responses={404: {"description": "Unknown model."}},
)
def model_detail(repo_id: str, session: SessionDep) -> ModelDetailOut:
    detail = get_model(session, repo_id)
    if detail is None:
        raise HTTPException(404, f"unknown model {repo_id!r}")
    claims = [
        ClaimSummary.model_validate(claim, from_attributes=True)
        for claim in list_claims(session, repo_id=repo_id)
    ]
    base = ModelOut.model_validate(detail.model, from_attributes=True)
    return ModelDetailOut(
        **base.model_dump(),
        ladders=[LadderOut.model_validate(lad, from_attributes=True) for lad in detail.ladders],
        claims=claims,
        release_times=[ReleaseTimeOut.model_validate(t, from_attributes=True) for t in detail.release_times],
        release_conflicts=[
            ReleaseConflictOut.model_validate(c, from_attributes=True) for c in detail.release_conflicts
        ],
    )

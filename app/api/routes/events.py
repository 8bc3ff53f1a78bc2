"""`GET /api/v1/events`: support events, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from app.api.deps import SessionDep
from app.api.listing import CursorQuery, FormatQuery, LimitQuery, query_page_or_csv
from app.api.params import check_runtime
from app.domain.vocabulary import Stage, Vendor
from app.schemas.common import Page, UtcTime
from app.schemas.events import EventOut
from app.services.read_views import EventFilters, count_events, list_events

router = APIRouter(tags=["events"])


def event_filters(
    runtime: str | None, vendor: str | None, stage: str | None, provenance: str | None, since: datetime | None
) -> EventFilters:
    check_runtime(runtime)
    if since is not None and since.tzinfo is None:
        raise HTTPException(422, "since needs a time zone (e.g. 2025-01-01T00:00:00Z)")
    return EventFilters(runtime=runtime, vendor=vendor, stage=stage, provenance=provenance, since=since)


@router.get(
    "/events",
    summary="Support events (git- and docs-derived evidence), newest first",
    response_model=Page[EventOut],
    responses={200: {"content": {"text/csv": {}}}},
)
def events(
    request: Request,
    session: SessionDep,
    runtime: Annotated[str | None, Query(description="Catalog runtime name.")] = None,
    vendor: Annotated[Vendor | None, Query(description="Events that count for this vendor view.")] = None,
    stage: Annotated[Stage | None, Query()] = None,
    provenance: Annotated[Literal["git", "docs"] | None, Query()] = None,
    since: Annotated[UtcTime | None, Query(description="Support time at or after (ISO-8601).")] = None,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    format: FormatQuery = None,
) -> Page[EventOut] | Response:
    filters = event_filters(runtime, vendor, stage, provenance, since)
    return query_page_or_csv(
        request,
        EventOut,
        lambda page, offset: list_events(session, filters, offset=offset, limit=page),
        lambda: count_events(session, filters),
        limit=limit,
        cursor=cursor,
        format=format,
        filename="events.csv",
    )

"""`GET /api/v1/events`: support events, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from app.api.deps import SessionDep
from app.api.listing import CursorQuery, FormatQuery, LimitQuery, csv_response, wants_csv
from app.api.pagination import decode_cursor, encode_cursor
from app.api.routes.gaps import check_runtime
from app.domain.vocabulary import Stage, Vendor
from app.schemas.common import Page, UtcTime
from app.schemas.events import EventOut
from app.services.browse import EventFilters, list_events

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
    if wants_csv(request, format):
        rows, _ = list_events(session, filters, offset=0, limit=None)
        return csv_response(
            EventOut, [EventOut.model_validate(r, from_attributes=True) for r in rows], "events.csv"
        )
    offset = decode_cursor(cursor) if cursor else 0
    rows, total = list_events(session, filters, offset=offset, limit=limit)
    return Page[EventOut](
        items=[EventOut.model_validate(r, from_attributes=True) for r in rows],
        total=total,
        next_cursor=encode_cursor(offset + limit) if offset + limit < total else None,
    )

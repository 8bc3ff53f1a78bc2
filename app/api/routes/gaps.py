"""`GET /api/v1/gaps`: launch gaps per release and runtime, vendor view or SKU; filterable, paginated, CSV."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from app.api.deps import NowDep, SessionDep
from app.api.listing import CursorQuery, FormatQuery, LimitQuery, query_page_or_csv
from app.domain.vocabulary import GapStatus, RowKind, Stage, Vendor
from app.schemas.common import Page, UtcTime
from app.schemas.gaps import GapOut
from app.services.gaps.query import GapFilters, count_gaps, query_gaps
from app.sources.runtimes.catalog import CATALOG, HARDWARE, VENDORS

router = APIRouter(tags=["gaps"])


def check_runtime(runtime: str | None) -> None:
    if runtime is not None and runtime not in CATALOG:
        raise HTTPException(422, f"unknown runtime {runtime!r}; known: {', '.join(sorted(CATALOG))}")


def check_sku(sku: str | None) -> None:
    if sku is not None and sku not in HARDWARE:
        raise HTTPException(422, f"unknown sku {sku!r}; known: {', '.join(sorted(HARDWARE))}")


def gap_filters(
    *,
    stage: str,
    runtime: str | None,
    vendor: str | None,
    sku: str | None,
    status: str | None,
    publisher: str | None,
    since: datetime | None,
    until: datetime | None,
    rows: list[str] | None,
    repo_id: str | None = None,
    family: str | None = None,
) -> GapFilters:
    """Filters from query parameters; without ``rows``, the row kinds the other filters imply."""
    check_runtime(runtime)
    check_sku(sku)
    for value in (since, until):
        if value is not None and value.tzinfo is None:
            raise HTTPException(422, "since/until need a time zone (e.g. 2025-01-01T00:00:00Z)")
    if rows:
        kinds = tuple(dict.fromkeys(rows))
    elif sku is not None:
        kinds = (RowKind.SKU,)
    elif vendor is not None and runtime is None:
        kinds = (RowKind.VENDOR, RowKind.SKU)
    elif runtime is not None:
        kinds = (RowKind.RUNTIME, RowKind.SKU)
    else:
        kinds = tuple(RowKind)
    return GapFilters(
        stage=stage,
        runtime=runtime,
        vendor=vendor,
        sku=sku,
        status=status,
        publisher=publisher,
        since=since,
        until=until,
        rows=kinds,
        repo_id=repo_id,
        family=family,
    )


@router.get(
    "/gaps",
    summary="Launch gaps per release and runtime, vendor view or hardware SKU",
    response_model=Page[GapOut],
    responses={200: {"content": {"text/csv": {}}}},
)
def list_gaps(
    request: Request,
    session: SessionDep,
    now: NowDep,
    runtime: Annotated[str | None, Query(description="Catalog runtime name, e.g. `vllm`.")] = None,
    vendor: Annotated[Vendor | None, Query(description="Vendor view.")] = None,
    sku: Annotated[
        str | None, Query(description="Hardware SKU (per-SKU sources only), e.g. `MI300X`.")
    ] = None,
    stage: Annotated[Stage, Query(description="Support stage.")] = Stage.MERGED,
    status: Annotated[GapStatus | None, Query(description="Only gaps with this status.")] = None,
    publisher: Annotated[str | None, Query(description="Publisher's Hub org.")] = None,
    repo_id: Annotated[str | None, Query(description="One release, e.g. `deepseek-ai/DeepSeek-V3`.")] = None,
    family: Annotated[
        str | None, Query(description="One release family (the repo id of its earliest member).")
    ] = None,
    since: Annotated[UtcTime | None, Query(description="Releases at or after this time (ISO-8601).")] = None,
    until: Annotated[UtcTime | None, Query(description="Releases before this time (ISO-8601).")] = None,
    rows: Annotated[
        list[RowKind] | None,
        Query(description="Row kinds; by default what the filters imply (all three without filters)."),
    ] = None,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    format: FormatQuery = None,
) -> Page[GapOut] | Response:
    filters = gap_filters(
        stage=stage,
        runtime=runtime,
        vendor=vendor,
        sku=sku,
        status=status,
        publisher=publisher,
        since=since,
        until=until,
        rows=list(rows) if rows else None,
        repo_id=repo_id,
        family=family,
    )
    return query_page_or_csv(
        request,
        GapOut,
        lambda page, offset: query_gaps(session, filters, now=now, limit=page, offset=offset),
        lambda: count_gaps(session, filters),
        limit=limit,
        cursor=cursor,
        format=format,
        filename="gaps.csv",
    )


__all__ = ["VENDORS", "router"]

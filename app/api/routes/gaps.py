"""`GET /api/v1/gaps`: launch gaps per release and runtime, vendor view or SKU; filterable, paginated, CSV."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.api.cached import Answer, kept
from app.api.deps import SessionDep
from app.api.listing import (
    CursorQuery,
    FormatQuery,
    LimitQuery,
    query_page_body,
    query_page_or_csv,
    wants_csv,
)
from app.api.params import gap_filters
from app.domain.vocabulary import GapStatus, RowKind, Stage, Vendor
from app.schemas.common import Page, UtcTime
from app.schemas.gaps import GapOut
from app.services.answers.cache import AnswerCache
from app.services.gaps.query import GapFilters, count_gaps, query_gap_fields, query_gaps

router = APIRouter(tags=["gaps"])


def gap_page_answer(
    session: Session, cache: AnswerCache, filters: GapFilters, limit: int, cursor: str | None
) -> Answer[bytes]:
    """One page of the list as JSON bytes, with its total (kept on its own: every page of one list shares
    it), as kept until the next refresh; the warmer (``app/api/warm.py``) computes the first unfiltered one."""
    count: Answer[int] = Answer(("gap-count", filters), lambda: count_gaps(session, filters))
    return Answer(
        ("gap-page", filters, limit, cursor),
        lambda: query_page_body(
            lambda page, offset: query_gap_fields(session, filters, limit=page, offset=offset),
            lambda: kept(cache, session, count),
            limit=limit,
            cursor=cursor,
        ),
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
    final_only: Annotated[
        bool,
        Query(
            description="`released` stage: measure to the first final runtime release (rc, alpha, beta and dev "
            "ignored): status, gap, support time and tag become the final ones."
        ),
    ] = False,
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
        final_only=final_only,
    )
    if wants_csv(request, format):
        return query_page_or_csv(
            request,
            GapOut,
            lambda page, offset: query_gaps(session, filters, limit=page, offset=offset),
            lambda: count_gaps(session, filters),
            limit=limit,
            cursor=cursor,
            format=format,
            filename="gaps.csv",
        )
    # The hot list: rows go from SQL to JSON in the schema's shape, with no per-row model on the way, and the
    # page's bytes (with its total) are kept until the next refresh: a page changes only when the gap rows do.
    cache: AnswerCache = request.app.state.answer_cache
    body = kept(cache, session, gap_page_answer(session, cache, filters, limit, cursor))
    return Response(body, media_type="application/json")

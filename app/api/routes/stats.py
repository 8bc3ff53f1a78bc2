"""`GET /api/v1/stats/{vendors,runtimes,survival}`: launch-gap statistics over new-key release families."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from app.api.deps import NowDep, SessionDep
from app.api.listing import CursorQuery, FormatQuery, LimitQuery, page_or_csv
from app.api.params import gap_filters
from app.domain.vocabulary import RowKind, Stage, Vendor
from app.schemas.common import Page, UtcTime
from app.schemas.stats import StatsOut, SurvivalOut, SurvivalPointOut
from app.services.gaps.query import gap_stats_rows
from app.services.stats import group_stats, survival_curve

router = APIRouter(tags=["stats"])
SinceQuery = Annotated[UtcTime | None, Query(description="Releases at or after (ISO-8601).")]
UntilQuery = Annotated[UtcTime | None, Query(description="Releases before (ISO-8601).")]
PerQuarter = Annotated[bool, Query(description="One row per group and release quarter (the trend).")]


@dataclass
class StatsParams:
    """The query parameters both statistics lists take (declared once, used by both routes)."""

    stage: Annotated[Stage, Query()] = Stage.MERGED
    since: SinceQuery = None
    until: UntilQuery = None
    publisher: Annotated[str | None, Query()] = None
    per_quarter: PerQuarter = False
    limit: LimitQuery = 100
    cursor: CursorQuery = None
    format: FormatQuery = None


StatsParamsDep = Annotated[StatsParams, Depends()]


def _stats(
    request: Request, session: SessionDep, now: datetime, *, by: str, params: StatsParams
) -> Page[StatsOut] | Response:
    filters = gap_filters(
        stage=params.stage,
        publisher=params.publisher,
        since=params.since,
        until=params.until,
        rows=[RowKind(by)],
    )
    stats = group_stats(gap_stats_rows(session, filters, now=now), by=by, per_quarter=params.per_quarter)
    return page_or_csv(
        request,
        StatsOut,
        stats,
        limit=params.limit,
        cursor=params.cursor,
        format=params.format,
        filename=f"stats-{by}s.csv",
    )


@router.get(
    "/stats/vendors",
    summary="Per vendor view: count, median and p90, Kaplan–Meier median, day-0 and pre-release rates",
    response_model=Page[StatsOut],
    responses={200: {"content": {"text/csv": {}}}},
)
def vendor_stats(
    request: Request, session: SessionDep, now: NowDep, params: StatsParamsDep
) -> Page[StatsOut] | Response:
    return _stats(request, session, now, by="vendor", params=params)


@router.get(
    "/stats/runtimes",
    summary="Per runtime: count, median and p90, Kaplan–Meier median, day-0 and pre-release rates",
    response_model=Page[StatsOut],
    responses={200: {"content": {"text/csv": {}}}},
)
def runtime_stats(
    request: Request, session: SessionDep, now: NowDep, params: StatsParamsDep
) -> Page[StatsOut] | Response:
    return _stats(request, session, now, by="runtime", params=params)


@router.get(
    "/stats/survival",
    summary="Time-to-support curve (Kaplan–Meier, pending censored) for a vendor view or a runtime",
    response_model=SurvivalOut,
)
def survival(
    session: SessionDep,
    now: NowDep,
    vendor: Annotated[Vendor | None, Query()] = None,
    runtime: Annotated[str | None, Query()] = None,
    stage: Annotated[Stage, Query()] = Stage.MERGED,
    since: SinceQuery = None,
    until: UntilQuery = None,
) -> SurvivalOut:
    if (vendor is None) == (runtime is None):
        raise HTTPException(422, "give exactly one of vendor or runtime")
    filters = gap_filters(
        stage=stage,
        runtime=runtime,
        vendor=vendor,
        since=since,
        until=until,
        rows=[RowKind.VENDOR if vendor else RowKind.RUNTIME],
    )
    curve = survival_curve(gap_stats_rows(session, filters, now=now))
    return SurvivalOut(
        group=vendor or runtime or "",
        stage=stage,
        count=sum(p.events + p.censored for p in curve),
        points=[SurvivalPointOut.model_validate(p, from_attributes=True) for p in curve],
    )

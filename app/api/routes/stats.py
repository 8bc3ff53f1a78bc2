"""`GET /api/v1/stats/{vendors,runtimes,survival}`: launch-gap statistics over new-key release families."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.api.cached import Answer, cached
from app.api.deps import SessionDep
from app.api.listing import CursorQuery, FormatQuery, LimitQuery, page_or_csv
from app.api.params import SinceQuery, TopQuery, UntilQuery, gap_filters, most_used
from app.domain.vocabulary import RowKind, Stage, Vendor
from app.schemas.common import Page
from app.schemas.stats import ObservedRuntimeOut, StatsOut, SurvivalOut, SurvivalPointOut
from app.services.answers.stats import CoveredStats, SurvivalPoint, load_group_stats, survival_curve
from app.services.gaps.query import GapFilters, gap_stats_rows

router = APIRouter(tags=["stats"])
PerQuarter = Annotated[bool, Query(description="One row per group and release quarter (the trend).")]
FinalOnly = Annotated[
    bool,
    Query(
        description="`released` stage: measure to the first final runtime release (rc/alpha/beta/dev ignored)."
    ),
]

IncludeIncomplete = Annotated[
    bool,
    Query(
        description="Count incomplete vendor cells too (a runtime of the vendor not observed far enough: "
        "their gaps are upper bounds). Default: complete cells only; `incomplete` says how many were left out."
    ),
]


@dataclass
class StatsParams:
    """The query parameters both statistics lists take (declared once, used by both routes)."""

    stage: Annotated[Stage, Query()] = Stage.MERGED
    since: SinceQuery = None
    until: UntilQuery = None
    publisher: Annotated[str | None, Query()] = None
    per_quarter: PerQuarter = False
    final_only: FinalOnly = False
    include_incomplete: IncludeIncomplete = False
    weight: Annotated[
        Literal["downloads"] | None,
        Query(description="Also weigh each release family by its recent downloads (the weighted figures)."),
    ] = None
    top: TopQuery = None
    limit: LimitQuery = 100
    cursor: CursorQuery = None
    format: FormatQuery = None


StatsParamsDep = Annotated[StatsParams, Depends()]


def stats_out(item: CoveredStats, by: str) -> StatsOut:
    """One group's statistics with its coverage, as the API shows them."""
    weighted = item.demand
    return StatsOut(
        **asdict(item.stats),
        weight=weighted.weight if weighted else None,
        weighted_families=weighted.families if weighted else None,
        unweighted_families=weighted.unread if weighted else None,
        downloads=weighted.downloads if weighted else None,
        day0_download_share=weighted.day0_share if weighted else None,
        weighted_median_hours=weighted.weighted_median_hours if weighted else None,
        vendor=item.name if by == "vendor" else None,
        runtime=item.name if by == "runtime" else None,
        runtimes_observed=item.runtimes_observed,
        runtimes_total=item.runtimes_total,
        observed_until=item.observed_until,
        observed_runtimes=[
            ObservedRuntimeOut(runtime=runtime, observed_until=until)
            for runtime, until in item.observed_runtimes
        ],
    )


def stats_answer(session: Session, by: str, params: StatsParams) -> Answer[list[CoveredStats]]:
    """The per-``by`` statistics for ``params``, as kept until the next refresh (the route's and the
    warmer's one key: ``app/api/warm.py`` computes ``StatsParams()``'s after a refresh)."""
    filters = gap_filters(
        stage=params.stage,
        publisher=params.publisher,
        since=params.since,
        until=params.until,
        rows=[RowKind(by)],
        final_only=params.final_only,
        families=most_used(session, params.top, params.publisher),
    )
    return Answer(
        ("stats", by, filters, params.per_quarter, params.include_incomplete, params.weight),
        lambda: load_group_stats(
            session,
            filters,
            by=by,
            per_quarter=params.per_quarter,
            include_incomplete=params.include_incomplete,
            weight=params.weight,
        ),
    )


def _stats(
    request: Request, session: SessionDep, *, by: str, params: StatsParams
) -> Page[StatsOut] | Response:
    stats = cached(request, session, stats_answer(session, by, params))
    return page_or_csv(
        request,
        StatsOut,
        [stats_out(item, by) for item in stats],
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
def vendor_stats(request: Request, session: SessionDep, params: StatsParamsDep) -> Page[StatsOut] | Response:
    return _stats(request, session, by="vendor", params=params)


@router.get(
    "/stats/runtimes",
    summary="Per runtime: count, median and p90, Kaplan–Meier median, day-0 and pre-release rates",
    response_model=Page[StatsOut],
    responses={200: {"content": {"text/csv": {}}}},
)
def runtime_stats(request: Request, session: SessionDep, params: StatsParamsDep) -> Page[StatsOut] | Response:
    return _stats(request, session, by="runtime", params=params)


def survival_answer(
    session: Session, filters: GapFilters, include_incomplete: bool
) -> Answer[list[SurvivalPoint]]:
    """One group's time-to-support curve, as kept until the next refresh."""
    return Answer(
        ("survival", filters, include_incomplete),
        lambda: survival_curve(gap_stats_rows(session, filters), include_incomplete=include_incomplete),
    )


@router.get(
    "/stats/survival",
    summary="Time-to-support curve (Kaplan–Meier, pending censored) for a vendor view or a runtime",
    response_model=SurvivalOut,
)
def survival(
    request: Request,
    session: SessionDep,
    vendor: Annotated[Vendor | None, Query()] = None,
    runtime: Annotated[str | None, Query()] = None,
    stage: Annotated[Stage, Query()] = Stage.MERGED,
    since: SinceQuery = None,
    until: UntilQuery = None,
    final_only: FinalOnly = False,
    include_incomplete: IncludeIncomplete = False,
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
        final_only=final_only,
    )
    curve = cached(request, session, survival_answer(session, filters, include_incomplete))
    return SurvivalOut(
        group=vendor or runtime or "",
        stage=stage,
        count=sum(p.events + p.censored for p in curve),
        points=[SurvivalPointOut.model_validate(p, from_attributes=True) for p in curve],
    )

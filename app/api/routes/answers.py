"""`GET /api/v1/stats/{early-access,propagation,lag}`, `GET /api/v1/releases/latest` and
`GET /api/v1/models/{repo_id}/requirements`: answers read from the observed gap cells.

This router is included before the models router: its `/models/{repo_id:path}/requirements` must be tried
before `/models/{repo_id:path}`, which would take the whole rest of the path as a repo id.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.api.cached import Answer, cached
from app.api.deps import NowDep, SessionDep
from app.api.listing import CursorQuery, FormatQuery, LimitQuery, csv_response, page_or_csv, wants_csv
from app.api.pagination import paginate
from app.api.params import SinceQuery, TopQuery, UntilQuery, check_runtime, check_sku, most_used
from app.api.routes.stats import FinalOnly
from app.domain.vocabulary import Stage, Vendor
from app.schemas.answers import (
    EarlyAccessOut,
    LatestReleaseCsvOut,
    LatestReleaseOut,
    PropagationOut,
    RequirementCsvOut,
    RequirementOut,
    StageLagOut,
)
from app.schemas.common import Page
from app.services.answers.early_access import EarlyAccessCell, early_access_map
from app.services.answers.lags import LagScope, PropagationLag, StageLag, propagation_lags, stage_lags
from app.services.answers.latest import LatestScope, notable_releases, release_answers
from app.services.answers.requirements import RequirementFilters, model_requirements

router = APIRouter(tags=["stats"])
PublisherQuery = Annotated[str | None, Query(description="Publisher's Hub org.")]


def _flat(item: object) -> dict[str, object]:
    """A lag result as one flat item: its identity, then the lag's figures."""
    values = {f.name: getattr(item, f.name) for f in dataclasses.fields(item) if f.name != "lag"}  # type: ignore[arg-type]
    return values | dataclasses.asdict(item.lag)  # type: ignore[attr-defined]


def early_access_answer(
    session: Session,
    now: datetime,
    stage: Stage = Stage.MERGED,
    publisher: str | None = None,
    vendor: Vendor | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Answer[list[EarlyAccessCell]]:
    """The early-access map, as kept until the next refresh (the defaults are the route's: the warmer,
    ``app/api/warm.py``, computes them after a refresh)."""
    return Answer(
        ("early-access", stage, publisher, vendor, since, until),
        lambda: early_access_map(
            session, stage=stage, now=now, publisher=publisher, vendor=vendor, since=since, until=until
        ),
    )


@router.get(
    "/stats/early-access",
    summary="Early-access map: per publisher × vendor, new-key families supported before or on release day",
    response_model=Page[EarlyAccessOut],
    responses={200: {"content": {"text/csv": {}}}},
)
def early_access(
    request: Request,
    session: SessionDep,
    now: NowDep,
    stage: Annotated[
        Stage, Query(description="Support stage (`branch`: release branches count).")
    ] = Stage.MERGED,
    publisher: PublisherQuery = None,
    vendor: Annotated[Vendor | None, Query(description="Vendor slug.")] = None,
    since: SinceQuery = None,
    until: UntilQuery = None,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    format: FormatQuery = None,
) -> Page[EarlyAccessOut] | Response:
    cells = cached(
        request, session, early_access_answer(session, now, stage, publisher, vendor, since, until)
    )
    return page_or_csv(
        request,
        EarlyAccessOut,
        cells,
        limit=limit,
        cursor=cursor,
        format=format,
        filename="early-access.csv",
    )


def latest_answer(session: Session, scope: LatestScope) -> Answer[list[str]]:
    """The notable releases, newest first, as kept until the next refresh."""
    return Answer(("latest", scope), lambda: notable_releases(session, scope))


@router.get(
    "/releases/latest",
    tags=["models"],
    summary="The latest notable releases (key new at the release), newest first, each with its earliest "
    "support per vendor: status, stage, gap, runtime or SKU, and whether the cell is complete",
    response_model=Page[LatestReleaseOut],
    responses={200: {"content": {"text/csv": {}}}},
)
def latest_releases(
    request: Request,
    session: SessionDep,
    publisher: PublisherQuery = None,
    top: TopQuery = None,
    limit: LimitQuery = 10,
    cursor: CursorQuery = None,
    format: FormatQuery = None,
) -> Page[LatestReleaseOut] | Response:
    families = most_used(session, top, publisher)
    scope = LatestScope(publisher=publisher, families=families)
    repo_ids = cached(request, session, latest_answer(session, scope))
    if wants_csv(request, format):
        rows = [row for item in _latest_out(session, repo_ids) for row in LatestReleaseCsvOut.rows(item)]
        return csv_response(LatestReleaseCsvOut, rows, "latest-releases.csv")
    on_page, total, next_cursor = paginate(repo_ids, limit=limit, cursor=cursor)
    return Page[LatestReleaseOut](items=_latest_out(session, on_page), total=total, next_cursor=next_cursor)


def _latest_out(session: Session, repo_ids: Sequence[str]) -> list[LatestReleaseOut]:
    """The answers for ``repo_ids`` as the API shows them (a page, or every one for the CSV)."""
    return [
        LatestReleaseOut.model_validate(a, from_attributes=True) for a in release_answers(session, repo_ids)
    ]


def propagation_answer(
    session: Session,
    scope: LagScope,
    upstream: str | None = None,
    downstream: str | None = None,
    stage: Stage | None = None,
) -> Answer[list[PropagationLag]]:
    """The upstream → downstream lags, as kept until the next refresh."""
    return Answer(
        ("propagation", scope, upstream, downstream, stage),
        lambda: propagation_lags(session, scope=scope, upstream=upstream, downstream=downstream, stage=stage),
    )


@router.get(
    "/stats/propagation",
    summary="Per upstream → downstream pair and stage: families, median and p90 lag, pending",
    response_model=Page[PropagationOut],
    responses={200: {"content": {"text/csv": {}}}},
)
def propagation(
    request: Request,
    session: SessionDep,
    upstream: Annotated[str | None, Query(description="Upstream runtime, e.g. `vllm`.")] = None,
    downstream: Annotated[str | None, Query(description="Downstream runtime, e.g. `vllm-ascend`.")] = None,
    stage: Annotated[Stage | None, Query(description="One stage (default: every stage both have).")] = None,
    publisher: PublisherQuery = None,
    final_only: FinalOnly = False,
    since: SinceQuery = None,
    until: UntilQuery = None,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    format: FormatQuery = None,
) -> Page[PropagationOut] | Response:
    check_runtime(upstream)
    check_runtime(downstream)
    scope = LagScope(publisher, since, until, final_only)
    lags = cached(request, session, propagation_answer(session, scope, upstream, downstream, stage))
    return page_or_csv(
        request,
        PropagationOut,
        [_flat(lag) for lag in lags],
        limit=limit,
        cursor=cursor,
        format=format,
        filename="propagation.csv",
    )


def stage_lag_answer(
    session: Session,
    scope: LagScope,
    from_stage: Stage = Stage.MERGED,
    to_stage: Stage = Stage.DOCUMENTED,
    runtime: str | None = None,
) -> Answer[list[StageLag]]:
    """Each runtime's lag from one stage to another, as kept until the next refresh."""
    return Answer(
        ("stage-lag", from_stage, to_stage, scope, runtime),
        lambda: stage_lags(
            session,
            from_stage=from_stage,
            to_stage=to_stage,
            scope=scope,
            runtimes=[runtime] if runtime else None,
        ),
    )


@router.get(
    "/stats/lag",
    summary="Per runtime: the lag from one stage to another (docs behind code, release behind merge)",
    response_model=Page[StageLagOut],
    responses={200: {"content": {"text/csv": {}}}},
)
def stage_lag(
    request: Request,
    session: SessionDep,
    from_stage: Annotated[Stage, Query(description="The earlier stage, e.g. `merged`.")] = Stage.MERGED,
    to_stage: Annotated[Stage, Query(description="The later stage, e.g. `documented`.")] = Stage.DOCUMENTED,
    runtime: Annotated[str | None, Query(description="One runtime.")] = None,
    publisher: PublisherQuery = None,
    final_only: FinalOnly = False,
    since: SinceQuery = None,
    until: UntilQuery = None,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    format: FormatQuery = None,
) -> Page[StageLagOut] | Response:
    check_runtime(runtime)
    if from_stage == to_stage:
        raise HTTPException(422, "from_stage and to_stage must differ")
    scope = LagScope(publisher, since, until, final_only)
    lags = cached(request, session, stage_lag_answer(session, scope, from_stage, to_stage, runtime))
    return page_or_csv(
        request,
        StageLagOut,
        [_flat(lag) for lag in lags],
        limit=limit,
        cursor=cursor,
        format=format,
        filename="stage-lag.csv",
    )


@router.get(
    "/models/{repo_id:path}/requirements",
    tags=["models"],
    summary="Which version do I need: per runtime, the first release, first final release, first release "
    "branch carrying the model's support, and a stated minimum version",
    response_model=Page[RequirementOut],
    responses={200: {"content": {"text/csv": {}}}, 404: {"description": "Unknown model."}},
)
def requirements(
    request: Request,
    repo_id: str,
    session: SessionDep,
    runtime: Annotated[str | None, Query(description="One runtime.")] = None,
    vendor: Annotated[Vendor | None, Query(description="Runtimes counting for this vendor.")] = None,
    sku: Annotated[str | None, Query(description="Runtimes targeting this hardware SKU.")] = None,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    format: FormatQuery = None,
) -> Page[RequirementOut] | Response:
    check_runtime(runtime)
    sku = check_sku(sku)
    filters = RequirementFilters(runtime=runtime, vendor=vendor, sku=sku)
    items = cached(
        request,
        session,
        Answer(
            ("requirements", repo_id, filters), lambda: model_requirements(session, repo_id, filters=filters)
        ),
    )
    if items is None:
        raise HTTPException(404, f"unknown model {repo_id!r}")
    if wants_csv(request, format):
        flat = [RequirementCsvOut.of(RequirementOut.model_validate(i, from_attributes=True)) for i in items]
        return csv_response(RequirementCsvOut, flat, f"requirements-{repo_id.replace('/', '--')}.csv")
    return page_or_csv(
        request,
        RequirementOut,
        items,
        limit=limit,
        cursor=cursor,
        format=format,
        filename="requirements.csv",
    )

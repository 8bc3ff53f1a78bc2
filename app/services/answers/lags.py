"""Lags measured between two support times of the same release family: between runtimes (an upstream and the
downstream that ports it) and between stages of one runtime (docs behind code, final release behind merge).

Both read the materialised gap rows (one per family and runtime, as statistics do) and only cells whose
source was observed: a lag needs the first support time to exist (a new key, supported) and the second cell
to be observed (supported: a lag; not yet: pending). A negative lag is real evidence — the downstream (or
the later stage) got there first, e.g. a vendor's release branch before upstream's main.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.orm import Session

from app.domain.vocabulary import RESOLVED_STATUSES, GapStatus, RowKind, Stage
from app.services.answers.stats import family_rows, quantile
from app.services.gaps.decide import hours
from app.services.gaps.record import TABLE, utc
from app.services.runtimes.catalog_views import has_source_for
from app.sources.runtimes.catalog import CATALOG, PROPAGATION


def observed(status: str) -> bool:
    """Whether a cell's source could say something about the release (the vocabulary decides)."""
    return GapStatus(status).observed


@dataclass(frozen=True)
class LagSummary:
    """Lags between two support times over the release families where the first one exists."""

    families: int
    """Families measured: the first support exists and the second cell is observed (resolved + pending)."""
    resolved: int
    pending: int
    """The second support has not come yet (as far as its source was observed)."""
    ahead: int
    """Resolved with a negative lag: the second support came first."""
    median_hours: float | None
    p90_hours: float | None


@dataclass(frozen=True)
class PropagationLag:
    """How long a downstream runtime takes to carry what its upstream registered, at one stage."""

    upstream: str
    downstream: str
    stage: Stage
    lag: LagSummary


@dataclass(frozen=True)
class StageLag:
    """How long one runtime takes from one stage to another (e.g. merged → documented)."""

    runtime: str
    from_stage: Stage
    to_stage: Stage
    lag: LagSummary


class LagRow(NamedTuple):
    """The part of a runtime's gap row a lag reads (a plain tuple: tens of thousands are read per request)."""

    runtime: str
    family: str
    repo_id: str
    release_at: datetime
    status: str
    gap_hours: float
    """Only orders a family's members (``stats.family_rows``); unknown (pending, stored null) sorts last."""
    key_is_new: bool
    support_at: datetime | None
    vendor: None = None
    sku: None = None
    stage: str = ""


FamilyRows = Mapping[str, LagRow]
"""Family → its row (the family's earliest public member's, as statistics count it)."""


def _counted_first(row: LagRow) -> bool:
    return row.key_is_new and row.status in RESOLVED_STATUSES and row.support_at is not None


def measure_lags(first: FamilyRows, second: FamilyRows) -> LagSummary:
    """Per family: second support − first support, over families with a new key supported first and an
    observed second cell; pending when the second has no support yet. Pure."""
    lags: list[float] = []
    pending = 0
    for family, before in first.items():
        after = second.get(family)
        if not _counted_first(before) or after is None or not observed(after.status):
            continue
        if after.status == GapStatus.PENDING:
            pending += 1
        elif after.status in RESOLVED_STATUSES and after.support_at is not None:
            # (pre-existing second support — the key long before the release — measures no propagation)
            lags.append(hours(after.support_at - before.support_at))  # type: ignore[operator]
    return LagSummary(
        families=len(lags) + pending,
        resolved=len(lags),
        pending=pending,
        ahead=sum(1 for lag in lags if lag < 0),
        median_hours=quantile(lags, 0.5),
        p90_hours=quantile(lags, 0.9),
    )


def by_runtime_family(rows: Iterable[LagRow]) -> dict[str, dict[str, LagRow]]:
    """Runtime rows grouped per runtime, one per release family."""
    result: dict[str, dict[str, LagRow]] = {}
    for row in family_rows(rows):
        result.setdefault(row.runtime, {})[row.family or row.repo_id] = row
    return result


@dataclass(frozen=True)
class LagScope:
    """Which releases a lag is measured over (the filters the endpoints share)."""

    publisher: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    final_only: bool = False
    """At the ``released`` stage, support is the first *final* release (issue 11's ``final_status`` and
    ``first_final_at``): "final release behind merge" rather than "a release candidate behind merge"."""


def _stage_rows(
    session: Session, stage: Stage, scope: LagScope, runtimes: Iterable[str]
) -> dict[str, dict[str, LagRow]]:
    """``runtimes``' rows at ``stage`` in one query over the (stage, runtime, release) index, one per family.

    Lean columns rather than full gap rows: a propagation answer reads every release of several runtimes at
    several stages."""
    where = [
        TABLE.stage == stage,
        TABLE.row_kind == RowKind.RUNTIME,
        TABLE.runtime.in_(sorted(set(runtimes))),
    ]
    if scope.publisher is not None:
        where.append(TABLE.publisher == scope.publisher)
    if scope.since is not None:
        where.append(TABLE.release_at >= scope.since)
    if scope.until is not None:
        where.append(TABLE.release_at < scope.until)
    final = scope.final_only and stage == Stage.RELEASED
    statement = select(
        TABLE.runtime,
        TABLE.family,
        TABLE.repo_id,
        type_coerce(TABLE.release_at, String),
        func.coalesce(TABLE.final_status, TABLE.status) if final else TABLE.status,
        TABLE.final_gap_hours if final else TABLE.gap_hours,
        TABLE.key_is_new,
        type_coerce(TABLE.first_final_at if final else TABLE.support_at, String),
    ).where(*where)
    rows = [
        LagRow(
            runtime,
            family or repo_id,
            repo_id,
            utc(release_at),
            status,
            gap if gap is not None else math.inf,
            key_is_new,
            utc(support_at) if support_at is not None else None,
            stage=stage,
        )
        for runtime, family, repo_id, release_at, status, gap, key_is_new, support_at in session.execute(
            statement
        )
    ]
    return by_runtime_family(rows)


def propagation_pairs(
    *, upstream: str | None = None, downstream: str | None = None, stage: Stage | None = None
) -> list[tuple[str, str, Stage]]:
    """The catalog's (upstream, downstream) pairs at every stage both have a source for."""
    return [
        (up, down, each)
        for up, down in PROPAGATION
        if upstream in (None, up) and downstream in (None, down)
        for each in Stage
        if stage in (None, each) and has_source_for(CATALOG[up], each) and has_source_for(CATALOG[down], each)
    ]


def propagation_lags(
    session: Session,
    *,
    scope: LagScope = LagScope(),
    upstream: str | None = None,
    downstream: str | None = None,
    stage: Stage | None = None,
) -> list[PropagationLag]:
    """Per catalog pair and stage: how far the downstream runtime trails its upstream (one query per stage)."""
    pairs = propagation_pairs(upstream=upstream, downstream=downstream, stage=stage)
    per_stage = {
        each: _stage_rows(
            session, each, scope, {name for up, down, s in pairs if s == each for name in (up, down)}
        )
        for each in dict.fromkeys(s for _, _, s in pairs)
    }
    return [
        PropagationLag(
            up, down, each, measure_lags(per_stage[each].get(up, {}), per_stage[each].get(down, {}))
        )
        for up, down, each in pairs
    ]


def stage_lags(
    session: Session,
    *,
    from_stage: Stage,
    to_stage: Stage,
    scope: LagScope = LagScope(),
    runtimes: Sequence[str] | None = None,
) -> list[StageLag]:
    """Per runtime with a source for both stages: the lag from ``from_stage`` support to ``to_stage``'s."""
    names = [
        name
        for name, spec in CATALOG.items()
        if (runtimes is None or name in runtimes)
        and has_source_for(spec, from_stage)
        and has_source_for(spec, to_stage)
    ]
    if not names:
        return []
    first = _stage_rows(session, from_stage, scope, names)
    second = _stage_rows(session, to_stage, scope, names)
    return [
        StageLag(name, from_stage, to_stage, measure_lags(first.get(name, {}), second.get(name, {})))
        for name in names
    ]

"""Lags measured between two support times of the same release family: between runtimes (an upstream and the
downstream that ports it) and between stages of one runtime (docs behind code, final release behind merge).

Both read the materialised gap rows (one per family and runtime, as statistics do) and only cells whose
source was observed: a lag needs the first support time to exist (a new key, supported) and the second cell
to be observed (supported: a lag; not yet: pending). A negative lag is real evidence — the downstream (or
the later stage) got there first, e.g. a vendor's release branch before upstream's main.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.domain.gap_row import GapRow
from app.domain.vocabulary import GapStatus, RowKind, Stage
from app.services.gaps.decide import hours
from app.services.gaps.query import GapFilters, query_gaps
from app.services.runtime_coverage import has_source_for
from app.services.stats import family_rows, quantile
from app.sources.runtimes.catalog import CATALOG, PROPAGATION

SUPPORTED = frozenset({GapStatus.PRE_RELEASE, GapStatus.DAY_0, GapStatus.LATER})
"""Statuses with a support time measured against the release (pre-existing support is not new)."""

# The statuses whose source could say something about the release (the honest cells' "observed" ones).
OBSERVED = frozenset(
    {GapStatus.PRE_EXISTING, GapStatus.PRE_RELEASE, GapStatus.DAY_0, GapStatus.LATER, GapStatus.PENDING}
)


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


FamilyRows = Mapping[str, GapRow]
"""Family → its row (the family's earliest public member's, as statistics count it)."""


def _counted_first(row: GapRow) -> bool:
    return row.key_is_new and row.status in SUPPORTED and row.support_at is not None


def measure_lags(first: FamilyRows, second: FamilyRows) -> LagSummary:
    """Per family: second support − first support, over families with a new key supported first and an
    observed second cell; pending when the second has no support yet. Pure."""
    lags: list[float] = []
    pending = 0
    for family, before in first.items():
        after = second.get(family)
        if not _counted_first(before) or after is None or after.status not in OBSERVED:
            continue
        if after.status == GapStatus.PENDING:
            pending += 1
        elif after.status in SUPPORTED and after.support_at is not None:
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


def by_runtime_family(rows: Iterable[GapRow]) -> dict[str, dict[str, GapRow]]:
    """Runtime rows grouped per runtime, one per release family."""
    result: dict[str, dict[str, GapRow]] = {}
    for row in family_rows(rows):
        if row.runtime is not None and row.sku is None:
            result.setdefault(row.runtime, {})[row.family or row.repo_id] = row
    return result


@dataclass(frozen=True)
class LagScope:
    """Which releases a lag is measured over (the filters the endpoints share)."""

    publisher: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _stage_rows(
    session: Session, stage: Stage, scope: LagScope, now: datetime, runtime: str | None = None
) -> dict[str, dict[str, GapRow]]:
    filters = GapFilters(
        stage=stage,
        runtime=runtime,
        publisher=scope.publisher,
        since=scope.since,
        until=scope.until,
        rows=(RowKind.RUNTIME,),
    )
    return by_runtime_family(query_gaps(session, filters, now=now))


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
    now: datetime,
    scope: LagScope = LagScope(),
    upstream: str | None = None,
    downstream: str | None = None,
    stage: Stage | None = None,
) -> list[PropagationLag]:
    """Per catalog pair and stage: how far the downstream runtime trails its upstream (one query per stage)."""
    pairs = propagation_pairs(upstream=upstream, downstream=downstream, stage=stage)
    per_stage = {
        each: _stage_rows(session, each, scope, now) for each in dict.fromkeys(s for _, _, s in pairs)
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
    now: datetime,
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
    only = names[0] if len(names) == 1 else None
    first = _stage_rows(session, from_stage, scope, now, runtime=only)
    second = _stage_rows(session, to_stage, scope, now, runtime=only)
    return [
        StageLag(name, from_stage, to_stage, measure_lags(first.get(name, {}), second.get(name, {})))
        for name in names
    ]

"""Launch-gap statistics: plain quantiles of resolved gaps, Kaplan–Meier with pending gaps censored.

Small, pure and tested (tests/unit/services/answers/test_stats.py) rather than a heavy scientific dependency: the estimator
is a dozen lines and the inputs are at most a few thousand gaps. Only ``load_group_stats`` reads the
database (the rows and the coverage the API and the pages summarise).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session

from app.domain.vocabulary import RESOLVED_STATUSES, SUPPORTED_STATUSES, GapStatus
from app.services.gaps.query import GapFilters, gap_stats_rows
from app.services.releases.demand import FamilyDemand, family_demand
from app.services.runtimes.stored_coverage import (
    GroupCoverage,
    load_coverage,
    runtime_coverage,
    vendor_coverage,
)


class GapLike(Protocol):
    """What statistics read from a gap: a full ``GapRow`` or a lean ``GapStatsRow`` both qualify."""

    @property
    def runtime(self) -> str | None: ...
    @property
    def vendor(self) -> str | None: ...
    @property
    def sku(self) -> str | None: ...
    @property
    def stage(self) -> str: ...
    @property
    def family(self) -> str | None: ...
    @property
    def repo_id(self) -> str: ...
    @property
    def release_at(self) -> datetime: ...
    @property
    def status(self) -> str: ...
    @property
    def gap_hours(self) -> float | None: ...
    @property
    def key_is_new(self) -> bool: ...
    @property
    def complete(self) -> bool: ...


Row = TypeVar("Row", bound=GapLike)


def quantile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated quantile (numpy's default); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (pos - low), 2)


@dataclass(frozen=True)
class SurvivalPoint:
    """The share still unsupported just after ``hours``, with the numbers behind the step."""

    hours: float
    unsupported: float
    at_risk: int
    events: int
    censored: int


def kaplan_meier(observations: Iterable[tuple[float, bool]]) -> list[SurvivalPoint]:
    """Kaplan–Meier time-to-support curve. ``observations`` are (hours, supported); unsupported = censored.

    At a time where supports and censorings tie, supports are counted first (the usual convention): a
    censored gap was still at risk at that instant.
    """
    ordered = sorted(observations, key=lambda o: (o[0], not o[1]))
    at_risk = len(ordered)
    survival = 1.0
    curve: list[SurvivalPoint] = []
    i = 0
    while i < len(ordered):
        hours = ordered[i][0]
        events = censored = 0
        while i < len(ordered) and ordered[i][0] == hours:
            if ordered[i][1]:
                events += 1
            else:
                censored += 1
            i += 1
        if events:
            survival *= 1 - events / at_risk
        curve.append(SurvivalPoint(round(hours, 2), round(survival, 6), at_risk, events, censored))
        at_risk -= events + censored
    return curve


def km_median(curve: Sequence[SurvivalPoint]) -> float | None:
    """The first time the curve reaches 50 % or below; None when it never does (too many still pending)."""
    for point in curve:
        if point.events and point.unsupported <= 0.5:
            return point.hours
    return None


@dataclass(frozen=True)
class GapStats:
    """Statistics over new-key release families for one group (a vendor or a runtime)."""

    group: str
    count: int
    resolved: int
    pending: int
    pre_existing: int
    """Counted apart: the runtime supported the key before the release."""
    not_new_key: int
    """Counted apart: the key was not new at the release (an earlier family carried it) but not supported
    before it either; statistics cover new-key release families only (docs/concepts.md)."""
    unknown: int
    """Counted apart: cells whose source was never observed, or not as far as the release."""
    before_coverage: int
    """Counted apart: releases older than the source's coverage start."""
    incomplete: int
    """Vendor cells with support that not every runtime of the vendor was observed far enough to confirm:
    their gap is an upper bound. Left out of the figures unless ``include_incomplete``."""
    median_hours: float | None
    """Plain median of resolved gaps (pending ignored: biased low while many are pending)."""
    p90_hours: float | None
    km_median_hours: float | None
    """Kaplan–Meier median, pending treated as censored at their elapsed time."""
    day0_rate: float | None
    """Share supported by release + 24 h, pre-release included."""
    pre_release_rate: float | None


def family_rows(rows: Iterable[Row]) -> list[Row]:
    """One row per release family and group: its earliest public member's, and among members released
    together the earliest supported (statistics count families; a family's release time is its earliest
    member's — docs/concepts.md)."""
    best: dict[tuple[str | None, str | None, str, str, str], Row] = {}
    for row in rows:
        key = (row.runtime, row.vendor, row.sku or "", row.stage, row.family or row.repo_id)
        seen = best.get(key)
        if seen is None or _family_order(row) < _family_order(seen):
            best[key] = row
    return list(best.values())


_BY_DAY_0 = frozenset({GapStatus.PRE_RELEASE, GapStatus.DAY_0})
"""Supported by release + 24 h: what the day-0 rate counts, plain and weighted by downloads."""


def _family_order(row: GapLike) -> tuple[datetime, bool, float, str]:
    # Earliest public member first; among members released together, the earliest supported one.
    gap = row.gap_hours if row.gap_hours is not None else math.inf
    return (row.release_at, row.status not in SUPPORTED_STATUSES, gap, row.repo_id)


def _observed(row: GapLike) -> bool:
    return GapStatus(row.status).observed


def _decidable(rows: Iterable[Row]) -> list[Row]:
    return [r for r in rows if _observed(r) and r.key_is_new and r.status != GapStatus.PRE_EXISTING]


def counted_rows(rows: Iterable[Row], *, include_incomplete: bool = False) -> list[Row]:
    """The rows launch-gap statistics count: observed new-key releases, pre-existing support excluded, and
    complete cells only unless ``include_incomplete``.

    An unknown cell (never observed, or newer than the source's coverage) and a cell before the source's
    coverage start say nothing about the gap: counting them as pending would make "not scanned" look slow.
    An incomplete vendor cell's gap is only an upper bound (a runtime not read that far may have supported
    the release earlier), so it would bias the figures towards slow (docs/concepts.md, "Complete or bound").
    """
    return [r for r in _decidable(rows) if include_incomplete or r.complete]


def _observations(rows: Iterable[GapLike]) -> list[tuple[float, bool]]:
    # A pending gap runs to its source's observed_until: censored there, not at the wall clock.
    return [(max(r.gap_hours or 0.0, 0.0), r.status != GapStatus.PENDING) for r in rows]


def survival_curve(rows: Iterable[GapLike], *, include_incomplete: bool = False) -> list[SurvivalPoint]:
    """Kaplan–Meier time to support over the counted family rows, pending censored at ``observed_until``.

    Pre-release support is an event at time 0: the curve starts at the release."""
    counted = counted_rows(family_rows(rows), include_incomplete=include_incomplete)
    return kaplan_meier(_observations(counted))


def summarise(group: str, rows: Sequence[GapLike], *, include_incomplete: bool = False) -> GapStats:
    """Statistics for one group's rows (already one per family) over observed new-key families only;
    pre-existing, not-new-key, unknown and before-coverage rows are counted apart, and so are incomplete
    cells unless ``include_incomplete`` (``incomplete`` says how many there are either way)."""
    observed = [r for r in rows if _observed(r)]
    pre_existing = sum(1 for r in observed if r.status == GapStatus.PRE_EXISTING)
    not_new_key = sum(1 for r in observed if not r.key_is_new and r.status != GapStatus.PRE_EXISTING)
    counted = counted_rows(rows, include_incomplete=include_incomplete)
    resolved = [r.gap_hours for r in counted if r.status in RESOLVED_STATUSES and r.gap_hours is not None]
    pending = sum(1 for r in counted if r.status == GapStatus.PENDING)
    n = len(counted)
    curve = kaplan_meier(_observations(counted))
    return GapStats(
        group=group,
        count=n,
        resolved=len(resolved),
        pending=pending,
        pre_existing=pre_existing,
        not_new_key=not_new_key,
        unknown=sum(1 for r in rows if r.status == GapStatus.UNKNOWN),
        before_coverage=sum(1 for r in rows if r.status == GapStatus.BEFORE_COVERAGE),
        incomplete=sum(1 for r in _decidable(rows) if not r.complete),
        median_hours=quantile(resolved, 0.5),
        p90_hours=quantile(resolved, 0.9),
        km_median_hours=km_median(curve),
        day0_rate=round(sum(1 for r in counted if r.status in _BY_DAY_0) / n, 4) if n else None,
        pre_release_rate=round(sum(1 for r in counted if r.status == GapStatus.PRE_RELEASE) / n, 4)
        if n
        else None,
    )


def quarter(at: datetime) -> str:
    """ "2025Q3" for a release time."""
    return f"{at.year}Q{(at.month - 1) // 3 + 1}"


def _groups(rows: Iterable[GapLike], *, by: str, per_quarter: bool) -> dict[str, list[GapLike]]:
    """One row per family, grouped by ``by`` (and release quarter), labels sorted."""
    groups: dict[str, list[GapLike]] = {}
    for row in family_rows(rows):
        name = getattr(row, by)
        if name is None:
            continue
        label = f"{name} {quarter(row.release_at)}" if per_quarter else name
        groups.setdefault(label, []).append(row)
    return {label: groups[label] for label in sorted(groups)}


def group_stats(
    rows: Iterable[GapLike], *, by: str, per_quarter: bool = False, include_incomplete: bool = False
) -> list[GapStats]:
    """Statistics per ``by`` ("vendor" or "runtime"), optionally per release quarter too ("nvidia 2025Q3")."""
    return [
        summarise(label, group, include_incomplete=include_incomplete)
        for label, group in _groups(rows, by=by, per_quarter=per_quarter).items()
    ]


@dataclass(frozen=True)
class DemandStats:
    """A group's statistics weighted by downloads, over its counted families whose demand was read."""

    weight: str
    families: int
    """Counted families whose downloads were read (the others are left out of the weighted figures)."""
    unread: int
    """Counted families whose downloads were never read: left out, said apart."""
    downloads: int
    day0_share: float | None
    """Share of those families' downloads that went to families supported by release + 24 h."""
    weighted_median_hours: float | None
    """The smallest resolved gap such that families released with support within it hold at least half of
    the resolved families' downloads (pending families are outside it, as for the plain median)."""


def weighted_median(values: Iterable[tuple[float, int]]) -> float | None:
    """The lower weighted median of (value, weight) pairs: the smallest value whose cumulative weight
    reaches half the total; None when the total weight is 0."""
    ordered = sorted((v, w) for v, w in values if w > 0)
    total = sum(w for _, w in ordered)
    if total == 0:
        return None
    running = 0
    for value, weight in ordered:
        running += weight
        if 2 * running >= total:
            return round(value, 2)
    raise AssertionError("unreachable: the running weight reaches the total")


def summarise_demand(
    rows: Sequence[GapLike],
    demand: Mapping[str, FamilyDemand],
    weight: str = "downloads",
    *,
    include_incomplete: bool = False,
) -> DemandStats:
    """``summarise``'s day-0 rate and median over the same counted rows, each family weighted by its
    downloads (``demand`` by family)."""
    counted = counted_rows(rows, include_incomplete=include_incomplete)
    read = [(r, demand[r.family or r.repo_id]) for r in counted if _demand_read(r, demand)]
    total = sum(d.downloads for _, d in read)
    day0 = sum(d.downloads for r, d in read if r.status in _BY_DAY_0)
    resolved = [
        (r.gap_hours, d.downloads)
        for r, d in read
        if r.status in RESOLVED_STATUSES and r.gap_hours is not None
    ]
    return DemandStats(
        weight=weight,
        families=len(read),
        unread=len(counted) - len(read),
        downloads=total,
        day0_share=round(day0 / total, 4) if total else None,
        weighted_median_hours=weighted_median(resolved),
    )


def _demand_read(row: GapLike, demand: Mapping[str, FamilyDemand]) -> bool:
    found = demand.get(row.family or row.repo_id)
    return found is not None and found.read


@dataclass(frozen=True)
class CoveredStats:
    """A group's statistics with which of its runtimes are observed (a vendor is ranked only on those)."""

    stats: GapStats
    name: str
    """The vendor slug or runtime name (``stats.group`` adds the quarter when per quarter)."""
    runtimes_observed: int
    runtimes_total: int
    observed_until: datetime | None
    """The earliest ``observed_until`` among its observed runtimes."""
    observed_runtimes: tuple[tuple[str, datetime], ...]
    """(runtime, observed until) for each observed runtime."""
    demand: DemandStats | None = None
    """The figures weighted by downloads, when asked for."""

    @property
    def ranked(self) -> bool:
        return self.runtimes_observed > 0


def covered_group_stats(
    rows: Iterable[GapLike],
    *,
    by: str,
    coverage: Mapping[str, GroupCoverage],
    per_quarter: bool = False,
    include_incomplete: bool = False,
    demand: Mapping[str, FamilyDemand] | None = None,
) -> list[CoveredStats]:
    """``group_stats`` with every group of ``coverage`` present (a group with no row gets count 0) and its
    observed runtimes; groups with an observed runtime first, then the ones with none (not ranked). With
    ``demand`` (by family), each group's figures weighted by downloads too."""
    groups = _groups(rows, by=by, per_quarter=per_quarter)
    if not per_quarter:
        for name in coverage:
            groups.setdefault(name, [])
    result = []
    for label, members in groups.items():
        stats = summarise(label, members, include_incomplete=include_incomplete)
        name = label.split(" ", 1)[0]
        group = coverage.get(name)
        observed = group.observed if group else ()
        result.append(
            CoveredStats(
                stats=stats,
                name=name,
                runtimes_observed=len(observed),
                runtimes_total=len(group.runtimes) if group else 0,
                observed_until=group.observed_until if group else None,
                observed_runtimes=tuple(
                    (c.runtime, c.observed_until) for c in observed if c.observed_until is not None
                ),
                demand=summarise_demand(members, demand, include_incomplete=include_incomplete)
                if demand is not None
                else None,
            )
        )
    return sorted(result, key=lambda c: (not c.ranked, c.stats.group))


def load_group_stats(
    session: Session,
    filters: GapFilters,
    *,
    by: str,
    per_quarter: bool = False,
    include_incomplete: bool = False,
    weight: str | None = None,
) -> list[CoveredStats]:
    """Statistics per vendor view (``by="vendor"``) or runtime of ``filters``' rows, with every catalog
    vendor or runtime of the stage present and its coverage (two queries; a third with
    ``weight="downloads"``: each family's downloads)."""
    coverage = load_coverage(session)
    groups = (
        vendor_coverage(coverage, filters.stage)
        if by == "vendor"
        else runtime_coverage(coverage, filters.stage)
    )
    return covered_group_stats(
        gap_stats_rows(session, filters),
        by=by,
        coverage=groups,
        per_quarter=per_quarter,
        include_incomplete=include_incomplete,
        demand=family_demand(session, publisher=filters.publisher) if weight == "downloads" else None,
    )

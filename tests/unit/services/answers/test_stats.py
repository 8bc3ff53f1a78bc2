"""Statistics against hand-worked cases, censoring and pre-release included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.gap_row import GapRow
from app.services.answers.stats import (
    family_rows,
    group_stats,
    kaplan_meier,
    km_median,
    quantile,
    quarter,
    summarise,
    summarise_demand,
    survival_curve,
    weighted_median,
)
from app.services.releases.demand import FamilyDemand


def test_quantile_interpolates_like_numpy() -> None:
    assert quantile([1, 2, 3, 4], 0.5) == 2.5
    assert quantile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.9) == 91.0
    assert quantile([], 0.5) is None


def test_kaplan_meier_hand_worked_with_censoring() -> None:
    # Events at 1, 3 and 5 h; censored (pending) at 2 and 4 h. n=5.
    # S(1)=4/5=0.8; censor at 2 → at risk 3; S(3)=0.8*2/3=0.5333; censor at 4 → at risk 1; S(5)=0.
    curve = kaplan_meier([(1, True), (2, False), (3, True), (4, False), (5, True)])
    assert [(p.hours, p.unsupported, p.at_risk) for p in curve] == [
        (1, 0.8, 5),
        (2, 0.8, 4),
        (3, pytest.approx(0.533333, abs=1e-6), 3),
        (4, pytest.approx(0.533333, abs=1e-6), 2),
        (5, 0.0, 1),
    ]
    assert km_median(curve) == 5


def test_kaplan_meier_median_is_none_while_most_are_pending() -> None:
    curve = kaplan_meier([(1, True), (100, False), (100, False)])
    assert km_median(curve) is None


def test_ties_count_support_before_censoring() -> None:
    curve = kaplan_meier([(2, False), (2, True)])
    assert curve[0].at_risk == 2 and curve[0].unsupported == 0.5


def _row(
    repo: str,
    status: str,
    hours: float,
    *,
    vendor: str = "nvidia",
    family: str | None = None,
    new: bool = True,
    release: datetime = datetime(2025, 8, 1, tzinfo=UTC),
) -> GapRow:
    return GapRow(
        repo_id=repo,
        publisher="p",
        runtime=None,
        stage="merged",
        key_kind="architecture",
        key="X",
        status=status,
        gap_hours=hours,
        confidence="high",
        release_at=release,
        release_precision="second",
        support_at=None if status == "pending" else release,
        author_at=None,
        commit=None,
        tag=None,
        evidence_url=None,
        vendor=vendor,
        family=family or repo,
        key_is_new=new,
    )


def test_summary_counts_families_and_keeps_pre_existing_apart() -> None:
    rows = [
        _row("a/pre", "pre-release", -48),
        _row("a/day0", "day-0", 10),
        _row("a/late", "later", 100),
        _row("a/pend", "pending", 500),
        _row("a/old", "pre-existing", 0),
        # A sibling of a/late in the same family, supported earlier: the family counts once, at 50 h.
        _row("a/late-fp8", "later", 50, family="a/late"),
    ]
    stats = summarise("nvidia", [r for r in rows if r.repo_id != "a/late"])
    assert (stats.count, stats.resolved, stats.pending, stats.pre_existing) == (4, 3, 1, 1)
    assert stats.median_hours == 10
    assert stats.day0_rate == 0.5 and stats.pre_release_rate == 0.25
    # Survival over 0 (pre-release clamped), 10, 50, pending 500: S(0)=.75, S(10)=.5 → KM median 10 h.
    assert stats.km_median_hours == 10
    grouped = group_stats(rows, by="vendor")
    assert [(g.group, g.count) for g in grouped] == [("nvidia", 4)]
    assert grouped[0].median_hours == 10


def test_quarter_labels() -> None:
    assert quarter(datetime(2025, 3, 31, tzinfo=UTC)) == "2025Q1"
    assert quarter(datetime(2025, 10, 1, tzinfo=UTC)) == "2025Q4"


def test_statistics_count_new_key_families_only() -> None:
    """Two new-key families (day-0 at 5 h, later at 40 h) and two releases reusing an old key: one still
    pending (a runtime that never supported the old key) and one supported after its release. Neither reused
    key counts: without the filter the pending one would halve the day-0 rate and hide the KM median."""
    rows = [
        _row("a/new1", "day-0", 5),
        _row("a/new2", "later", 40),
        _row("b/reuse-pending", "pending", 2000, new=False),
        _row("b/reuse-later", "later", 300, new=False),
        _row("b/reuse-old", "pre-existing", 0, new=False),
    ]
    stats = summarise("nvidia", rows)
    assert (stats.count, stats.resolved, stats.pending) == (2, 2, 0)
    assert (stats.pre_existing, stats.not_new_key) == (1, 2)
    assert stats.median_hours == 22.5  # (5 + 40) / 2
    assert stats.p90_hours == 36.5  # 5 + 0.9 * 35
    assert stats.day0_rate == 0.5 and stats.pre_release_rate == 0.0
    # S(5) = 1/2 → KM median 5 h.
    assert stats.km_median_hours == 5
    curve = survival_curve(rows)
    assert [(p.hours, p.at_risk, p.events, p.censored) for p in curve] == [(5, 2, 1, 0), (40, 1, 1, 0)]


def test_a_family_counts_at_its_earliest_member() -> None:
    """Base released on day 0 and supported after 30 h; its FP8 sibling released a day later, so its own
    row says 6 h. The family counts once, from the Base: 30 h, later — not day-0."""
    day0 = datetime(2025, 8, 1, tzinfo=UTC)
    base = _row("a/M", "later", 30, family="a/M", release=day0)
    fp8 = _row("a/M-FP8", "day-0", 6, family="a/M", release=day0 + timedelta(days=1))
    assert family_rows([fp8, base]) == [base]
    stats = summarise("nvidia", family_rows([fp8, base]))
    assert (stats.count, stats.median_hours, stats.day0_rate) == (1, 30, 0.0)


def test_pending_censoring_in_statistics() -> None:
    """Resolved at 34 h and 54 h, pending for 44 h and 124 h so far. S(34)=3/4; the 44 h one is censored
    (at risk 4 → 2); S(54)=3/4·1/2=3/8. The plain median ignores pending: (34+54)/2 = 44 h; the
    Kaplan–Meier median is the first time S ≤ 1/2: 54 h."""
    rows = [
        _row("a/x", "later", 34),
        _row("a/y", "pending", 44),
        _row("a/z", "later", 54),
        _row("a/w", "pending", 124),
    ]
    stats = summarise("nvidia", rows)
    assert (stats.count, stats.resolved, stats.pending) == (4, 2, 2)
    assert stats.median_hours == 44  # plain median of 34 and 54
    assert stats.km_median_hours == 54
    curve = survival_curve(rows)
    assert [p.unsupported for p in curve] == [0.75, 0.75, 0.375, 0.375]


def test_weighted_median_is_the_smallest_value_holding_half_the_weight() -> None:
    assert weighted_median([(5, 300), (240, 900)]) == 240
    assert weighted_median([(5, 600), (240, 600)]) == 5  # exactly half at 5 h: the lower median
    assert weighted_median([(-24, 1), (10, 1), (30, 1)]) == 10  # equal weights: the plain (lower) median
    assert weighted_median([(7, 0), (9, 0)]) is None
    assert weighted_median([]) is None


def test_demand_weighting_counts_read_families_only_and_keeps_pre_existing_out() -> None:
    rows = [
        _row("a/day0", "day-0", 10),
        _row("a/late", "later", 100),
        _row("a/pend", "pending", 500),
        _row("a/unread", "day-0", 1),
        _row("a/old", "pre-existing", 0),
    ]
    demand = {
        "a/day0": FamilyDemand(100, True),
        "a/late": FamilyDemand(50, True),
        "a/pend": FamilyDemand(850, True),
        "a/unread": FamilyDemand(0, False),
        "a/old": FamilyDemand(10_000, True),
    }
    weighted = summarise_demand(rows, demand)
    # Counted: day0, late, pend (read) and unread (left out); pre-existing is never counted.
    assert (weighted.families, weighted.unread, weighted.downloads) == (3, 1, 1000)
    assert weighted.day0_share == 0.1
    # Resolved: 10 h weighs 100, 100 h weighs 50: half of 150 is reached at 10 h.
    assert weighted.weighted_median_hours == 10

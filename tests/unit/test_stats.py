"""Statistics against hand-worked cases, censoring and pre-release included."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.services.gaps import GapRow
from app.services.stats import group_stats, kaplan_meier, km_median, quantile, quarter, summarise


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
    repo: str, status: str, hours: float, *, vendor: str = "nvidia", family: str | None = None
) -> GapRow:
    release = datetime(2025, 8, 1, tzinfo=UTC)
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

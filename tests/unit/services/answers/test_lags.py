"""Lags between two support times of a family (pure): which families count, and the figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.domain.vocabulary import GapStatus
from app.services.answers.lags import LagRow, measure_lags

RELEASE = datetime(2026, 1, 1, tzinfo=UTC)


def _row(family: str, status: GapStatus, hours: float | None, *, new: bool = True) -> LagRow:
    support = RELEASE + timedelta(hours=hours) if hours is not None else None
    return LagRow("r", family, family, RELEASE, status, hours or 0.0, new, support)


def test_lags_count_new_supported_keys_and_observed_second_cells() -> None:
    first = {
        "a": _row("a", GapStatus.DAY_0, 2),
        "b": _row("b", GapStatus.LATER, 100),
        "c": _row("c", GapStatus.PRE_RELEASE, -10),
        "d": _row("d", GapStatus.LATER, 50),
        "old": _row("old", GapStatus.PRE_EXISTING, 0),  # the key predates the release: no lag to measure
        "reused": _row("reused", GapStatus.LATER, 30, new=False),  # not a new key: statistics skip it
        "none": _row("none", GapStatus.PENDING, None),  # nothing upstream yet: nothing downstream to wait for
    }
    second = {
        "a": _row("a", GapStatus.LATER, 50),  # +48 h
        "b": _row("b", GapStatus.DAY_0, 20),  # −80 h: the second came first
        "c": _row("c", GapStatus.PENDING, None),
        "d": _row("d", GapStatus.PRE_EXISTING, 0),  # had it long before: measures no propagation
        "old": _row("old", GapStatus.LATER, 70),
        "reused": _row("reused", GapStatus.LATER, 70),
        "none": _row("none", GapStatus.LATER, 70),
    }
    lag = measure_lags(first, second)
    assert (lag.families, lag.resolved, lag.pending, lag.ahead) == (3, 2, 1, 1)
    assert lag.median_hours == -16.0
    assert lag.p90_hours == 35.2


def test_no_families_no_figures() -> None:
    lag = measure_lags({}, {"a": _row("a", GapStatus.LATER, 5)})
    assert (lag.families, lag.median_hours, lag.p90_hours) == (0, None, None)

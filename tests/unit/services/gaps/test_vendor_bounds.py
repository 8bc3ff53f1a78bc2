"""Vendor cells that say how complete they are (docs/concepts.md, "Complete or bound"), and statistics that
count complete cells only unless asked."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from app.domain.vocabulary import GapStatus
from app.services.answers.stats import summarise, survival_curve
from app.services.gaps.decide import CellCoverage, Release, SupportIndex, SupportPoint, compute_gaps

RELEASE = datetime(2026, 4, 24, 12, 0, tzinfo=UTC)
KEY = "NewForCausalLM"
# Both count for NVIDIA in the catalog (the vendor index takes an event's vendors from it).
RUNTIMES = {"vllm": ("architecture",), "tensorrt-llm": ("architecture",)}
VENDOR = {"nvidia": ("vllm", "tensorrt-llm")}


def _release() -> Release:
    return Release(
        model_id=1,
        repo_id="lab/New",
        publisher="lab",
        release_at=RELEASE,
        release_precision="second",
        keys={"architecture": KEY},
    )


def _point(at: datetime) -> SupportPoint:
    return SupportPoint(at, None, "a" * 40, None, "https://example.test/c/a")


def _vendor_row(support: dict[str, datetime], coverage: dict[str, datetime | None]):  # type: ignore[no-untyped-def]
    index = SupportIndex()
    for runtime, at in support.items():
        index.add(runtime, "merged", "architecture", KEY, "", "", _point(at))
    rows = compute_gaps(
        [_release()],
        RUNTIMES,
        index,
        stage="merged",
        coverage={r: CellCoverage(until) for r, until in coverage.items()},
        vendor_runtimes=VENDOR,
    )
    [vendor] = [r for r in rows if r.vendor == "nvidia"]
    assert all(r.complete and r.runtimes_total is None for r in rows if r.runtime is not None)
    return vendor


def test_a_runtime_not_observed_as_far_as_the_support_leaves_an_incomplete_bounded_cell() -> None:
    supported = RELEASE + timedelta(days=98, hours=12)
    # "tensorrt-llm" was read only until a month after the release: it may have supported the model before "vllm".
    row = _vendor_row(
        {"vllm": supported},
        {"vllm": RELEASE + timedelta(days=200), "tensorrt-llm": RELEASE + timedelta(days=30)},
    )
    assert (row.status, row.gap_hours, row.via_runtime) == (GapStatus.LATER, 98.5 * 24, "vllm")
    assert (row.complete, row.runtimes_total, row.runtimes_observed, row.unobserved_runtimes) == (
        False, 2, 1, "tensorrt-llm",
    )  # fmt: skip
    # Observing "tensorrt-llm" past the support time completes it.
    row = _vendor_row({"vllm": supported}, {"vllm": RELEASE + timedelta(days=200), "tensorrt-llm": supported})
    assert (row.status, row.complete, row.runtimes_observed, row.unobserved_runtimes) == (
        GapStatus.LATER, True, 2, None,
    )  # fmt: skip


def test_a_runtime_never_observed_makes_the_cell_incomplete() -> None:
    row = _vendor_row(
        {"vllm": RELEASE + timedelta(hours=3)}, {"vllm": RELEASE + timedelta(days=9), "tensorrt-llm": None}
    )
    assert (row.status, row.complete, row.unobserved_runtimes) == (GapStatus.DAY_0, False, "tensorrt-llm")


def test_without_support_an_incomplete_cell_is_unknown_and_a_complete_one_pending() -> None:
    until = RELEASE + timedelta(days=10)
    row = _vendor_row({}, {"vllm": until, "tensorrt-llm": None})
    assert (row.status, row.gap_hours, row.complete, row.runtimes_observed) == (
        GapStatus.UNKNOWN,
        None,
        False,
        1,
    )
    row = _vendor_row(
        {}, {"vllm": until, "tensorrt-llm": RELEASE - timedelta(days=1)}
    )  # read, but not as far
    assert (row.status, row.complete, row.unobserved_runtimes) == (GapStatus.UNKNOWN, False, "tensorrt-llm")
    row = _vendor_row({}, {"vllm": until + timedelta(days=5), "tensorrt-llm": until})
    assert (row.status, row.gap_hours, row.complete) == (GapStatus.PENDING, 240.0, True)


def test_statistics_leave_incomplete_cells_out_and_say_how_many() -> None:
    complete = _vendor_row(
        {"vllm": RELEASE + timedelta(days=2)},
        {"vllm": RELEASE + timedelta(days=90), "tensorrt-llm": RELEASE + timedelta(days=90)},
    )
    bound = replace(
        _vendor_row(
            {"vllm": RELEASE + timedelta(days=40)},
            {"vllm": RELEASE + timedelta(days=90), "tensorrt-llm": None},
        ),
        repo_id="lab/Other",
        family="lab/Other",
    )
    stats = summarise("nvidia", [complete, bound])
    assert (stats.count, stats.incomplete, stats.median_hours) == (1, 1, 48.0)
    counted = summarise("nvidia", [complete, bound], include_incomplete=True)
    assert (counted.count, counted.incomplete, counted.median_hours) == (2, 1, 504.0)
    assert len(survival_curve([complete, bound])) == 1
    assert len(survival_curve([complete, bound], include_incomplete=True)) == 2

"""The launch-gap decision against hand-worked cases (PRODUCT.md's status definitions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.vocabulary import GapStatus
from app.services.gaps.decide import (
    CellCoverage,
    GapDecision,
    KeyNovelty,
    Release,
    SupportIndex,
    SupportPoint,
    classify_gap,
    compute_gaps,
    hours,
)

DAY_ZERO, LATER, PENDING, PRE_EXISTING, PRE_RELEASE = (
    GapStatus.DAY_0,
    GapStatus.LATER,
    GapStatus.PENDING,
    GapStatus.PRE_EXISTING,
    GapStatus.PRE_RELEASE,
)

RELEASE = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
NOW = datetime(2025, 4, 1, 0, 0, tzinfo=UTC)


def decide(
    support_at: datetime | None,
    *,
    new: bool = True,
    precision: str = "second",
    release_at: datetime = RELEASE,
    observed_until: datetime | None = NOW,
    coverage_start: datetime | None = None,
) -> GapDecision:
    """One classify_gap call with this file's defaults, so each case states only what it varies."""
    return classify_gap(
        release_at=release_at,
        release_precision=precision,
        support_at=support_at,
        key_is_new=new,
        observed_until=observed_until,
        coverage_start=coverage_start,
    )


def test_pending_runs_to_observed_until() -> None:
    decision = decide(None)
    assert decision.status == PENDING
    assert decision.gap_hours == pytest.approx((NOW - RELEASE).total_seconds() / 3600)


@pytest.mark.parametrize(
    ("offset", "status", "hours"),
    [
        (timedelta(hours=0), DAY_ZERO, 0.0),
        (timedelta(hours=23, minutes=30), DAY_ZERO, 23.5),
        (timedelta(hours=24), DAY_ZERO, 24.0),
        (timedelta(hours=24, minutes=1), LATER, 24.02),
        (timedelta(days=10), LATER, 240.0),
    ],
)
def test_after_release(offset: timedelta, status: str, hours: float) -> None:
    decision = decide(RELEASE + offset)
    assert (decision.status, decision.gap_hours) == (status, hours)


def test_new_key_supported_before_release_is_pre_release_with_negative_gap() -> None:
    decision = decide(RELEASE - timedelta(days=3))
    assert (decision.status, decision.gap_hours, decision.confidence) == (PRE_RELEASE, -72.0, "high")


def test_support_older_than_the_early_access_window_is_pre_existing() -> None:
    assert decide(RELEASE - timedelta(days=91)).status == PRE_EXISTING


def test_reused_key_supported_earlier_is_pre_existing_with_zero_gap() -> None:
    decision = decide(RELEASE - timedelta(days=3), new=False)
    assert (decision.status, decision.gap_hours) == (PRE_EXISTING, 0.0)


def test_reused_key_supported_after_release_is_timed_normally() -> None:
    assert decide(RELEASE + timedelta(days=2), new=False).status == LATER


DAY = datetime(2025, 3, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("support_at", "status", "confidence"),
    [
        (DAY + timedelta(hours=20), DAY_ZERO, "low"),  # release day support is day 0
        (DAY - timedelta(hours=5), PRE_RELEASE, "low"),  # hours before: early, but the zone is unknown
        # more than a day before a day-precision release is early whatever the time zone
        (DAY - timedelta(days=3), PRE_RELEASE, "high"),
    ],
)
def test_day_precision_release(support_at: datetime, status: str, confidence: str) -> None:
    decision = decide(support_at, release_at=DAY, precision="day")
    assert (decision.status, decision.confidence) == (status, confidence)


def test_a_source_never_observed_is_unknown_with_no_gap_even_without_support() -> None:
    decision = decide(None, observed_until=None)
    assert (decision.status, decision.gap_hours) == (GapStatus.UNKNOWN, None)


def test_a_release_newer_than_observed_until_is_unknown_not_pending() -> None:
    until = RELEASE - timedelta(days=1)
    unsupported = decide(None, observed_until=until)
    assert (unsupported.status, unsupported.gap_hours) == (GapStatus.UNKNOWN, None)
    # support found before the release is evidence however old the copy: early access stays visible
    assert decide(until - timedelta(days=2), observed_until=until).status == PRE_RELEASE


def test_a_pending_gap_stops_at_observed_until() -> None:
    decision = decide(None, observed_until=RELEASE + timedelta(days=5))
    assert (decision.status, decision.gap_hours) == (PENDING, 120.0)


def _before_start(support_at: datetime | None) -> GapDecision:
    # the source starts 40 days after the release (the start of its first version's UTC day)
    start = datetime(2025, 4, 19, tzinfo=UTC)
    return decide(support_at, observed_until=NOW + timedelta(days=500), coverage_start=start)


def test_a_release_before_the_coverage_start_supported_at_the_first_version_is_before_coverage() -> None:
    # Issue 22, item 4: support already in the source's first version (2025-04-19 14:00) is "supported by then"
    decision = _before_start(datetime(2025, 4, 19, 14, tzinfo=UTC))
    assert (decision.status, decision.gap_hours) == (GapStatus.BEFORE_COVERAGE, None)


def test_a_release_before_the_coverage_start_never_supported_is_pending_to_observed_until() -> None:
    decision = _before_start(None)
    assert decision.status == PENDING
    assert decision.gap_hours == hours(NOW + timedelta(days=500) - RELEASE)


def test_support_added_after_the_coverage_start_is_classified_as_usual() -> None:
    decision = _before_start(datetime(2025, 5, 1, 12, tzinfo=UTC))
    assert (decision.status, decision.gap_hours) == (
        GapStatus.LATER,
        hours(datetime(2025, 5, 1, 12, tzinfo=UTC) - RELEASE),
    )


def _release(repo: str, at: datetime, *, family: str | None = None, **keys: str) -> Release:
    """A second-precision release of `repo` offering these keys (one builder for every case below)."""
    return Release(
        model_id=hash(repo),
        repo_id=repo,
        publisher=repo.split("/")[0],
        release_at=at,
        release_precision="second",
        keys=keys,
        family=family,
    )


def _v3_and_k2(k2_at: datetime) -> tuple[Release, Release]:
    """DeepSeek V3 and Kimi K2: K2 reuses V3's architecture class but brings a new model_type."""
    v3 = _release(
        "deepseek-ai/DeepSeek-V3",
        datetime(2024, 12, 26, tzinfo=UTC),
        architecture="DeepseekV3ForCausalLM",
        model_type="deepseek_v3",
    )
    return v3, _release(
        "moonshotai/Kimi-K2", k2_at, architecture="DeepseekV3ForCausalLM", model_type="kimi_k2"
    )


def test_each_runtime_decides_on_its_own_key_kind() -> None:
    """Kimi K2 reuses DeepseekV3ForCausalLM (pre-existing for vLLM) but needs a new model_type for MLX."""
    v3, k2 = _v3_and_k2(datetime(2025, 7, 11, tzinfo=UTC))
    support = {
        ("vllm", "merged", "architecture", "DeepseekV3ForCausalLM"): SupportPoint(
            datetime(2024, 12, 20, tzinfo=UTC), None, "a" * 40, None, "https://example.test/c/a"
        ),
        ("mlx-lm", "merged", "model_type", "kimi_k2"): SupportPoint(
            datetime(2025, 7, 14, tzinfo=UTC), None, "b" * 40, None, "https://example.test/c/b"
        ),
    }
    rows = compute_gaps(
        [v3, k2],
        {"vllm": ("architecture",), "mlx-lm": ("model_type",)},
        support,
        stage="merged",
        now=NOW,
    )
    by_cell = {(r.repo_id, r.runtime): r for r in rows}
    assert by_cell[("deepseek-ai/DeepSeek-V3", "vllm")].status == PRE_RELEASE
    assert by_cell[("moonshotai/Kimi-K2", "vllm")].status == PRE_EXISTING
    assert by_cell[("moonshotai/Kimi-K2", "mlx-lm")].status == LATER
    assert by_cell[("moonshotai/Kimi-K2", "mlx-lm")].gap_hours == 72.0
    assert by_cell[("deepseek-ai/DeepSeek-V3", "mlx-lm")].status == PENDING


def _member(repo: str, at: datetime, arch: str, family: str | None = None) -> Release:
    return _release(repo, at, family=family, architecture=arch)


def test_a_key_stays_new_for_later_members_of_the_family_that_introduced_it() -> None:
    """Base on day 0, Instruct (same family) on day 2, another lab's model with the same class on day 30."""
    day0 = datetime(2025, 5, 1, tzinfo=UTC)
    base = _member("acme/M-Base", day0, "MForCausalLM", family="acme/M-Base")
    instruct = _member("acme/M-Instruct", day0 + timedelta(days=2), "MForCausalLM", family="acme/M-Base")
    reuse = _member("other/Reuse", day0 + timedelta(days=30), "MForCausalLM")
    novelty = KeyNovelty([reuse, instruct, base])  # order of the input does not matter
    assert novelty.is_new(base, "architecture", "MForCausalLM")
    assert novelty.is_new(instruct, "architecture", "MForCausalLM")
    assert not novelty.is_new(reuse, "architecture", "MForCausalLM")
    assert novelty.is_new(reuse, "architecture", "NeverSeen")


def test_novelty_when_another_family_came_first_and_a_third_later() -> None:
    day0 = datetime(2025, 5, 1, tzinfo=UTC)
    first = _member("a/First", day0, "K")
    second = _member("b/Second", day0 + timedelta(days=1), "K", family="b/Second")
    second_late = _member("b/Second-FP8", day0 + timedelta(days=3), "K", family="b/Second")
    novelty = KeyNovelty([first, second, second_late])
    assert novelty.is_new(first, "architecture", "K")
    assert not novelty.is_new(second, "architecture", "K")
    assert not novelty.is_new(second_late, "architecture", "K")


def test_rows_carry_key_is_new_a_reused_key_never_supported_is_pending_but_not_new() -> None:
    """Kimi K2 reuses DeepseekV3ForCausalLM: a runtime that never supported it leaves K2 pending, but its
    key is not new, so statistics (new-key families only) must not count it."""
    v3, k2 = _v3_and_k2(datetime(2025, 3, 1, tzinfo=UTC))
    rows = compute_gaps(
        [v3, k2], {"tgi": ("architecture",), "mlx-lm": ("model_type",)}, {}, stage="merged", now=NOW
    )
    by_cell = {(r.repo_id, r.runtime): r for r in rows}
    assert [(by_cell[(k2.repo_id, "tgi")].status, by_cell[(k2.repo_id, "tgi")].key_is_new)] == [
        (PENDING, False)
    ]
    assert by_cell[(k2.repo_id, "tgi")].gap_hours == (NOW - k2.release_at).total_seconds() / 3600
    assert by_cell[(k2.repo_id, "mlx-lm")].key_is_new  # kimi_k2 is a new model_type
    assert by_cell[(v3.repo_id, "tgi")].key_is_new
    assert all(r.model_id in (v3.model_id, k2.model_id) for r in rows)


def test_a_release_offering_none_of_the_runtime_key_kinds_has_no_new_key() -> None:
    only_arch = _member("acme/NoType", datetime(2025, 3, 1, tzinfo=UTC), "A")
    [row] = compute_gaps([only_arch], {"mlx-lm": ("model_type",)}, {}, stage="merged", now=NOW)
    assert (row.status, row.key_kind, row.key_is_new) == (PENDING, None, False)


def test_a_vendor_supported_by_a_source_start_is_before_coverage_not_pending() -> None:
    # Issue 22, item 4: one runtime of the vendor had the key in its first version (source starting after
    # the release), another never: the vendor is supported by that start (an upper bound), via the first.
    old = _release(
        "acme/Old", datetime(2025, 3, 1, tzinfo=UTC), architecture="OldForCausalLM", model_type="old"
    )
    start = datetime(2025, 7, 23, tzinfo=UTC)
    first_version = SupportPoint(start + timedelta(hours=5), None, "c" * 40, None, "https://example.test/c/c")
    rows = compute_gaps(
        [old],
        {"guides": ("architecture",), "code": ("architecture",)},
        SupportIndex(
            runtime={("guides", "verified", "architecture", "OldForCausalLM"): first_version},
            vendor={("guides", "verified", "architecture", "OldForCausalLM", "nvidia"): first_version},
        ),
        stage="verified",
        coverage={
            "guides": CellCoverage(NOW + timedelta(days=300), start),
            "code": CellCoverage(NOW + timedelta(days=300)),
        },
        vendor_runtimes={"nvidia": ["code", "guides"]},
    )
    by_target = {(row.runtime, row.vendor): row for row in rows}
    assert by_target[("code", None)].status == PENDING
    assert by_target[("guides", None)].status == GapStatus.BEFORE_COVERAGE
    vendor = by_target[(None, "nvidia")]
    assert (vendor.status, vendor.via_runtime, vendor.support_at, vendor.gap_hours) == (
        GapStatus.BEFORE_COVERAGE, "guides", first_version.at, None,
    )  # fmt: skip


# -- a runtime registering several key kinds (issue 22, item 2) ------------------------------------------
def _with_repo(repo: str, at: datetime, arch: str) -> Release:
    return _release(repo, at, architecture=arch, repo_id=repo)


def _point(at: datetime, sha: str, tag: str | None = None) -> SupportPoint:
    return SupportPoint(at, None, sha * 40, tag, f"https://example.test/c/{sha}")


def test_a_runtime_with_two_key_kinds_is_supported_by_the_earliest_of_either() -> None:
    """A docs table links the repo on day 3 and names its architecture on day 9: supported from day 3 (by
    the repo id); another release whose repo was never linked is supported by the architecture alone."""
    linked = _with_repo("acme/New-7B", RELEASE, "NewForCausalLM")
    sibling = _with_repo("other/Uses-New", RELEASE + timedelta(days=1), "NewForCausalLM")
    by_repo = _point(RELEASE + timedelta(days=3), "a")
    by_arch = _point(RELEASE + timedelta(days=9), "b")
    support = {
        ("ov", "documented", "repo_id", "acme/New-7B"): by_repo,
        ("ov", "documented", "architecture", "NewForCausalLM"): by_arch,
    }
    rows = compute_gaps(
        [linked, sibling], {"ov": ("architecture", "repo_id")}, support, stage="documented", now=NOW
    )
    by_repo_id = {r.repo_id: r for r in rows}
    first = by_repo_id["acme/New-7B"]
    assert (first.key_kind, first.key, first.support_at, first.status) == (
        "repo_id", "acme/New-7B", by_repo.at, LATER,
    )  # fmt: skip
    assert first.gap_hours == 72.0
    other = by_repo_id["other/Uses-New"]
    assert (other.key_kind, other.key, other.support_at) == ("architecture", "NewForCausalLM", by_arch.at)


def test_multi_kind_ties_follow_the_runtime_order_and_no_support_names_the_first_kind() -> None:
    release = _with_repo("acme/Tie", RELEASE, "TieForCausalLM")
    same = _point(RELEASE + timedelta(days=2), "c")
    support = {
        ("ov", "documented", "repo_id", "acme/Tie"): same,
        ("ov", "documented", "architecture", "TieForCausalLM"): same,
    }
    [tied] = compute_gaps(
        [release], {"ov": ("architecture", "repo_id")}, support, stage="documented", now=NOW
    )
    assert tied.key_kind == "architecture"
    [none] = compute_gaps([release], {"ov": ("repo_id", "architecture")}, {}, stage="documented", now=NOW)
    assert (none.status, none.key_kind, none.key) == (PENDING, "repo_id", "acme/Tie")


def test_multi_kind_final_release_is_the_earliest_final_by_any_kind() -> None:
    """The first final release carrying support may come by another kind than the first support."""
    release = _with_repo("acme/Final", RELEASE, "FinalForCausalLM")
    index = SupportIndex(
        runtime={
            ("ov", "released", "architecture", "FinalForCausalLM"): _point(
                RELEASE + timedelta(days=1), "d", "1.0rc1"
            )
        },
        final=SupportIndex(
            runtime={
                ("ov", "released", "architecture", "FinalForCausalLM"): _point(
                    RELEASE + timedelta(days=20), "e", "1.1"
                ),
                ("ov", "released", "repo_id", "acme/Final"): _point(RELEASE + timedelta(days=6), "f", "1.0"),
            }
        ),
    )
    [row] = compute_gaps([release], {"ov": ("architecture", "repo_id")}, index, stage="released", now=NOW)
    assert (row.tag, row.first_final_tag) == ("1.0rc1", "1.0")


def test_multi_kind_vendor_view_takes_the_earliest_key_of_each_runtime() -> None:
    release = _with_repo("acme/Vendor", RELEASE, "VForCausalLM")
    early = _point(RELEASE + timedelta(hours=5), "g")
    index = SupportIndex(
        runtime={("ov", "documented", "repo_id", "acme/Vendor"): early},
        vendor={
            ("ov", "documented", "repo_id", "acme/Vendor", "intel"): early,
            ("ov", "documented", "architecture", "VForCausalLM", "intel"): _point(
                RELEASE + timedelta(days=4), "h"
            ),
        },
    )
    rows = compute_gaps(
        [release], {"ov": ("architecture", "repo_id")}, index, stage="documented", now=NOW,
        vendor_runtimes={"intel": ["ov"]},
    )  # fmt: skip
    vendor = next(r for r in rows if r.vendor == "intel")
    assert (vendor.status, vendor.key_kind, vendor.support_at) == (DAY_ZERO, "repo_id", early.at)

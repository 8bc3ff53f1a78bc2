"""The launch-gap decision against hand-worked cases (PRODUCT.md's status definitions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.services.gaps import (
    DAY_ZERO,
    LATER,
    PENDING,
    PRE_EXISTING,
    PRE_RELEASE,
    Release,
    SupportPoint,
    classify_gap,
    compute_gaps,
)

RELEASE = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
NOW = datetime(2025, 4, 1, 0, 0, tzinfo=UTC)


def decide(support_at: datetime | None, *, new: bool = True, precision: str = "second"):
    return classify_gap(
        release_at=RELEASE, release_precision=precision, support_at=support_at, key_is_new=new, now=NOW
    )


def test_pending_is_time_elapsed_so_far() -> None:
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


def test_day_precision_release_day_support_is_day_zero_and_earlier_is_low_confidence_pre_release() -> None:
    day = datetime(2025, 3, 10, tzinfo=UTC)
    same_day = classify_gap(
        release_at=day,
        release_precision="day",
        support_at=day + timedelta(hours=20),
        key_is_new=True,
        now=NOW,
    )
    assert (same_day.status, same_day.confidence) == (DAY_ZERO, "low")
    before = classify_gap(
        release_at=day, release_precision="day", support_at=day - timedelta(hours=5), key_is_new=True, now=NOW
    )
    assert (before.status, before.confidence) == (PRE_RELEASE, "low")


def _release(repo: str, at: datetime, arch: str, model_type: str) -> Release:
    return Release(
        model_id=hash(repo),
        repo_id=repo,
        publisher=repo.split("/")[0],
        release_at=at,
        release_precision="second",
        keys={"architecture": arch, "model_type": model_type},
    )


def test_each_runtime_decides_on_its_own_key_kind() -> None:
    """Kimi K2 reuses DeepseekV3ForCausalLM (pre-existing for vLLM) but needs a new model_type for MLX."""
    v3 = _release(
        "deepseek-ai/DeepSeek-V3", datetime(2024, 12, 26, tzinfo=UTC), "DeepseekV3ForCausalLM", "deepseek_v3"
    )
    k2 = _release("moonshotai/Kimi-K2", datetime(2025, 7, 11, tzinfo=UTC), "DeepseekV3ForCausalLM", "kimi_k2")
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

"""The per-vendor answer of the latest notable releases (pure): which cell answers, and which SKUs it names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.domain.gap_row import GapRow
from app.domain.vocabulary import Confidence, GapStatus, ReleasePrecision, Stage, Vendor
from app.services.answers.latest import answers_from_rows, vendor_answer

RELEASE = datetime(2026, 4, 24, tzinfo=UTC)


def _cell(
    stage: Stage,
    status: GapStatus,
    hours: float | None,
    *,
    complete: bool = True,
    via: str | None = "vllm",
    sku: str | None = None,
    repo_id: str = "lab/Model",
) -> GapRow:
    return GapRow(
        repo_id=repo_id,
        family=repo_id,
        publisher="lab",
        runtime="vllm-recipes" if sku else None,
        vendor=Vendor.NVIDIA,
        sku=sku,
        stage=stage,
        key_kind=None,
        key=None,
        key_is_new=True,
        status=status,
        gap_hours=hours,
        confidence=Confidence.HIGH,
        release_at=RELEASE,
        release_precision=ReleasePrecision.DAY,
        support_at=RELEASE + timedelta(hours=hours) if hours is not None and status.supported else None,
        author_at=None,
        commit=None,
        tag=None,
        evidence_url=None,
        via_runtime=None if sku else via,
        complete=complete,
    )


def test_the_earliest_support_answers_and_a_proposal_or_a_docs_line_do_not() -> None:
    answer = vendor_answer(
        Vendor.NVIDIA,
        [
            _cell(Stage.PROPOSED, GapStatus.PRE_RELEASE, -30),  # a pull request is not support
            _cell(Stage.DOCUMENTED, GapStatus.DAY_0, 1),  # a docs line follows code
            _cell(Stage.MERGED, GapStatus.LATER, 72),
            _cell(Stage.RELEASED, GapStatus.LATER, 30, via="sglang"),
            _cell(Stage.VERIFIED, GapStatus.PENDING, 500),
        ],
        [],
    )
    assert (answer.status, answer.stage, answer.gap_hours, answer.via_runtime) == (
        GapStatus.LATER,
        Stage.RELEASED,
        30,
        "sglang",
    )


def test_at_the_same_moment_a_complete_cell_then_the_later_rung_wins() -> None:
    same = [
        _cell(Stage.RELEASED, GapStatus.DAY_0, 3, complete=False),
        _cell(Stage.BRANCH, GapStatus.DAY_0, 3),
        _cell(Stage.MERGED, GapStatus.DAY_0, 3),
    ]
    answer = vendor_answer(Vendor.NVIDIA, same, [])
    assert (answer.stage, answer.complete) == (Stage.MERGED, True)
    # An earlier incomplete cell still answers: its time is an upper bound, and it says so.
    earlier = vendor_answer(
        Vendor.NVIDIA, [*same, _cell(Stage.MERGED, GapStatus.DAY_0, 1, complete=False)], []
    )
    assert (earlier.gap_hours, earlier.complete) == (1, False)


def test_a_verified_answer_names_the_skus_verified_at_that_moment_in_catalog_order() -> None:
    skus = [
        _cell(Stage.VERIFIED, GapStatus.DAY_0, 2, sku="GB200"),
        _cell(Stage.VERIFIED, GapStatus.DAY_0, 2, sku="H200"),
        _cell(Stage.VERIFIED, GapStatus.LATER, 90, sku="H100"),  # verified later: not this answer's
        _cell(Stage.VERIFIED, GapStatus.PENDING, 500, sku="B200"),
    ]
    answer = vendor_answer(
        Vendor.NVIDIA,
        [
            _cell(Stage.MERGED, GapStatus.LATER, 72),
            _cell(Stage.VERIFIED, GapStatus.DAY_0, 2, via="vllm-recipes"),
        ],
        skus,
    )
    assert (answer.stage, answer.via_runtime, answer.skus) == (
        Stage.VERIFIED,
        "vllm-recipes",
        ("H200", "GB200"),
    )


def test_without_support_the_observed_merged_cell_answers_then_any_observed_one() -> None:
    pending = vendor_answer(
        Vendor.NVIDIA,
        [
            _cell(Stage.BRANCH, GapStatus.UNKNOWN, None, complete=False),
            _cell(Stage.VERIFIED, GapStatus.PENDING, 400),
            _cell(Stage.MERGED, GapStatus.PENDING, 410),
        ],
        [],
    )
    assert (pending.status, pending.stage, pending.support_at) == (GapStatus.PENDING, Stage.MERGED, None)
    elsewhere = vendor_answer(
        Vendor.NVIDIA,
        [
            _cell(Stage.MERGED, GapStatus.UNKNOWN, None, complete=False),
            _cell(Stage.VERIFIED, GapStatus.PENDING, 4),
        ],
        [],
    )
    assert (elsewhere.status, elsewhere.stage) == (GapStatus.PENDING, Stage.VERIFIED)
    nothing = vendor_answer(Vendor.NVIDIA, [_cell(Stage.MERGED, GapStatus.UNKNOWN, None, complete=False)], [])
    assert (nothing.status, nothing.complete) == (GapStatus.UNKNOWN, False)


def test_answers_keep_the_page_order_and_skip_releases_without_vendor_cells() -> None:
    rows = [
        _cell(Stage.MERGED, GapStatus.DAY_0, 1, repo_id="lab/Older"),
        _cell(Stage.MERGED, GapStatus.LATER, 50, repo_id="lab/Newer"),
        _cell(Stage.PROPOSED, GapStatus.DAY_0, 1, repo_id="lab/OnlyProposed"),
    ]
    answers = answers_from_rows(rows, ["lab/Newer", "lab/OnlyProposed", "lab/Older"])
    assert [a.repo_id for a in answers] == ["lab/Newer", "lab/Older"]
    assert (
        answers[0].release_precision == ReleasePrecision.DAY and answers[0].vendors[0].vendor == Vendor.NVIDIA
    )

"""The novelty rule (docs/concepts.md, "Key novelty"): a key is new at a release only if nothing public shows it
earlier — no earlier release of another family carries it, and no runtime merged it longer before the release
than the early-access window. Decided once per (family, key kind, key) and carried on every row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.domain.vocabulary import GapStatus
from app.services.gaps.decide import KeyNovelty, Release, SupportIndex, SupportPoint, compute_gaps

RELEASE = datetime(2025, 6, 1, tzinfo=UTC)
NOW = datetime(2025, 9, 1, tzinfo=UTC)


def _release(repo: str, at: datetime, arch: str, family: str | None = None) -> Release:
    return Release(
        model_id=abs(hash(repo)),
        repo_id=repo,
        publisher=repo.split("/")[0],
        release_at=at,
        release_precision="second",
        keys={"architecture": arch},
        family=family,
    )


def _point(at: datetime) -> SupportPoint:
    return SupportPoint(at, None, "a" * 40, None, "https://example.test/c/a")


def _rows(support: dict[str, datetime], *, window: timedelta = timedelta(days=90)):  # type: ignore[no-untyped-def]
    """One release of a key that no earlier model carries, supported by each runtime at the given time."""
    release = _release("lab/M", RELEASE, "MForCausalLM")
    index = SupportIndex()
    for runtime, at in support.items():
        index.add(runtime, "merged", "architecture", "MForCausalLM", "", "", _point(at))
    merged = {("architecture", "MForCausalLM"): min(support.values())}
    return compute_gaps(
        [release],
        {runtime: ("architecture",) for runtime in support},
        index,
        stage="merged",
        now=NOW,
        novelty=KeyNovelty([release], merged=merged, window=window),
    )


def test_a_key_merged_long_before_the_release_is_pre_existing_on_every_runtime() -> None:
    # Transformers had the class 200 days before; SGLang added it 30 days before: both pre-existing.
    rows = _rows({"transformers": RELEASE - timedelta(days=200), "sglang": RELEASE - timedelta(days=30)})
    assert {(r.runtime, r.status, r.key_is_new) for r in rows} == {
        ("transformers", GapStatus.PRE_EXISTING, False),
        ("sglang", GapStatus.PRE_EXISTING, False),
    }


def test_a_key_first_merged_30_days_before_is_new_and_pre_release() -> None:
    rows = _rows({"transformers": RELEASE - timedelta(days=30), "sglang": RELEASE + timedelta(days=2)})
    by_runtime = {r.runtime: r for r in rows}
    assert (by_runtime["transformers"].status, by_runtime["transformers"].gap_hours) == (
        GapStatus.PRE_RELEASE, -720.0,
    )  # fmt: skip
    assert by_runtime["sglang"].status == GapStatus.LATER
    assert all(r.key_is_new for r in rows)


def test_the_window_is_a_setting() -> None:
    rows = _rows({"transformers": RELEASE - timedelta(days=30)}, window=timedelta(days=20))
    assert [(r.status, r.key_is_new) for r in rows] == [(GapStatus.PRE_EXISTING, False)]


def test_novelty_is_decided_once_per_family_at_its_earliest_member() -> None:
    """Merged 89 days before the Base: new for the Base, and so for its Instruct two days later (91 days after
    the merge) — one answer per family, not one per repository."""
    base = _release("lab/M-Base", RELEASE, "MForCausalLM", family="lab/M-Base")
    instruct = _release("lab/M-Instruct", RELEASE + timedelta(days=2), "MForCausalLM", family="lab/M-Base")
    reuse = _release("other/Reuse", RELEASE + timedelta(days=30), "MForCausalLM")
    merged = {("architecture", "MForCausalLM"): RELEASE - timedelta(days=89)}
    novelty = KeyNovelty([instruct, base, reuse], merged=merged)
    assert novelty.is_new(base, "architecture", "MForCausalLM")
    assert novelty.is_new(instruct, "architecture", "MForCausalLM")
    assert not novelty.is_new(reuse, "architecture", "MForCausalLM")  # another family came first
    # the question a watcher asks of a model it has just seen, before it is known
    assert not novelty.is_new_at("architecture", "MForCausalLM", RELEASE + timedelta(days=5))
    assert novelty.is_new_at("architecture", "NeverSeen", RELEASE)

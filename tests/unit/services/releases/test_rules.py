"""The pure release rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.vocabulary import ReleaseSource
from app.services.releases.rules import (
    ReleaseCandidate,
    ReleaseDateError,
    ReleaseTime,
    assign_families,
    choose_release_time,
    classify,
    import_conflicts,
    parse_release_date,
    poll_release_time,
)

T0 = datetime(2025, 1, 20, 12, 0, tzinfo=UTC)


def test_instruct_based_on_own_base_is_a_family_member() -> None:
    verdict = classify("deepseek-ai/DeepSeek-R1", [("finetune", "deepseek-ai/DeepSeek-V3-Base")], [], None)
    assert not verdict.is_derivative and verdict.kind == "family_member"


@pytest.mark.parametrize(
    ("base_models", "kind"),
    [
        ([("quantized", "Qwen/Qwen3-8B")], "quantized"),
        ([("adapter", "Qwen/Qwen3-8B")], "adapter"),
        ([("finetune", "Qwen/Qwen3-8B")], "finetune"),
        ([("", "Qwen/Qwen3-8B")], "finetune"),
        ([("", "Qwen/Qwen3-8B"), ("", "meta-llama/Llama-3.1-8B")], "merge"),
    ],
)
def test_lineage_to_another_org_is_a_derivative(base_models: list[tuple[str, str]], kind: str) -> None:
    verdict = classify("someone/Qwen3-8B-thing", base_models, [], None)
    assert verdict.is_derivative and verdict.kind == kind
    assert "Qwen/Qwen3-8B" in verdict.reason or "meta-llama" in verdict.reason


def test_no_lineage_is_original_unless_tags_say_merge_or_adapter() -> None:
    assert classify("acme/New-1", [], ["transformers"], "transformers").kind == "original"
    assert classify("acme/Mix", [], ["mergekit"], "transformers").kind == "merge"
    assert classify("acme/Lora", [], [], "peft").kind == "adapter"


def test_release_time_preference_order() -> None:
    estimate = ReleaseTime(T0 - timedelta(days=5), ReleaseSource.CREATED_AT_ESTIMATE)
    imported = ReleaseTime(T0 - timedelta(days=1), ReleaseSource.IMPORTED, "day")
    observed = ReleaseTime(T0, ReleaseSource.OBSERVED)
    assert choose_release_time(estimate, imported) == imported
    assert choose_release_time(imported, estimate) == imported
    assert choose_release_time(imported, observed) == observed
    assert choose_release_time(observed, imported) == observed
    earlier = ReleaseTime(T0 - timedelta(hours=1), ReleaseSource.OBSERVED)
    assert choose_release_time(observed, earlier) == earlier
    assert choose_release_time(earlier, observed) == earlier
    corrected = ReleaseTime(T0 - timedelta(days=2), ReleaseSource.IMPORTED, "day")
    assert choose_release_time(imported, corrected) == corrected


def test_poll_release_time_trusts_appearance_only_for_already_watched_publishers() -> None:
    created = T0 - timedelta(days=400)
    seen = poll_release_time(created, seen_turning_public=True, now=T0)
    assert (seen.at, seen.source) == (T0, ReleaseSource.OBSERVED)
    first = poll_release_time(created, seen_turning_public=False, now=T0)
    assert (first.at, first.source) == (created, ReleaseSource.CREATED_AT_ESTIMATE)


def test_parse_release_date_keeps_day_precision() -> None:
    assert parse_release_date("2024-07-23") == (datetime(2024, 7, 23, tzinfo=UTC), "day")
    assert parse_release_date("2024-07-23T15:30:00Z") == (datetime(2024, 7, 23, 15, 30, tzinfo=UTC), "second")
    assert parse_release_date("2024-07-23T17:30:00+02:00")[0] == datetime(2024, 7, 23, 15, 30, tzinfo=UTC)
    for bad in ["", "2024-13-01", "July 23", "2024-07-23T15:30:00", "2024/07/23"]:
        with pytest.raises(ReleaseDateError):
            parse_release_date(bad)


def cand(i: int, repo: str, arch: str, mt: str, at: datetime | None) -> ReleaseCandidate:
    return ReleaseCandidate(i, repo, repo.split("/")[0], arch, mt, at)


def test_families_and_new_architectures() -> None:
    d = datetime(2024, 12, 25, tzinfo=UTC)
    facts = assign_families(
        [
            cand(1, "deepseek-ai/DeepSeek-V3-Base", "DeepseekV3ForCausalLM", "deepseek_v3", d),
            cand(2, "deepseek-ai/DeepSeek-V3", "DeepseekV3ForCausalLM", "deepseek_v3", d + timedelta(days=1)),
            cand(
                3, "deepseek-ai/DeepSeek-R1", "DeepseekV3ForCausalLM", "deepseek_v3", d + timedelta(days=26)
            ),
            cand(
                4, "moonshotai/Kimi-K2-Instruct", "DeepseekV3ForCausalLM", "kimi_k2", d + timedelta(days=200)
            ),
            cand(5, "acme/Undated", "AcmeForCausalLM", "acme", None),
        ]
    )
    assert facts[1].family == facts[2].family == "deepseek-ai/DeepSeek-V3-Base"
    assert facts[1].new_architecture and facts[2].new_architecture
    assert facts[3].family == "deepseek-ai/DeepSeek-R1" and not facts[3].new_architecture
    assert not facts[3].new_model_type
    assert not facts[4].new_architecture and facts[4].new_model_type
    assert not facts[5].new_architecture and facts[5].family == "acme/Undated"


def test_family_needs_same_architecture() -> None:
    d = datetime(2025, 4, 29, tzinfo=UTC)
    facts = assign_families(
        [
            cand(1, "Qwen/Qwen3-8B", "Qwen3ForCausalLM", "qwen3", d),
            cand(2, "Qwen/Qwen3-30B-A3B", "Qwen3MoeForCausalLM", "qwen3_moe", d),
        ]
    )
    assert facts[1].family != facts[2].family
    assert all(f.new_architecture for f in facts.values())


def test_import_conflicts() -> None:
    created = datetime(2024, 7, 18, 8, 56, tzinfo=UTC)
    assert import_conflicts("LlamaForCausalLM", "llama", T0, ["LlamaForCausalLM"], "llama", created) is None
    message = import_conflicts(
        "MistralForCausalLM",
        "mistral",
        datetime(2024, 7, 1, tzinfo=UTC),
        ["LlamaForCausalLM"],
        "llama",
        created,
    )
    assert message is not None
    assert "architecture" in message and "model_type" in message and "before the repo was created" in message
    # A day-precision date on the creation day is no conflict.
    assert import_conflicts(None, None, datetime(2024, 7, 18, tzinfo=UTC), [], None, created) is None

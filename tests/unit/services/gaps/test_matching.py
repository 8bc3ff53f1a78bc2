"""Key matching: GGUF names, docs model names (spellings, lists, prefixes) and overrides."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.services.gaps.decide import Release, SupportIndex, SupportPoint, compute_gaps
from app.services.gaps.matching import (
    NameMatcher,
    gguf_architecture,
    listed_models,
    normalise_name,
    release_keys,
    support_keys,
)


def test_gguf_mapping_comes_only_from_the_table_read_from_llama_cpp() -> None:
    table = {"DeepseekV3ForCausalLM": "deepseek2"}
    assert gguf_architecture("DeepseekV3ForCausalLM", table) == "deepseek2"
    assert gguf_architecture("UnknownForCausalLM", table) is None
    assert gguf_architecture("DeepseekV3ForCausalLM", None) is None  # llama.cpp not scanned yet: no guess


def test_names_normalise() -> None:
    assert normalise_name("deepseek-ai/DeepSeek-V4-Flash") == normalise_name("DeepSeek V4 Flash")


def test_docs_names_exact_prefix_and_override() -> None:
    names = NameMatcher(["DeepSeek-V3", "DeepSeek V4 Flash", "Qwen3 Next", "Qwen3-Next"])
    assert names.match("deepseek-ai/DeepSeek-V4-Flash").key == "DeepSeek V4 Flash"
    assert names.match("deepseek-ai/DeepSeek-V3-0324").key == "DeepSeek-V3"
    # "DeepSeek-V3" must not match "DeepSeek-V31…" (token boundary).
    assert names.match("x/DeepSeek-V31").key is None
    # two spellings of one model are one name, not an ambiguity
    assert names.match("Qwen/Qwen3-Next-80B").key == "Qwen3 Next"
    overridden = NameMatcher(["DeepSeek-V3"], overrides={"deepseek-ai/DeepSeek-V3-Base": ""})
    assert overridden.match("deepseek-ai/DeepSeek-V3-Base").key is None


@pytest.mark.parametrize(
    ("name", "models"),
    [  # names as vllm-ascend's supported-models table and tutorials wrote them
        ("DeepSeek V3/3.1", ["DeepSeek V3", "DeepSeek V3.1"]),
        ("Llama2/3/3.1/3.2", ["Llama2", "Llama3", "Llama3.1", "Llama3.2"]),
        ("MiniMax-M2.5/2.7", ["MiniMax-M2.5", "MiniMax-M2.7"]),
        ("Phi-3/4", ["Phi-3", "Phi-4"]),
        ("LLaVA 1.5/1.6", ["LLaVA 1.5", "LLaVA 1.6"]),
        ("Kimi-K2.5/Kimi-K2.6", ["Kimi-K2.5", "Kimi-K2.6"]),
        ("Qwen3.5-27B / Qwen3.6-27B", ["Qwen3.5-27B", "Qwen3.6-27B"]),
        ("DeepSeek Distill (Qwen/Llama)", ["DeepSeek Distill Qwen", "DeepSeek Distill Llama"]),
        ("DeepSeek-V4-Flash", ["DeepSeek-V4-Flash"]),
        ("Qwen2.5-VL/3", ["Qwen2.5-VL"]),  # a bare version with nothing to complete is not a model "3"
    ],
)
def test_a_slash_lists_several_models(name: str, models: list[str]) -> None:
    assert listed_models(name) == models


def test_slash_lists_match_each_listed_model() -> None:
    names = NameMatcher(["DeepSeek V3/3.1", "LLama2/3/3.1"])
    assert names.match("deepseek-ai/DeepSeek-V3").key == "DeepSeek V3"
    assert names.match("deepseek-ai/DeepSeek-V3.1-Terminus").key == "DeepSeek V3.1"
    assert names.match("meta-llama/Llama3.1-8B").key == "LLama3.1"
    assert support_keys("model_name", "DeepSeek V3/3.1") == ("deepseek-v3", "deepseek-v3.1")
    assert support_keys("architecture", "A/B") == ("A/B",)


def _point(at: datetime) -> SupportPoint:
    return SupportPoint(at, None, None, None, None)


def test_spellings_of_one_docs_name_are_one_key_and_the_earliest_event_wins() -> None:
    """vllm-ascend documents "DeepSeek V4-Flash" in its table and "DeepSeek-V4-Flash" as a tutorial page."""
    names = NameMatcher(["DeepSeek-V4-Flash", "DeepSeek V4-Flash", "DeepSeek V3/3.1"])
    at = datetime(2026, 4, 24, tzinfo=UTC)
    releases = [
        Release(n, repo, "deepseek-ai", at, "second", release_keys(repo_id=repo, architecture=None, model_type=None, names=names))
        for n, repo in enumerate(["deepseek-ai/DeepSeek-V4-Flash", "deepseek-ai/DeepSeek-V3.1"])
    ]  # fmt: skip
    index = SupportIndex()
    later, earlier = datetime(2026, 5, 2, tzinfo=UTC), datetime(2026, 4, 25, tzinfo=UTC)
    index.add("vllm-ascend", "documented", "model_name", "DeepSeek V4-Flash", "", "main", _point(later))
    index.add("vllm-ascend", "documented", "model_name", "DeepSeek-V4-Flash", "", "main", _point(earlier))
    index.add("vllm-ascend", "documented", "model_name", "DeepSeek V3/3.1", "", "main", _point(later))
    rows = compute_gaps(releases, {"vllm-ascend": ("model_name",)}, index, stage="documented",
                        now=datetime(2026, 6, 1, tzinfo=UTC))  # fmt: skip
    got = {row.repo_id: (row.key, row.support_at) for row in rows}
    assert got == {
        "deepseek-ai/DeepSeek-V4-Flash": ("DeepSeek V4-Flash", earlier),
        "deepseek-ai/DeepSeek-V3.1": ("DeepSeek V3.1", later),
    }


def test_release_keys_offer_every_kind() -> None:
    keys = release_keys(
        repo_id="deepseek-ai/DeepSeek-V3",
        architecture="DeepseekV3ForCausalLM",
        model_type="deepseek_v3",
        names=NameMatcher(["DeepSeek-V3"]),
        gguf_table={"DeepseekV3ForCausalLM": "deepseek2"},
    )
    assert keys == {
        "repo_id": "deepseek-ai/DeepSeek-V3",
        "architecture": "DeepseekV3ForCausalLM",
        "gguf_architecture": "deepseek2",
        "model_type": "deepseek_v3",
        "model_name": "DeepSeek-V3",
    }


def test_name_overrides_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from app.services.gaps.load import NAME_OVERRIDES, load_name_overrides

    path = tmp_path / "overrides.csv"
    path.write_text("repo_id,docs_name\nacme/Odd-Name-v2,Acme Two\nacme/Never,\n")
    overrides = load_name_overrides(path)
    assert overrides == {"acme/Odd-Name-v2": "Acme Two", "acme/Never": ""}
    names = NameMatcher(["Acme Two", "Never"], overrides)
    assert names.match("acme/Odd-Name-v2").key == "Acme Two"
    assert names.match("acme/Never").key is None
    assert isinstance(load_name_overrides(NAME_OVERRIDES), dict)  # the bundled file parses

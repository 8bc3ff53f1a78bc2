"""Key matching: GGUF names, docs model names with aliases, overrides and ambiguity."""

from __future__ import annotations

from app.services.matching import NameMatcher, gguf_architecture, normalise_name, release_keys


def test_gguf_mapping() -> None:
    assert gguf_architecture("DeepseekV3ForCausalLM") == "deepseek2"
    assert gguf_architecture("UnknownForCausalLM") is None
    assert gguf_architecture("Foo", {"Foo": "foo"}) == "foo"


def test_names_normalise() -> None:
    assert normalise_name("deepseek-ai/DeepSeek-V4-Flash") == normalise_name("DeepSeek V4 Flash")


def test_docs_names_exact_prefix_override_and_ambiguity() -> None:
    names = NameMatcher(["DeepSeek-V3", "DeepSeek V4 Flash", "Qwen3 Next", "Qwen3-Next"])
    assert names.match("deepseek-ai/DeepSeek-V4-Flash").key == "DeepSeek V4 Flash"
    assert names.match("deepseek-ai/DeepSeek-V3-0324").key == "DeepSeek-V3"
    # "DeepSeek-V3" must not match "DeepSeek-V31…" (token boundary).
    assert names.match("x/DeepSeek-V31").key is None
    ambiguous = names.match("Qwen/Qwen3-Next-80B")
    assert ambiguous.key is None and ambiguous.ambiguous == ("Qwen3 Next", "Qwen3-Next")
    overridden = NameMatcher(["DeepSeek-V3"], overrides={"deepseek-ai/DeepSeek-V3-Base": ""})
    assert overridden.match("deepseek-ai/DeepSeek-V3-Base").key is None


def test_release_keys_offer_every_kind() -> None:
    keys, ambiguous = release_keys(
        repo_id="deepseek-ai/DeepSeek-V3",
        architecture="DeepseekV3ForCausalLM",
        model_type="deepseek_v3",
        names=NameMatcher(["DeepSeek-V3"]),
    )
    assert keys == {
        "repo_id": "deepseek-ai/DeepSeek-V3",
        "architecture": "DeepseekV3ForCausalLM",
        "gguf_architecture": "deepseek2",
        "model_type": "deepseek_v3",
        "model_name": "DeepSeek-V3",
    }
    assert ambiguous == ()

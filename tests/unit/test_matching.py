"""Key matching: GGUF names, docs model names with aliases, overrides and ambiguity."""

from __future__ import annotations

from app.services.matching import NameMatcher, gguf_architecture, normalise_name, release_keys


def test_gguf_mapping_comes_only_from_the_table_read_from_llama_cpp() -> None:
    table = {"DeepseekV3ForCausalLM": "deepseek2"}
    assert gguf_architecture("DeepseekV3ForCausalLM", table) == "deepseek2"
    assert gguf_architecture("UnknownForCausalLM", table) is None
    assert gguf_architecture("DeepseekV3ForCausalLM", None) is None  # llama.cpp not scanned yet: no guess


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
        gguf_table={"DeepseekV3ForCausalLM": "deepseek2"},
    )
    assert keys == {
        "repo_id": "deepseek-ai/DeepSeek-V3",
        "architecture": "DeepseekV3ForCausalLM",
        "gguf_architecture": "deepseek2",
        "model_type": "deepseek_v3",
        "model_name": "DeepSeek-V3",
    }
    assert ambiguous == ()


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

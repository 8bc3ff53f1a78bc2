"""Extractor kinds on literal file texts shaped like the runtimes' real registration files."""

from __future__ import annotations

import pytest

from app.domain.runtime_spec import Era, UnknownRuntimeError
from app.sources.runtimes.catalog import CATALOG, RECIPES_GUIDE_NAMES, get_runtime
from app.sources.runtimes.extractors import Extractor, _chunks, guide_hardware, guide_models, read_recipe


def keys(rule: Extractor, text: str, path: str = "x.py") -> set[str]:
    return {k for k, _ in rule.extract(path, text.encode())}


def signal_keys(runtime: str, signal_name: str, path: str, text: str) -> set[str]:
    """What a whole signal keeps from one file: every era matching `path`, filtered and normalized."""
    signal = get_runtime(runtime).signal(signal_name)
    found: set[str] = set()
    for era in signal.eras:
        if era.matches(path):
            found |= {signal.normalize(k) for k in keys(era.extractor, text, path) if signal.keeps(k)}
    return found


def converter_call_args_era() -> Era:
    """llama.cpp's converter era reading ``@ModelBase.register(...)`` decorators."""
    return next(
        e
        for e in get_runtime("llama.cpp").signal("converter").eras
        if e.matches("convert_hf_to_gguf.py") and e.extractor.kind == "call_args"
    )


def recipe_rule() -> Extractor:
    """vLLM Recipes' hardware extractor of the YAML era (the last)."""
    return get_runtime("vllm-recipes").signal("hardware").eras[-1].extractor


VLLM_REGISTRY = '''
"""Registry of models. Mentions "NotAModelForCausalLM": in a docstring."""
_TEXT_GENERATION_MODELS = {
    # "CommentedOutForCausalLM": ("commented", "CommentedOutForCausalLM"),
    "LlamaForCausalLM": ("llama", "LlamaForCausalLM"),
    "DeepseekV4ForCausalLM": "vllm.models.deepseek_v4",
    "Nested": {"inner": 1},
}
_MULTIMODAL_MODELS = {
    "LlavaForConditionalGeneration": ("llava", "LlavaForConditionalGeneration"),
}
_PREVIOUSLY_SUPPORTED_MODELS = {"OldForCausalLM": "0.9"}
_VLLM_MODELS = {**_TEXT_GENERATION_MODELS, **_MULTIMODAL_MODELS}
'''


def test_vllm_dict_keys_skip_comments_docstrings_and_previously_supported() -> None:
    rule = get_runtime("vllm").signal("registry").eras[-1].extractor
    assert keys(rule, VLLM_REGISTRY) == {
        "LlamaForCausalLM", "DeepseekV4ForCausalLM", "Nested", "LlavaForConditionalGeneration",
    }  # fmt: skip


def test_llama_cpp_converter_decorators_if_chain_and_per_model_scripts() -> None:
    signal = get_runtime("llama.cpp").signal("converter")
    decorators = '''
@ModelBase.register("LlamaForCausalLM", "MistralForCausalLM")
class LlamaModel(TextModel):
    model_arch = gguf.MODEL_ARCH.LLAMA

# @ModelBase.register("CommentedForCausalLM")
@Model.register(
    "Qwen2ForCausalLM",
)
class Qwen2Model(Model):
    """@ModelBase.register("DocstringForCausalLM")"""
'''
    assert keys(converter_call_args_era().extractor, decorators) == {
        "LlamaForCausalLM",
        "MistralForCausalLM",
        "Qwen2ForCausalLM",
    }
    chain = 'if model_architecture == "GPTNeoXForCausalLM":\n    pass\nelif model_architecture == "BloomForCausalLM":\n'
    era = next(e for e in signal.eras if e.extractor.kind == "compare" and e.matches("convert-hf-to-gguf.py"))
    assert keys(era.extractor, chain) == {"GPTNeoXForCausalLM", "BloomForCausalLM"}
    legacy = 'if hparams["architectures"][0] != "FalconForCausalLM":\n    sys.exit()\n'
    era = next(e for e in signal.eras if e.matches("convert-falcon-hf-to-gguf.py"))
    assert keys(era.extractor, legacy) == {"FalconForCausalLM"}


def test_llama_cpp_runtime_names_strip_comments() -> None:
    rule = get_runtime("llama.cpp").signal("runtime_arch").eras[0].extractor
    text = (
        "static const std::map<llm_arch, const char *> LLM_ARCH_NAMES = {\n"
        '    { LLM_ARCH_LLAMA, "llama" },\n'
        '    // { LLM_ARCH_GONE, "gone" },\n'
        '    /* { LLM_ARCH_BLOCK, "block" }, */\n'
        '    { LLM_ARCH_DEEPSEEK2, "deepseek2" },\n'
        "};\n"
    )
    assert keys(rule, text, "src/llama-arch.cpp") == {"llama", "deepseek2"}


def test_sglang_entry_class_single_and_list() -> None:
    rule = get_runtime("sglang").signal("entry_class").eras[0].extractor
    assert keys(rule, "class A: pass\n\nEntryClass = [Qwen2ForCausalLM, Qwen2MoeForCausalLM]\n") == {
        "Qwen2ForCausalLM", "Qwen2MoeForCausalLM",
    }  # fmt: skip
    assert keys(rule, "# EntryClass = Old\nEntryClass = LlamaForCausalLM\n") == {"LlamaForCausalLM"}


def test_sglang_excludes_diffusion_models() -> None:
    era = get_runtime("sglang").signal("entry_class").eras[0]
    assert era.matches("python/sglang/srt/models/llama.py")
    assert not era.matches("python/sglang/multimodal_gen/models/flux.py")


def test_transformers_pairs_and_lmdeploy_dict_call() -> None:
    arch = get_runtime("transformers").signal("modeling_auto").eras[-1].extractor
    text = 'MODEL_FOR_CAUSAL_LM_MAPPING_NAMES = OrderedDict(\n    [\n        ("llama", "LlamaForCausalLM"),\n        # ("gone", "GoneForCausalLM"),\n        ("qwen3", ("Qwen3A", "Qwen3B")),\n    ]\n)\n'
    assert keys(arch, text) == {"LlamaForCausalLM", "Qwen3A", "Qwen3B"}
    turbomind = get_runtime("lmdeploy").signal("turbomind").eras[0].extractor
    text = "SUPPORTED_ARCHS = dict(\n    LlamaForCausalLM='llama',\n    BaichuanForCausalLM=False,\n    InternLMForCausalLM=True,\n)\n"
    assert keys(turbomind, text) == {"LlamaForCausalLM", "InternLMForCausalLM"}
    module_map = get_runtime("lmdeploy").signal("pytorch_engine").eras[1].extractor
    assert keys(module_map, "MODULE_MAP.update({\n    'Qwen3ForCausalLM': f'{X}.qwen3.Q',\n})\n") == {
        "Qwen3ForCausalLM"
    }


def test_xllm_macros_ignore_defines_and_comments() -> None:
    text = (
        "#define REGISTER_CAUSAL_MODEL(ModelType, ModelClass) \\\n  REGISTER_CAUSAL_MODEL_WITH_VARNAME(ModelType, ModelType, ModelClass)\n"
        "REGISTER_CAUSAL_MODEL(deepseek_v2, DeepseekV2ForCausalLM);\n"
        "// REGISTER_CAUSAL_MODEL(commented, X);\n"
        "REGISTER_CAUSAL_VLM_MODEL_WITH_VARNAME(qwen2_5_vl_var, qwen2_5_vl, Qwen2_5_VL);\n"
    )
    assert signal_keys("xllm", "register_macros", "xllm/models/a.h", text) == {"deepseek_v2", "qwen2_5_vl"}


def test_markdown_table_status_rows_and_paths() -> None:
    rule = get_runtime("vllm-ascend").signal("docs_table").eras[0].extractor
    text = (
        "| Model | Support | Note |\n|---|---|---|\n| [DeepSeek V3](x.md) | ✅ | |\n| Qwen3 | 🔵 | |\n"
        "| Gemma | ❌ | |\n<!-- | Hidden | ✅ | -->\n"
    )
    assert keys(rule, text, "docs/usage/supported_models.md") == {"DeepSeek V3", "Qwen3"}
    tutorials = get_runtime("vllm-ascend").signal("tutorials").eras[0].extractor
    assert keys(tutorials, "", "docs/source/tutorials/models/DeepSeek-V3.md") == {"DeepSeek-V3"}


# The real shape (vllm-project/recipes, models/<org>/<name>.yaml since 2026-04-20): the verification map
# is nested under ``meta:``, SKUs are lower case, the model is ``model.model_id``, and a variant may name
# another checkpoint.
RECIPE_V4_FLASH = """\
meta:
  title: "DeepSeek-V4-Flash"
  date_added: 2026-04-24
  hardware:
    h200: verified
    mi300x: unsupported
    mi325x: verified   # since July
    Mi355X: "verified"
    xeon6: verified
    b300:
model:
  model_id: "deepseek-ai/DeepSeek-V4-Flash"
  min_vllm_version: "0.20.0"
variants:
  default:
    model_id: "deepseek-ai/DeepSeek-V4-Flash-0731"
    precision: fp8
guide: |
  ## Hardware
  hardware:
    h100: verified
"""


def test_recipes_hardware_verified_per_sku_in_the_real_shape() -> None:
    rule = recipe_rule()
    facts = rule.extract("models/deepseek-ai/DeepSeek-V4-Flash.yaml", RECIPE_V4_FLASH.encode())
    # catalog spellings for the catalog's SKUs, the source's for the others; the guide's text is not data
    assert facts == frozenset(
        {
            ("deepseek-ai/DeepSeek-V4-Flash", "H200"),
            ("deepseek-ai/DeepSeek-V4-Flash", "MI325X"),
            ("deepseek-ai/DeepSeek-V4-Flash", "MI355X"),
            ("deepseek-ai/DeepSeek-V4-Flash", "xeon6"),
        }
    )


def test_recipe_model_comes_from_the_file_not_its_path_and_keeps_min_vllm_version() -> None:
    text = 'meta:\n  hardware:\n    h100: verified\nmodel:\n  model_id: "google/gemma-4-31B-it"\n'
    rule = recipe_rule()
    assert rule.extract("models/Google/gemma-4-31B-it.yaml", text.encode()) == {
        ("google/gemma-4-31B-it", "H100")
    }
    recipe = read_recipe(RECIPE_V4_FLASH.encode())
    assert recipe is not None and recipe.min_vllm_version == "0.20.0"
    assert recipe.hardware["mi300x"] == "unsupported"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # blocks are found wherever they sit: model first, a comment in column 0 inside meta, a document marker
        (
            '---\nmodel:\n  model_id: "a/b"\nmeta:\n  title: b\n# verified in May\n  hardware:\n    h200: verified\n',
            {("a/b", "H200")},
        ),
        # an alias into another block: read from the whole document
        (
            'defaults: &hw\n  h200: verified\nmeta:\n  hardware: *hw\nmodel:\n  model_id: "a/b"\n',
            {("a/b", "H200")},
        ),
        # without a model, or not YAML: nothing
        ("meta:\n  hardware:\n    h200: verified\n", set()),  # no model
        ("meta:\n  hardware: [h200\nmodel:\n  model_id: x/y\n", set()),  # not YAML
        ("- just\n- a list\n", set()),
        ("", set()),
    ],
)
def test_recipe_blocks_wherever_they_sit_and_nothing_without_a_model_or_yaml(
    text: str, found: set[tuple[str, str]]
) -> None:
    assert recipe_rule().extract("models/a/b.yaml", text.encode()) == frozenset(found)


def test_catalog_has_every_runtime_and_unknown_is_clear() -> None:
    assert len(CATALOG) == 21
    assert get_runtime("transformers").vendors == ()
    with pytest.raises(UnknownRuntimeError, match=r"unknown runtime 'nope'.*vllm"):
        get_runtime("nope")


def test_era_globs_use_git_glob_semantics() -> None:
    era = Era(("a/*.py",), Extractor("path", r"(\w+)\.py"))
    assert era.matches("a/x.py") and not era.matches("a/b/x.py")
    deep = Era(("a/**/*.py",), Extractor("path", r"(\w+)\.py"))
    assert deep.matches("a/b/c/x.py") and deep.matches("a/x.py")
    shallow = Era(("a/**.py",), Extractor("path", r"(\w+)\.py"))  # as in git: "**" not next to "/" is "*"
    assert shallow.matches("a/x.py") and not shallow.matches("a/b/x.py")


def test_unknown_extractor_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown extractor kind"):
        Extractor("nope")


def test_openvino_genai_rows_spanning_several_models() -> None:
    # src/docs/SUPPORTED_MODELS.md (2024-06) opened multi-model rows with <td rowspan="3" …>
    text = (
        "<tr>\n  <td><code>ChatGLMModel</code></td>\n  <td>ChatGLM</td>\n</tr>\n"
        '<tr>\n  <td rowspan="3" vertical-align="top"><code>LlamaForCausalLM</code></td>\n  <td>Llama 2</td>\n'
        '  <td><ul><li><a href="https://x/m"><code>meta-llama/Llama-2-7b-hf</code></a></li></ul></td>\n</tr>\n'
        "<tr>\n  <!-- <td><code>GPTNeoXForCausalLM</code></td> -->\n  <td>RedPajama</td>\n</tr>\n"
    )
    assert signal_keys("openvino-genai", "supported_models", "src/docs/SUPPORTED_MODELS.md", text) == {
        "ChatGLMModel",
        "LlamaForCausalLM",
    }


def test_ollama_engine_variants_and_model_types_are_not_keys() -> None:
    engine = 'func init() {\n\tmodel.Register("gemma3", New)\n\tmodel.Register("gemma3_embed", newEmbed)\n}\n'
    assert signal_keys("ollama", "model_engine", "model/models/gemma3/model.go", engine) == {"gemma3"}
    x = 'func init() {\n\tbase.Register("Gemma4ForCausalLM", newModel)\n\tbase.Register("gemma4_unified", newModel)\n}\n'
    assert signal_keys("ollama", "convert", "x/models/gemma4/gemma4.go", x) == {"Gemma4ForCausalLM"}
    assert signal_keys("ollama", "convert", "x/models/gemma4/gemma4_test.go", x) == set()


def test_ktransformers_kt_kernel_names_and_repo_ids() -> None:
    text = (
        'BUILTIN_MODELS = [\n    ModelInfo(\n        name="DeepSeek-V4-Flash",\n'
        '        hf_repo="deepseek-ai/DeepSeek-V4-Flash",\n    ),\n]\n'
        'def load(info, name):\n    model = ModelInfo(\n        name=name,\n        hf_repo=info.get("hf_repo", ""),\n    )\n'
    )
    path = "kt-kernel/python/cli/utils/model_registry.py"
    assert signal_keys("ktransformers", "kt_kernel", path, text) == {"DeepSeek-V4-Flash"}
    assert signal_keys("ktransformers", "kt_kernel_repos", path, text) == {"deepseek-ai/DeepSeek-V4-Flash"}


def test_vllm_ascend_deployment_tutorials_are_not_models() -> None:
    def page(stem: str) -> set[str]:
        return signal_keys("vllm-ascend", "tutorials", f"docs/source/tutorials/{stem}.md", "")

    assert page("multi_npu") == page("single_npu_multimodal") == page("310p") == set()
    assert page("suffix_speculative_decoding") == page("pd_colocated_mooncake_multi_instance") == set()
    assert page("single_npu_qwen2.5_vl") == {"single_npu_qwen2.5_vl"}
    assert page("DeepSeek-V3.2") == {"DeepSeek-V3.2"}


def test_python_chunks_follow_real_triple_quotes_not_quote_counts() -> None:
    # A tokenizer test string holding '""""' once merged the rest of llama.cpp's converter into one chunk
    # that was re-stripped at every version; quotes inside one-line strings and comments do not count.
    text = (
        b"chktxt = '\\'\\'\\'```\"\"\"\"......'\n"
        b'# a comment with """ in it\n'
        b'@ModelBase.register("AForCausalLM")\n'
        b"class A(TextModel):\n"
        b'    """Docstring."""\n'
        b"X = '''\n"
        b"column-0 text inside a string\n"
        b"'''\n"
        b'@ModelBase.register("BForCausalLM")\n'
        b"class B(TextModel):\n"
        b"    pass\n"
    )
    assert _chunks(text, "python") == [
        b"chktxt = '\\'\\'\\'```\"\"\"\"......'",
        b'# a comment with """ in it',
        b'@ModelBase.register("AForCausalLM")',
        b'class A(TextModel):\n    """Docstring."""',
        b"X = '''\ncolumn-0 text inside a string\n'''",
        b'@ModelBase.register("BForCausalLM")',
        b"class B(TextModel):\n    pass\n",
    ]


def test_python_registration_inside_a_column_0_docstring_does_not_count() -> None:
    text = (
        "class A(TextModel):\n"
        '    """Example:\n'
        '@ModelBase.register("DocForCausalLM")\n'
        '"""\n'
        "\n"
        '@ModelBase.register("RealForCausalLM")\n'
        "class B(TextModel):\n"
        "    pass\n"
    )
    assert keys(converter_call_args_era().extractor, text) == {"RealForCausalLM"}


def test_python_closing_bracket_at_column_0_ends_the_statement_above() -> None:
    # SGLang's `EntryClass = [\n    X,\n]` and black's multi-line signatures close at column 0: the closer
    # belongs to the chunk that opened the bracket, so the statement is read whole.
    text = (
        b"def load(\n"
        b"    path,\n"
        b") -> None:\n"
        b"    pass\n"
        b"EntryClass = [\n"
        b"    LlamaForCausalLM,\n"
        b"]\n"
        b"X = '''\n"
        b"] inside a string\n"
        b"'''\n"
    )
    assert _chunks(text, "python") == [
        b"def load(\n    path,\n) -> None:\n    pass",
        b"EntryClass = [\n    LlamaForCausalLM,\n]",
        b"X = '''\n] inside a string\n'''\n",
    ]
    rule = get_runtime("sglang").signal("entry_class").eras[0].extractor
    assert keys(rule, text.decode()) == {"LlamaForCausalLM"}


def test_tensorrt_llm_engine_map_with_constant_keys() -> None:
    """TensorRT-LLM's MODEL_MAP (checked on real versions, docs/runtimes.md) keys Gemma by constants
    imported from another module; an unknown constant is still skipped, not guessed."""
    rule = get_runtime("tensorrt-llm").signal("engine").eras[0].extractor
    text = (
        "from .gemma.config import GEMMA2_ARCHITECTURE, GEMMA_ARCHITECTURE\n"
        "MODEL_MAP = {\n"
        "    'LlamaForCausalLM': LLaMAForCausalLM,\n"
        "    GEMMA_ARCHITECTURE: GemmaForCausalLM,\n"
        "    GEMMA2_ARCHITECTURE: GemmaForCausalLM,\n"
        "    SOMETHING_ELSE: Other,\n"
        "    'MllamaForConditionalGeneration':\n"
        "    MLLaMAForCausalLM,  # For mllama load by Auto\n"
        "}\n"
    )
    assert keys(rule, text, "tensorrt_llm/models/__init__.py") == {
        "LlamaForCausalLM", "GemmaForCausalLM", "Gemma2ForCausalLM", "MllamaForConditionalGeneration",
    }  # fmt: skip


def test_tensorrt_llm_pytorch_backend_decorators_and_arch_index() -> None:
    signal = get_runtime("tensorrt-llm").signal("pytorch_backend")
    decorated = (
        "from .modeling_utils import register_auto_model\n\n\n"
        '@register_vision_encoder(VisionModel)\n@register_auto_model("Qwen3VLMoeForConditionalGeneration")\n'
        '@register_input_processor(Processor, model_type="qwen3_vl_moe")\nclass Model(Base):\n    pass\n'
    )
    path = "tensorrt_llm/_torch/models/modeling_qwen3vl_moe.py"
    assert keys(signal.eras[0].extractor, decorated, path) == {"Qwen3VLMoeForConditionalGeneration"}
    index = (
        '"""Index. Mirrors the ``@register_auto_model("<arch>")`` decorators."""\n'
        'MODEL_ARCH_TO_MODULE = {\n    "LlamaForCausalLM": "modeling_llama",\n'
        '    "NemotronH_Nano_VL_V2": "modeling_nemotron_nano",\n}\n'
        'MODEL_CLASS_TO_MODULE = {\n    "VilaModel": "modeling_vila",\n}\n'
    )
    path = "tensorrt_llm/_torch/models/_arch_index.py"
    assert signal_keys("tensorrt-llm", "pytorch_backend", path, index) == {
        "LlamaForCausalLM",
        "NemotronH_Nano_VL_V2",
    }


def test_tensorrt_llm_supported_models_table() -> None:
    """The docs' architecture column: footnotes and a parenthesised alias are not part of the key; model
    ids (`Qwen/Qwen-Image`), model names and bullet lists are not architectures."""
    rule = get_runtime("tensorrt-llm").signal("supported_models").eras[0].extractor
    text = (
        "| Architecture | Model | HuggingFace Example |\n| --- | --- | --- |\n"
        "| `DeepseekV3ForCausalLM`              | DeepSeek-V3, Kimi-K2 | `deepseek-ai/DeepSeek-V3` |\n"
        "| `Gemma3nForConditionalGeneration` [^7]| Gemma 3n | `google/gemma-3n-E2B-it` |\n"
        "| `LlavaLlamaModel (VILA)`             | Yes | L + I + V |\n"
        "| `Qwen/Qwen-Image` | Text-to-Image |\n| **FLUX.1** | Yes |\n"
        "- [Mixtral](https://github.com/NVIDIA/TensorRT-LLM/tree/main/examples/models/core/mixtral)\n"
    )
    assert keys(rule, text, "docs/source/models/supported-models.md") == {
        "DeepseekV3ForCausalLM", "Gemma3nForConditionalGeneration", "LlavaLlamaModel",
    }  # fmt: skip


def test_vllm_ascend_docs_table_in_every_home_it_had() -> None:
    """The audit found the table missing for five days: #55 moved it to docs/source/features/ (a drop of every
    documented key, back when #59 moved it on), a path no era listed."""
    era = get_runtime("vllm-ascend").signal("docs_table").eras[0]
    for path in (
        "docs/usage/supported_models.md",
        "docs/source/features/supported_models.md",
        "docs/source/user_guide/supported_models.md",
        "docs/source/user_guide/support_matrix/supported_models.md",
    ):
        assert era.matches(path), path


def test_declared_audit_expectations_name_catalog_runtimes() -> None:
    from app.sources.runtimes.catalog import AUDIT_EXPECTED

    assert set(AUDIT_EXPECTED) <= set(CATALOG)
    for name, expected in AUDIT_EXPECTED.items():
        assert CATALOG[name].audit_expected == expected
        assert all(e.reason and "\n" not in e.reason for e in expected)
    assert CATALOG["ollama"].explain("drop:model_engine:9db4bdbad6a4")
    assert CATALOG["ollama"].explain("drop:model_engine:000000000000") is None


def test_transformers_class_tuples_of_2020() -> None:
    # src/transformers/modeling_auto.py before #13023 (2021-08): classes, a nested tuple, a comment
    model = get_runtime("transformers").signal("modeling_auto").eras[0].extractor
    text = (
        "MODEL_MAPPING = OrderedDict(\n    [\n        # Base model mapping\n        (BertConfig, BertModel),\n"
        "        (FunnelConfig, (FunnelModel, FunnelBaseModel)),\n    ]\n)\n"
    )
    assert keys(model, text) == {"BertModel", "FunnelModel", "FunnelBaseModel"}
    config = get_runtime("transformers").signal("config_auto").eras[0].extractor
    text = 'CONFIG_MAPPING = OrderedDict(\n    [\n        ("t5", T5Config,),\n        ("kosmos-2.5", K,),\n    ]\n)\n'
    assert keys(config, text) == {"t5", "kosmos-2.5"}


def test_lmdeploy_module_paths_are_not_architectures() -> None:
    """Found by the audit (a drop of 131 keys at #2104): the old MODULE_MAP also mapped dotted module paths."""
    text = (
        "MODULE_MAP.update({\n"
        "    'transformers.models.llama.modeling_llama.LlamaAttention': f'{P}.llama.LlamaAttention',\n"
        "    'modeling_llama.LlamaModel': f'{P}.llama.LlamaModel',\n"
        "    'LlamaForCausalLM': f'{P}.llama.LlamaForCausalLM',\n"
        "})\n"
    )
    assert signal_keys("lmdeploy", "pytorch_engine", "lmdeploy/pytorch/models/module_map.py", text) == {
        "LlamaForCausalLM"
    }


def test_recipes_guides_name_the_gpus_they_ran_on() -> None:
    # vLLM Recipes' Markdown guides (2025-07-23 .. 2026-04-20), lines as the real guides write them
    skus = RECIPES_GUIDE_NAMES
    assert guide_hardware("### Running Step-3.5-Flash on 4xH200/H20/B200\n", skus) == ["H200", "H20", "B200"]
    assert guide_hardware("### Serving on 8xMI300x/MI325x/MI355x GPUs\n", skus) == [
        "MI300X",
        "MI325X",
        "MI355X",
    ]
    assert guide_hardware("<summary>H100 (Image Inference, FP8, TP4)</summary>\n", skus) == ["H100"]
    # named without saying it ran there: nothing
    assert guide_hardware("On Hopper (H100/H200), avoid using `-tp=8` for it.\n", skus) == []
    assert guide_hardware("Runs on H20 and A100.\n", skus) == ["H20", "A100"]  # H20 is not H200
    # TPU generations by either name, in the table's spelling; a guide's DGX Spark notes are no SKU
    assert guide_hardware("Deployment guides for Trillium (v6e) and Ironwood\n", skus) == [
        "trillium",
        "ironwood",
    ]
    assert guide_hardware("### Run Docker Container on DGX Spark\n", skus) == []


def test_recipes_guides_serve_and_link_hub_repositories() -> None:
    text = (
        "vllm serve Qwen/Qwen3-235B-A22B \\\n  --tp 4\n"
        "python -m x --model=zai-org/GLM-4.5-FP8\n"
        'llm = LLM(model="google/gemma-4-31B-it")\n'
        "[card](https://huggingface.co/moonshotai/Kimi-K2-Instruct) "
        "[docs](https://huggingface.co/docs/huggingface_hub) [data](https://huggingface.co/datasets/x/y)\n"
        "vllm serve ./models/local-ckpt\n"
    )
    assert guide_models(text) == [
        "Qwen/Qwen3-235B-A22B", "zai-org/GLM-4.5-FP8", "google/gemma-4-31B-it", "moonshotai/Kimi-K2-Instruct",
    ]  # fmt: skip
    assert guide_models(text, served_only=True)[-1] == "google/gemma-4-31B-it"

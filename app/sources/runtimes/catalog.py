"""The runtime catalog as data: where each runtime registers support, era by era (docs/runtimes.md).

Adding a runtime means adding a ``RuntimeSpec`` here; the extractor kinds in ``extractors.py`` cover the
registration styles seen so far. Eras are glob sets, each with its own rule: a file that moved is just a
new glob, and since the scanner nets out additions and removals per commit, the move itself is no event.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from app.domain.runtime_spec import (
    Era,
    Expected,
    ReleaseRules,
    RuntimeSpec,
    Signal,
    UnknownRuntimeError,
    VersionSource,
)
from app.domain.vocabulary import KeyKind, Stage, Vendor
from app.sources.runtimes.extractors import Extractor
from app.sources.runtimes.hardware import HARDWARE, canonical_sku

__all__ = ["HARDWARE", "canonical_sku"]

VENDOR_BRANCHES: dict[str, Vendor] = {"amd/": Vendor.AMD}
"""Branch name prefixes that carry a vendor's own port: events on such a branch count for that vendor (AMD
branches of vLLM and SGLang count for AMD; upstream main does not, docs/runtimes.md)."""

RECIPES_SKUS: tuple[str, ...] = tuple(
    sku for sku in HARDWARE if sku not in {"v5e", "Gaudi", "910B", "910C", "Apple Silicon", "CPU"}
)
"""Every SKU vLLM Recipes has named, in its YAML catalog or its Markdown guides (docs/runtimes.md): the
per-SKU rows (and the dashboard's SKU columns) of vllm-recipes."""

RECIPES_GUIDE_NAMES: tuple[str, ...] = (
    "H100", "H200", "B200", "GB200", "B300", "GB300", "A100", "A800", "H20", "H800",
    "MI300X", "MI325X", "MI350X", "MI355X", "Trillium", "v6e", "Ironwood",
)  # fmt: skip
"""The chips a Markdown guide names where it says it ran (``8xH200``, "Trillium (v6e)"): data-centre GPUs and
TPUs. A guide's "CPU offloading", "DGX Spark" container notes or "RTX 3090" benchmark are no recipe SKU."""


def _py(kind: str, pattern: str = "", **kw: object) -> Extractor:
    return Extractor(kind=kind, pattern=pattern, lang="python", **kw)  # type: ignore[arg-type]


def _c(kind: str, pattern: str = "", **kw: object) -> Extractor:
    return Extractor(kind=kind, pattern=pattern, lang="c", **kw)  # type: ignore[arg-type]


# OpenVINO GenAI's supported-models tables: HTML tables in Markdown (2024-06..2025-07), then one TypeScript
# module per table on the docs site (2025-03..). A Markdown row's first cell is ``<td …><code>Label</code></td>``
# (rows spanning several models open with ``<td rowspan="3" …>``; links sit in ``<li><a><code>``, never
# directly in a ``<td>``); a site row is ``architecture: 'Label'``.
_OPENVINO_GENAI_MARKDOWN = ("src/docs/SUPPORTED_MODELS.md", "SUPPORTED_MODELS.md")
_OPENVINO_GENAI_TABLES = ("site/docs/supported-models/_components/*/models.ts",)
_OPENVINO_GENAI_FIRST_CELL = r"<td(?:\s[^>]*)?>\s*<code>\s*([^<]*?)\s*</code>\s*</td>"
_OPENVINO_GENAI_LABEL = r"""\barchitecture\s*:\s*(?:'([^'\n]+)'|"([^"\n]+)")"""
# An architecture identifier is what ``config.architectures`` holds: a Python class name.
_IDENTIFIER = r"[A-Za-z_]\w*"
_NOT_IDENTIFIER = r"(?![A-Za-z_]\w*\Z).*"


# vLLM-style registries: every module-level dict whose name ends in MODELS (text, multimodal, pooling,
# speculative, transformers backends …) except the list of models that were dropped.
_VLLM_DICTS = _py(
    "dict_keys",
    r"^(?!_PREVIOUSLY_SUPPORTED)_?[A-Z_]*(?:MODELS|MODEL_REGISTRY|REGISTRY)\s*(?::[^=\n]*)?=\s*\{",
    needle="{",
)
_VLLM_SIGNAL = Signal(
    name="registry",
    key_kind=KeyKind.ARCHITECTURE,
    eras=(
        Era(("cacheflow/model_executor/model_loader.py",), _VLLM_DICTS, period="2023-05"),
        Era(("vllm/model_executor/model_loader.py",), _VLLM_DICTS, period="2023-06..2023-12"),
        Era(("vllm/model_executor/models/__init__.py",), _VLLM_DICTS, period="2023-12..2024-10"),
        Era(("vllm/model_executor/models/registry.py",), _VLLM_DICTS, period="2024-10.."),
    ),
    # The first registry (2023-05) keyed by model names ("gpt2", "llama"), not HF architectures.
    exclude_keys=(r"[a-z].*",),
)

_HF_ARCH_KEY = r"[A-Z]\w*"

# tpu-inference's JAX model registry: first a dict literal, then one subscript assignment per architecture
# (``_MODEL_REGISTRY[\n    "Qwen3MoeForCausalLM"] = …`` spans lines; ``_MODEL_REGISTRY[arch] = model`` in
# ``register_model`` is an out-of-tree hook, not a registration).
_TPU_DICT = _py("dict_keys", r"\b_MODEL_REGISTRY\s*(?::[^=\n]*)?=\s*\{", needle="_MODEL_REGISTRY")
_TPU_ASSIGN = _py(
    "regex", r"\b_MODEL_REGISTRY\[\s*[\"']([^\"'\n]+)[\"']\s*\]\s*=(?!=)", needle="_MODEL_REGISTRY"
)

# optimum-intel registered these dashed until "Original model types" (#1329, 2025-07-10) renamed them to
# the Hub's model types (and its CLIP sub-models to match). Every other dashed name stays as written:
# real Hub model types (xlm-roberta, deberta-v2, sew-d, data2vec-text) and Optimum's own sub-models
# (flux-transformer, t5-encoder) are not underscored names.
_OPTIMUM_INTEL_ORIGINAL_MODEL_TYPES: tuple[tuple[str, str], ...] = tuple(
    (name, name.replace("-", "_"))
    for name in (
        "clip-text-model", "clip-vision-model", "deepseek-v2", "deepseek-v3", "gemma3-text", "got-ocr2",
        "gpt-bigcode", "gpt-neo", "gpt-neox", "gpt-neox-japanese", "internvl-chat", "llama4-text", "llava-next",
        "llava-next-video", "m2m-100", "phi3-v", "phi4-multimodal", "qwen2-5-vl", "qwen2-moe", "qwen2-vl",
        "qwen3-moe",
    )
)  # fmt: skip

CATALOG_LIST: list[RuntimeSpec] = [
    RuntimeSpec(
        name="vllm",
        display_name="vLLM",
        repo_url="https://github.com/vllm-project/vllm",
        default_branch="main",
        vendors=(Vendor.NVIDIA,),
        hardware=("H100", "H200", "B200"),
        signals=(_VLLM_SIGNAL,),
        # Upstream version tags only: forks that carry upstream's tags add their own (v0.6.1.post1+rocm,
        # v0.4.3_rocm), which are not upstream releases.
        releases=ReleaseRules(tag_pattern=r"^v\d+\.\d+\.\d+(?:\.\d+)?(?:\.post\d+)?(?:rc\d+)?$"),
        branch_patterns=("releases/*", "amd/*"),
    ),
    RuntimeSpec(
        name="rocm-vllm",
        display_name="ROCm vLLM fork",
        repo_url="https://github.com/ROCm/vllm",
        default_branch="main",
        vendors=(Vendor.AMD,),
        hardware=("MI300X", "MI325X", "MI355X"),
        signals=(_VLLM_SIGNAL,),
        releases=ReleaseRules(tag_pattern=r"(\+rocm|_rocm)"),
        notes="Upstream arrives through merges, so a key's date is the merge commit's date.",
    ),
    RuntimeSpec(
        name="sglang",
        display_name="SGLang",
        repo_url="https://github.com/sgl-project/sglang",
        default_branch="main",
        vendors=(Vendor.NVIDIA,),
        hardware=("H100", "H200", "B200"),
        signals=(
            Signal(
                name="entry_class",
                key_kind=KeyKind.ARCHITECTURE,
                eras=(
                    Era(
                        ("python/sglang/srt/models/**/*.py",),
                        _py(
                            "regex",
                            r"^EntryClass\s*=\s*(\[[^\]]*\]|\([^)]*\)|[A-Za-z_]\w*)",
                            split=True,
                            needle="EntryClass",
                        ),
                        exclude=("python/sglang/multimodal_gen/**",),
                        period="2024-01..",
                    ),
                ),
            ),
        ),
        # SGLang's own tags only (v0.4.3.post2, v0.5.0rc0): forks carrying them add their own
        # (Ascend/sglang's v0.5.9-npu.rc2, v0.5.10-npu.rc1), which are not SGLang releases.
        releases=ReleaseRules(
            tag_pattern=r"^v\d+\.\d+\.\d+(?:\.post\d+)?(?:rc\d+)?$",
            version_file="python/pyproject.toml",
            version_pattern=r'^version\s*=\s*"([^"]+)"',
        ),
        branch_patterns=("amd/*", "release/*"),
        notes="AMD support shows on amd/* branches; those count for AMD only through the branch stage.",
    ),
    RuntimeSpec(
        name="tensorrt-llm",
        display_name="TensorRT-LLM",
        repo_url="https://github.com/NVIDIA/TensorRT-LLM",
        default_branch="main",
        vendors=(Vendor.NVIDIA,),
        hardware=("H100", "H200", "B200", "B300", "GB200", "GB300"),
        signals=(
            Signal(
                name="pytorch_backend",
                key_kind=KeyKind.ARCHITECTURE,
                eras=(
                    Era(
                        ("tensorrt_llm/_torch/models/*.py",),
                        _py("call_args", r"@register_auto_model\(", arg=0, needle="register_auto_model"),
                    ),
                    Era(
                        ("tensorrt_llm/_torch/models/_arch_index.py",),
                        _py("dict_keys", r"^MODEL_ARCH_TO_MODULE\s*(?::[^=\n]*)?=\s*\{"),
                    ),
                ),
                exclude_keys=(r"[a-z_].*",),
            ),
            Signal(
                name="engine",
                key_kind=KeyKind.ARCHITECTURE,
                eras=(
                    Era(
                        ("tensorrt_llm/models/__init__.py",),
                        # Gemma's keys are constants imported from tensorrt_llm/models/gemma/config.py.
                        _py(
                            "dict_keys",
                            r"^MODEL_MAP\s*=\s*\{",
                            constants=(
                                ("GEMMA_ARCHITECTURE", "GemmaForCausalLM"),
                                ("GEMMA2_ARCHITECTURE", "Gemma2ForCausalLM"),
                                ("GEMMA3_ARCHITECTURE", "Gemma3ForCausalLM"),
                            ),
                        ),
                    ),
                ),
            ),
            Signal(
                name="supported_models",
                key_kind=KeyKind.ARCHITECTURE,
                stage=Stage.DOCUMENTED,
                provenance="docs",
                eras=(
                    Era(
                        ("docs/source/models/supported-models.md", "docs/source/reference/support-matrix.md"),
                        # a table row whose first cell is a backticked architecture (`LlavaLlamaModel (VILA)`
                        # too, not `Qwen/Qwen-Image`); the support matrix's older bullet list of model names
                        # yields nothing
                        Extractor("regex", r"^\|\s*`([A-Z][A-Za-z0-9_]*)(?:\s[^`|/]*)?`", lang="markdown"),
                    ),
                ),
            ),
        ),
        releases=ReleaseRules(tag_pattern=r"^v\d+\.\d+"),
        branch_patterns=("feat/*", "release/*"),
    ),
    RuntimeSpec(
        name="llama.cpp",
        display_name="llama.cpp",
        repo_url="https://github.com/ggml-org/llama.cpp",
        default_branch="master",
        defines_gguf_mapping=True,
        vendors=(Vendor.LOCAL,),
        hardware=("CPU", "Apple Silicon"),
        signals=(
            Signal(
                name="converter",
                key_kind=KeyKind.ARCHITECTURE,
                eras=(
                    Era(
                        ("convert-*-hf-to-gguf.py",),
                        _py("compare", r"""hparams\[["']architectures["']\]\[0\]""", needle="architectures"),
                        period="2023-08..2023-11",
                    ),
                    Era(
                        ("convert-hf-to-gguf.py",),
                        _py("compare", r"model_architecture", needle="model_architecture"),
                        period="2023-11..2024-03",
                    ),
                    Era(
                        ("convert-hf-to-gguf.py", "convert_hf_to_gguf.py", "conversion/*.py"),
                        _py(
                            "call_args", r"@(?:Model|ModelBase|\w+)\.register\(", arg="*", needle=".register("
                        ),
                        period="2024-03..",
                    ),
                    Era(
                        ("conversion/__init__.py",),
                        _py(
                            "dict_keys", r"^_?[A-Z_]*(?:MAP|ARCHITECTURES|REGISTRY)\w*\s*(?::[^=\n]*)?=\s*\{"
                        ),
                        period="2026-05..",
                    ),
                ),
                exclude_keys=(r"[a-z].*", r".*[^\w].*"),
            ),
            Signal(
                name="runtime_arch",
                key_kind=KeyKind.GGUF_ARCHITECTURE,
                eras=(
                    Era(
                        ("llama.cpp", "src/llama.cpp", "src/llama-arch.cpp"),
                        _c(
                            "regex",
                            r'\{\s*LLM_ARCH_\w+\s*,\s*"([^"]+)"\s*\}',
                            within=r"LLM_ARCH_NAMES",
                            needle="LLM_ARCH_NAMES",
                        ),
                    ),
                ),
                exclude_keys=(r"\(?unknown\)?",),
            ),
        ),
        releases=ReleaseRules(tag_pattern=r"^b\d+$", prerelease_pattern=r"(?!)"),
    ),
    RuntimeSpec(
        name="ollama",
        display_name="Ollama",
        repo_url="https://github.com/ollama/ollama",
        default_branch="main",
        vendors=(Vendor.LOCAL,),
        hardware=("CPU", "Apple Silicon"),
        signals=(
            Signal(
                name="convert",
                key_kind=KeyKind.ARCHITECTURE,
                eras=(
                    Era(
                        ("convert/*.go",),
                        _c(
                            "regex",
                            r"^\s*case\s+((?:\"[A-Za-z]\w*\"\s*,?\s*)+):",
                            split=True,
                            within=r"Architectures\[0\]",
                        ),
                    ),
                    Era(
                        ("x/**/*.go",),
                        _c("call_args", r"\bbase\.Register\(", arg=0, needle="Register("),
                        exclude=("**/*_test.go",),
                    ),
                ),
                # x/models also registers a few Hub model types ("gemma4_unified"): not architectures.
                exclude_keys=(r"[a-z].*",),
            ),
            Signal(
                name="model_engine",
                key_kind=KeyKind.GGUF_ARCHITECTURE,
                eras=(
                    Era(
                        ("model/**/*.go",),
                        _c("call_args", r"\bmodel\.Register\(", arg=0, needle="Register("),
                        exclude=("**/*_test.go",),
                    ),
                ),
                # "<arch>_embed" is the engine's name for an architecture loaded with pooling, not a GGUF
                # architecture of its own.
                exclude_keys=(r".*_embed",),
            ),
        ),
        # "-int" (internal partner builds, e.g. v0.10.2-int1 a day before gpt-oss went public), "-ci" and
        # "-citest" tags are not releases; "-rcN" are pre-releases.
        releases=ReleaseRules(tag_pattern=r"^v\d+\.\d+\.\d+(?:-rc\d+)?$", prerelease_pattern=r"-rc"),
    ),
    RuntimeSpec(
        name="transformers",
        display_name="Transformers",
        repo_url="https://github.com/huggingface/transformers",
        default_branch="main",
        vendors=(),
        hardware=(),
        signals=(
            Signal(
                name="modeling_auto",
                key_kind=KeyKind.ARCHITECTURE,
                eras=(
                    # Before #13023 (2021-08-06) the mappings held classes: (BertConfig, BertModel), and
                    # before the reorganisation (#8580, 2020-11-16) the file was src/transformers/.
                    Era(
                        (
                            "src/transformers/modeling_auto.py",
                            "src/transformers/models/auto/modeling_auto.py",
                        ),
                        _py(
                            "pairs",
                            # typed for a few hours on 2020-01-13 (MODEL_MAPPING: OrderedDict[Type[…], …] = …)
                            r"^MODEL\w*MAPPING\s*(?::[^=\n]*)?=\s*OrderedDict\(",
                            arg=1,
                            identifiers=True,
                            # in every (XConfig, XModel) and in no string mapping: later versions of the
                            # file are skipped unread by this era's rule
                            needle="Config, ",
                        ),
                        period="2020-01..2021-08",
                    ),
                    Era(
                        ("src/transformers/models/auto/modeling_auto.py",),
                        _py("pairs", r"^MODEL\w*MAPPING_NAMES\s*=\s*OrderedDict(?:\[[^\]\n]*\])?\(", arg=1),
                        period="2021-08..",
                    ),
                ),
            ),
            Signal(
                name="config_auto",
                key_kind=KeyKind.MODEL_TYPE,
                eras=(
                    Era(
                        (
                            "src/transformers/configuration_auto.py",
                            "src/transformers/models/auto/configuration_auto.py",
                        ),
                        # ("t5", T5Config,): a class, not a string, as the value
                        _py(
                            "pairs",
                            r"^CONFIG_MAPPING\s*(?::[^=\n]*)?=\s*OrderedDict\(",
                            arg=0,
                            identifiers=True,
                        ),
                        period="2020-01..2021-08",
                    ),
                    Era(
                        ("src/transformers/models/auto/configuration_auto.py",),
                        _py("pairs", r"^CONFIG_MAPPING_NAMES\s*=\s*OrderedDict(?:\[[^\]\n]*\])?\(", arg=0),
                    ),
                    Era(
                        ("src/transformers/models/auto/auto_mappings.py",),
                        _py("pairs", r"^CONFIG_MAPPING_NAMES\s*=\s*OrderedDict(?:\[[^\]\n]*\])?\(", arg=0),
                        period="2026-04..",
                    ),
                    Era(
                        ("src/transformers/models/auto/auto_mappings.py",),
                        _py("dict_keys", r"^CONFIG_MAPPING_NAMES\s*(?::[^=\n]*)?=\s*\{"),
                        period="2026-04..",
                    ),
                ),
            ),
        ),
        releases=ReleaseRules(
            tag_pattern=r"^v\d+\.\d+\.\d+$",
            version_file="setup.py",
            version_pattern=r'^\s*version\s*=\s*"([^"]+)"',
            version_mode="next_dev",
        ),
    ),
    RuntimeSpec(
        name="mlx-lm",
        display_name="MLX-LM",
        repo_url="https://github.com/ml-explore/mlx-lm",
        default_branch="main",
        vendors=(Vendor.APPLE,),
        hardware=("Apple Silicon",),
        signals=(
            Signal(
                name="models",
                key_kind=KeyKind.MODEL_TYPE,
                eras=(
                    Era(("mlx_lm/models/*.py",), Extractor("path", r"^mlx_lm/models/(\w+)\.py$")),
                    Era(
                        ("mlx_lm/utils.py", "mlx_lm/utils/*.py"),
                        _py("dict_keys", r"^MODEL_REMAPPING\s*(?::[^=\n]*)?=\s*\{"),
                    ),
                ),
                exclude_keys=(
                    r"__init__|base|cache|switch_layers|rope_utils|activations|bitlinear_layers|ssm|gated_delta"
                    r"|pipeline|mla|su_rope|layers|.*_utils|.*_layers|.*_kernels?|provider",
                ),
            ),
        ),
        releases=ReleaseRules(
            tag_pattern=r"^v\d+\.\d+\.\d+",
            version_file="mlx_lm/_version.py",
            version_pattern=r'^__version__\s*=\s*"([^"]+)"',
            # before 2024-09-03 (#969) the version lived in version.py, for a week of 2024-02 in
            # __init__.py, and at first (2024-01-12) in setup.py itself
            earlier_version_files=(
                ("mlx_lm/version.py", r'^__version__\s*=\s*"([^"]+)"'),
                ("mlx_lm/__init__.py", r'^__version__\s*=\s*"([^"]+)"'),
                ("setup.py", r'^\s*version\s*=\s*"([^"]+)"'),
            ),
        ),
    ),
    RuntimeSpec(
        name="mlx-vlm",
        display_name="MLX-VLM",
        repo_url="https://github.com/Blaizzy/mlx-vlm",
        default_branch="main",
        vendors=(Vendor.APPLE,),
        hardware=("Apple Silicon",),
        signals=(
            Signal(
                name="models",
                key_kind=KeyKind.MODEL_TYPE,
                eras=(
                    Era(
                        ("mlx_vlm/models/*/__init__.py",),
                        Extractor("path", r"^mlx_vlm/models/(\w+)/__init__\.py$"),
                    ),
                    Era(("mlx_vlm/utils.py",), _py("dict_keys", r"^MODEL_REMAPPING\s*(?::[^=\n]*)?=\s*\{")),
                ),
                exclude_keys=(r"__pycache__|base|cache",),
            ),
        ),
        releases=ReleaseRules(tag_pattern=r"^v\d+\.\d+\.\d+"),
    ),
    RuntimeSpec(
        name="vllm-ascend",
        display_name="vLLM Ascend",
        repo_url="https://github.com/vllm-project/vllm-ascend",
        default_branch="main",
        vendors=(Vendor.HUAWEI,),
        hardware=("910B", "910C"),
        signals=(
            Signal(
                name="overrides",
                key_kind=KeyKind.ARCHITECTURE,
                eras=(
                    Era(
                        ("vllm_ascend/**/*.py",),
                        _py(
                            "call_args", r"\bModelRegistry\.register_model\(", arg=0, needle="register_model"
                        ),
                    ),
                ),
            ),
            Signal(
                name="docs_table",
                key_kind=KeyKind.MODEL_NAME,
                stage=Stage.DOCUMENTED,
                provenance="docs",
                eras=(
                    Era(
                        (
                            "docs/usage/supported_models.md",
                            # 2025-02-13..18 (#55 → #59): the table's first home under docs/source/
                            "docs/source/features/supported_models.md",
                            "docs/source/user_guide/supported_models.md",
                            "docs/source/user_guide/support_matrix/supported_models.md",
                        ),
                        Extractor("markdown_table", r"✅|🔵", lang="markdown"),
                    ),
                ),
            ),
            Signal(
                name="tutorials",
                key_kind=KeyKind.MODEL_NAME,
                stage=Stage.DOCUMENTED,
                provenance="docs",
                eras=(
                    Era(
                        ("docs/source/tutorials/*.md", "docs/source/tutorials/models/*.md"),
                        Extractor("path", r"^docs/source/tutorials/(?:models/)?([^/]+)\.md$"),
                    ),
                ),
                # pages about deployments rather than a model (multi-node, 310P, Ray, PD disaggregation …)
                exclude_keys=(
                    r"index|README|.*multi.?node.*|.*_node.*|310p|ray|(?:single|multi)_npu"
                    r"|single_npu_(?:audio|multimodal)|multi_npu_quantization|pd_.*|.*mooncake.*|.*speculative.*",
                ),
            ),
        ),
        releases=ReleaseRules(tag_pattern=r"^v\d+\.\d+\.\d+"),
        # Release lines were ``vX.Y.Z-dev`` branches (v0.7.3-dev … v0.11.0-dev) before ``releases/vX.Y.Z``;
        # Qwen3 landed on v0.7.3-dev before main.
        branch_patterns=("releases/*", "v*-dev"),
    ),
    RuntimeSpec(
        name="vllm-mindspore",
        display_name="vLLM MindSpore",
        repo_url="https://github.com/mindspore-ai/vllm-mindspore",
        default_branch="master",
        vendors=(Vendor.HUAWEI,),
        hardware=("910B",),
        signals=(
            Signal(
                name="registry",
                key_kind=KeyKind.ARCHITECTURE,
                eras=(Era(("vllm_mindspore/model_executor/models/registry.py",), _VLLM_DICTS),),
            ),
        ),
        releases=ReleaseRules(tag_pattern=r"^v\d+\.\d+"),
    ),
    RuntimeSpec(
        name="xllm",
        display_name="xLLM",
        repo_url="https://github.com/jd-opensource/xllm",
        default_branch="main",
        vendors=(Vendor.HUAWEI,),
        hardware=("910B", "910C"),
        signals=(
            Signal(
                name="register_macros",
                key_kind=KeyKind.MODEL_TYPE,
                eras=(
                    Era(
                        ("xllm/**/*.h", "xllm/**/*.cpp"),
                        _c(
                            "call_args",
                            r"\bREGISTER_[A-Z_]*MODEL\(",
                            arg=0,
                            identifiers=True,
                            strip_defines=True,
                            needle="REGISTER_",
                        ),
                    ),
                    Era(
                        ("xllm/**/*.h", "xllm/**/*.cpp"),
                        _c(
                            "call_args",
                            r"\bREGISTER_[A-Z_]*MODEL_WITH_VARNAME\(",
                            arg=1,
                            identifiers=True,
                            strip_defines=True,
                            needle="_WITH_VARNAME",
                        ),
                    ),
                ),
                exclude_keys=(r"[A-Z].*",),
            ),
        ),
        releases=ReleaseRules(tag_pattern=r"^v\d+\.\d+"),
    ),
    RuntimeSpec(
        name="lmdeploy",
        display_name="LMDeploy",
        repo_url="https://github.com/InternLM/lmdeploy",
        default_branch="main",
        vendors=(Vendor.NVIDIA,),
        hardware=("H100", "910B"),
        signals=(
            Signal(
                name="pytorch_engine",
                key_kind=KeyKind.ARCHITECTURE,
                eras=(
                    Era(
                        ("lmdeploy/pytorch/supported_models.py",),
                        _py("dict_keys", r"^_SUPPORTED_ARCHS\s*=\s*dict\(", reject_values=("False",)),
                    ),
                    Era(
                        ("lmdeploy/pytorch/models/module_map.py",),
                        _py("dict_keys", r"\bMODULE_MAP\.update\("),
                    ),
                ),
                # Until #2104 (2024-09) MODULE_MAP also rewrote modules by dotted path
                # ('transformers.models.llama.modeling_llama.LlamaAttention'): not architectures (the audit's
                # drop of 131 such keys at #2104).
                exclude_keys=(r".*\..*",),
            ),
            Signal(
                name="turbomind",
                key_kind=KeyKind.ARCHITECTURE,
                eras=(
                    Era(
                        ("lmdeploy/turbomind/supported_models.py",),
                        # named _SUPPORTED_ARCHS in its first weeks (2024-03-04..2024-04-09, #1211..#1406)
                        _py("dict_keys", r"^_?SUPPORTED_ARCHS\s*=\s*dict\(", reject_values=("False",)),
                    ),
                ),
            ),
        ),
        # Some release tags lack the "v" (0.6.5, 0.14.0a1, 0.14.0a2); aN / rcN are pre-releases.
        releases=ReleaseRules(tag_pattern=r"^v?\d+\.\d+\.\d+(?:\.post\d+|(?:a|b|rc)\d+)?$"),
    ),
    RuntimeSpec(
        name="tgi",
        display_name="Text Generation Inference",
        repo_url="https://github.com/huggingface/text-generation-inference",
        default_branch="main",
        vendors=(Vendor.NVIDIA,),
        hardware=("H100", "MI300X", "Gaudi"),
        signals=(
            Signal(
                name="models_init",
                key_kind=KeyKind.MODEL_TYPE,
                eras=(
                    Era(
                        ("server/text_generation_server/models/__init__.py",),
                        _py("compare", r"\bmodel_type", needle="model_type"),
                    ),
                    Era(
                        ("server/text_generation_server/models/__init__.py",),
                        _py("regex", r"""["']type["']\s*:\s*["']([\w\-]+)["']""", needle="type"),
                    ),
                ),
            ),
        ),
        releases=ReleaseRules(tag_pattern=r"^v\d+\.\d+"),
    ),
    RuntimeSpec(
        name="onnxruntime-genai",
        display_name="ONNX Runtime GenAI",
        repo_url="https://github.com/microsoft/onnxruntime-genai",
        default_branch="main",
        vendors=(),
        hardware=(),
        signals=(
            Signal(
                name="builder",
                key_kind=KeyKind.ARCHITECTURE,
                eras=(
                    Era(
                        ("src/python/py/models/builder.py", "src/python/py/models/builders/*.py"),
                        _py("compare", r"""(?:config\.)?architectures\[0\]""", needle="architectures"),
                    ),
                ),
            ),
        ),
        releases=ReleaseRules(tag_pattern=r"^v\d+\.\d+"),
    ),
    RuntimeSpec(
        name="optimum-intel",
        display_name="Optimum Intel",
        repo_url="https://github.com/huggingface/optimum-intel",
        default_branch="main",
        vendors=(Vendor.INTEL,),
        hardware=("CPU",),
        signals=(
            Signal(
                name="openvino_configs",
                key_kind=KeyKind.MODEL_TYPE,
                renamed_keys=_OPTIMUM_INTEL_ORIGINAL_MODEL_TYPES,
                eras=(
                    Era(
                        ("optimum/exporters/openvino/model_configs.py",),
                        _py(
                            "call_args",
                            r"@register_in_tasks_manager\(",
                            arg=0,
                            needle="register_in_tasks_manager",
                        ),
                    ),
                ),
            ),
        ),
        releases=ReleaseRules(tag_pattern=r"^v\d+\.\d+"),
    ),
    RuntimeSpec(
        name="openvino-genai",
        display_name="OpenVINO GenAI",
        repo_url="https://github.com/openvinotoolkit/openvino.genai",
        default_branch="master",
        vendors=(Vendor.INTEL,),
        hardware=("CPU",),
        # One table read three ways (docs/runtimes.md, "OpenVINO GenAI"): a row's first cell (``architecture:``
        # in the site's tables) is an HF class or a family label ("Stable Diffusion 3", "Qwen2.5-VL"), and
        # every row links Hugging Face repositories. Labels that are identifiers are architectures, the
        # others model names; the links are repo ids.
        signals=(
            Signal(
                name="supported_models",
                key_kind=KeyKind.ARCHITECTURE,
                stage=Stage.DOCUMENTED,
                provenance="docs",
                eras=(
                    Era(
                        _OPENVINO_GENAI_MARKDOWN,
                        Extractor("regex", _OPENVINO_GENAI_FIRST_CELL, lang="markdown"),
                    ),
                    Era(_OPENVINO_GENAI_TABLES, _c("regex", _OPENVINO_GENAI_LABEL)),
                ),
                exclude_keys=(_NOT_IDENTIFIER,),
            ),
            Signal(
                name="supported_model_families",
                key_kind=KeyKind.MODEL_NAME,
                stage=Stage.DOCUMENTED,
                provenance="docs",
                eras=(
                    Era(
                        _OPENVINO_GENAI_MARKDOWN,
                        Extractor("regex", _OPENVINO_GENAI_FIRST_CELL, lang="markdown"),
                    ),
                    Era(_OPENVINO_GENAI_TABLES, _c("regex", _OPENVINO_GENAI_LABEL)),
                ),
                exclude_keys=(_IDENTIFIER,),
            ),
            Signal(
                name="supported_model_repos",
                key_kind=KeyKind.REPO_ID,
                stage=Stage.DOCUMENTED,
                provenance="docs",
                eras=(
                    Era(_OPENVINO_GENAI_MARKDOWN, Extractor("hub_links", lang="markdown")),
                    Era(_OPENVINO_GENAI_TABLES, _c("hub_links")),
                ),
            ),
        ),
        releases=ReleaseRules(tag_pattern=r"^\d+\.\d+"),
    ),
    RuntimeSpec(
        name="ktransformers",
        display_name="KTransformers",
        repo_url="https://github.com/kvcache-ai/ktransformers",
        default_branch="main",
        vendors=(Vendor.NVIDIA,),
        hardware=("H100", "CPU"),
        signals=(
            Signal(
                name="legacy",
                key_kind=KeyKind.ARCHITECTURE,
                eras=(
                    Era(("ktransformers/**/*.py",), _py("dict_keys", r"^\s*custom_models\s*=\s*\{")),
                    Era(
                        ("ktransformers/**/*.py",),
                        _py("compare", r"""config\.architectures\[0\]""", needle="architectures"),
                    ),
                ),
            ),
            Signal(
                name="kt_kernel",
                key_kind=KeyKind.MODEL_NAME,
                eras=(
                    Era(
                        ("kt-kernel/python/cli/utils/model_registry.py",),
                        _py("call_args", r"\bModelInfo\(", arg="kw:name", needle="ModelInfo("),
                    ),
                ),
            ),
            Signal(
                name="kt_kernel_repos",
                key_kind=KeyKind.REPO_ID,
                eras=(
                    Era(
                        ("kt-kernel/python/cli/utils/model_registry.py",),
                        _py("call_args", r"\bModelInfo\(", arg="kw:hf_repo", needle="ModelInfo("),
                    ),
                ),
            ),
        ),
        releases=ReleaseRules(tag_pattern=r"^v\d+\.\d+"),
    ),
    RuntimeSpec(
        name="lightllm",
        display_name="LightLLM",
        repo_url="https://github.com/ModelTC/lightllm",
        default_branch="main",
        vendors=(Vendor.NVIDIA,),
        hardware=("H100", "H200"),
        signals=(
            Signal(
                name="model_type",
                key_kind=KeyKind.MODEL_TYPE,
                eras=(
                    Era(
                        ("lightllm/server/**/*.py",),
                        _py("compare", r"\bself\.model_type", needle="model_type"),
                    ),
                    Era(("lightllm/models/**/*.py",), _py("call_args", r"@ModelRegistry\(", arg=0)),
                ),
            ),
        ),
        releases=ReleaseRules(tag_pattern=r"^v\d+\.\d+"),
    ),
    RuntimeSpec(
        name="tpu-inference",
        display_name="vLLM TPU (tpu-inference)",
        repo_url="https://github.com/vllm-project/tpu-inference",
        default_branch="main",
        vendors=(Vendor.GOOGLE,),
        hardware=("v5e", "trillium", "ironwood"),
        signals=(
            # The JAX model registry of the model loader: a dict literal inside the loader function
            # (2025-05-29..06-18), then ``_MODEL_REGISTRY["Arch"] = Class`` assignments (#61, 2025-06-18..).
            # The loader moved from models/jax/ to models/common/ (#781, 2025-10-07) and the package was
            # renamed tpu_commons → tpu_inference (#803, 2025-10-08). Architectures not registered here run
            # through vLLM's own PyTorch models (docs/runtimes.md, "tpu-inference").
            Signal(
                name="jax_registry",
                key_kind=KeyKind.ARCHITECTURE,
                eras=(
                    Era(
                        ("tpu_commons/models/jax/model_loader.py",),
                        _TPU_DICT,
                        period="2025-05-29..2025-10-07",
                    ),
                    Era(
                        ("tpu_commons/models/jax/model_loader.py",),
                        _TPU_ASSIGN,
                        period="2025-06-18..2025-10-07",
                    ),
                    Era(
                        ("tpu_commons/models/common/model_loader.py",),
                        _TPU_ASSIGN,
                        period="2025-10-07..2025-10-08",
                    ),
                    Era(("tpu_inference/models/common/model_loader.py",), _TPU_ASSIGN, period="2025-10-08.."),
                ),
                # Internal names that no Hugging Face config carries (``DeepSeekV3`` until #597 registered
                # DeepseekV3ForCausalLM, ``Llama4Scout``, ``Llama3_8B``): an HF architecture names its
                # head (``…For…``) or ends in ``Model``.
                exclude_keys=(r"(?!.*For)(?!.*Model$).*",),
            ),
            # One Buildkite pipeline per Hugging Face repository (2025-10-15..): the model is in the
            # project's CI (unit, accuracy and benchmark steps on TPU queues), which documents it; the
            # results are not in the file (``soft_fail: true``), so it verifies nothing (docs/runtimes.md).
            Signal(
                name="ci_models",
                key_kind=KeyKind.REPO_ID,
                stage=Stage.DOCUMENTED,
                provenance="docs",
                eras=(
                    Era(
                        (".buildkite/models/*.yml",),
                        Extractor(
                            "regex",
                            r"^[ \t]*(?:CI_TARGET|TEST_MODEL):[ \t]*[\"']?([A-Za-z0-9][\w.-]*/[\w.-]*[\w])",
                            lang="text",
                            needle="/",
                        ),
                        period="2025-10-15..",
                    ),
                ),
                coverage_start=date(2025, 10, 15),
            ),
        ),
        releases=ReleaseRules(tag_pattern=r"^v\d+\.\d+\.\d+(?:rc\d+)?$"),
        branch_patterns=("releases/*",),
        notes="vLLM's TPU backend (a plugin of vllm): JAX-native architectures are registered in its model "
        "loader; the others fall back to vLLM's PyTorch definitions, so upstream vLLM support is no TPU support.",
    ),
    RuntimeSpec(
        name="vllm-recipes",
        display_name="vLLM Recipes",
        repo_url="https://github.com/vllm-project/recipes",
        default_branch="main",
        # Its guides and recipes document models for vLLM's first platforms; each verified SKU counts for
        # its own vendor (Intel's xeon6, Google's trillium: ``catalog_views.vendor_runtimes``).
        vendors=(Vendor.NVIDIA, Vendor.AMD),
        hardware=RECIPES_SKUS,
        signals=(
            # From the first guide (2025-07-23) until the YAML catalog (#336, 2026-04-20) recipes were
            # Markdown guides, one per model or family (``OpenAI/GPT-OSS.md``): the models a guide serves or
            # links are documented; the GPUs it says it ran on are per-SKU `verified` at medium confidence.
            # The guides stayed in the repository beside the YAML files: they are read until #336 only, and
            # what only they stated is removed there (docs/runtimes.md, "vllm-recipes").
            Signal(
                name="guides",
                key_kind=KeyKind.REPO_ID,
                stage=Stage.DOCUMENTED,
                provenance="docs",
                eras=(
                    Era(
                        ("*/*.md",),
                        Extractor("guide_models", lang="text"),
                        period="2025-07-23..2026-04-20",
                        until=date(2026, 4, 20),
                    ),
                    Era(("models/*/*.yaml",), Extractor("yaml_model", lang="text"), period="2026-04-20.."),
                ),
                coverage_start=date(2025, 7, 23),
            ),
            Signal(
                name="hardware",
                key_kind=KeyKind.REPO_ID,
                stage=Stage.VERIFIED,
                provenance="docs",
                eras=(
                    Era(
                        ("*/*.md",),
                        Extractor("guide_hardware", lang="text", skus=RECIPES_GUIDE_NAMES),
                        period="2025-07-23..2026-04-20",
                        until=date(2026, 4, 20),
                        confidence="medium",
                    ),
                    Era(
                        ("models/*/*.yaml",),
                        Extractor("yaml_hardware", lang="text"),
                        period="2026-04-20..",
                    ),
                ),
                coverage_start=date(2025, 7, 23),
            ),
        ),
        releases=None,
        notes="Each SKU counts for its own vendor only (the hardware table, app/sources/runtimes/hardware.py); "
        "a SKU the table lacks is stored lower-case without its count and reported by the audit (unmapped_sku).",
    ),
]

# Audit findings that are history, not drift (``launchgap catalog audit``), each with its one-line reason,
# checked on the copies named in docs/runtimes.md. Commits are abbreviated to 12 characters; an era's
# index is its position in the signal's ``eras``.
_VLLM_EXPECTED = (
    Expected(
        r"flap:registry:YiForCausalLM@5c976a7e1a1b",
        "#2637 refactored the llama family without Yi and was reverted the same day (#2851)",
    ),
    Expected(
        r"silence:registry:1:518369d78c1e",
        "model_loader.py stayed a loader after the registry moved to models/__init__.py (2023-12-13)",
    ),
    Expected(
        r"silence:registry:2:.*",
        "models/__init__.py exported model classes before (2023-06..12) and after (2024-10..) it held the registry",
    ),
)
AUDIT_EXPECTED: dict[str, tuple[Expected, ...]] = {
    "vllm": (
        *_VLLM_EXPECTED,
        Expected(
            r"tag_unmatched:(?:\d+\.\d+\.\d+|\d{4}\.\d{2}\.\d{2}(?:-pre)?)",
            "a fork's own tags (opendatahub-io's 0.x.0 and date tags): upstream tags every release vX.Y.Z",
        ),
    ),
    "rocm-vllm": (
        *_VLLM_EXPECTED,
        Expected(
            r"tag_not_release:v[\d.]+(?:post\d+)?(?:\+rocm|_rocm)",
            "ROCm/vllm's releases are upstream versions suffixed +rocm or _rocm",
        ),
        Expected(
            r"tag_unmatched:v\d+\.\d+\.\d+(?:\.post\d+)?(?:rc\d+)?",
            "upstream vLLM's tags carried by the fork: they count for vllm",
        ),
    ),
    "llama.cpp": (
        Expected(
            r"silence:runtime_arch:0:f5a77a629bd0",
            "llama.cpp predates LLM_ARCH_NAMES (#2717, 2023-08-23): until then LLaMA was its only architecture",
        ),
    ),
    "ollama": (
        Expected(
            r"silence:convert:0:2c017ca44170",
            "convert/ began as a plain converter; its Architectures[0] switch came with #3250",
        ),
        Expected(
            r"silence:convert:1:76912c062aaa",
            "x/ (the MLX engine) existed before its first base.Register (2026-02-13)",
        ),
        Expected(
            r"drop:model_engine:9db4bdbad6a4",
            "#16031 removed the Go model engine: GGUF models run on llama-server (llama.cpp pinned in LLAMA_CPP_VERSION)",
        ),
        Expected(
            r"silence:model_engine:0:7b22ac968356",
            "model/ keeps only parsers and renderers since the Go engine left (#16031, #17007)",
        ),
    ),
    "sglang": (
        Expected(
            r"silence:entry_class:0:22085081bb24",
            "models/ existed before EntryClass (dynamic model loading, #101, 2024-01-25)",
        ),
        Expected(
            r"flap:entry_class:SDAR(?:Moe)?ForCausalLM@73a7f0d04997",
            "SDAR support was reverted (#19032) and landed again (#19044) the same day",
        ),
        Expected(
            r"version_silence:64edeb798f7e",
            "a one-day switch to a dynamic version, undone by #4731 (2025-03-24)",
        ),
        Expected(
            r"version_silence:9c4eb4609985",
            "setuptools-scm since #15985 (2025-12-29): the version comes from git tags",
        ),
    ),
    "transformers": (
        Expected(
            r"silence:(?:modeling|config)_auto:0:5daca95dddf9",
            "from the src/ layout (#2268, 2019-12-22) to the first OrderedDict mappings (2020-01) the auto "
            "classes dispatched with isinstance(config, …) chains",
        ),
        Expected(
            r"silence:config_auto:[01]:868e3c73911e",
            "since #45018 (2026-04-16) configuration_auto.py imports CONFIG_MAPPING_NAMES from auto_mappings.py (eras 1-2)",
        ),
        Expected(
            r"dead_keys:(?:modeling|config)_auto",
            "the reference implementation registers every head and sub-model class; runtimes and releases use few",
        ),
    ),
    "mlx-lm": (Expected(r"silence:models:1:560de608ea21", "utils.py predates MODEL_REMAPPING (2024-02-12)"),),
    "lmdeploy": (
        Expected(
            r"silence:pytorch_engine:1:344e126d628f",
            "until #2104 module_map.py rewrote modules by dotted path; architectures were listed in "
            "supported_models.py (era 0) from 2024-03-04",
        ),
        Expected(
            r"flap:turbomind:MixtralForCausalLM@01ddf168d130",
            "#4557 dropped Mixtral from TurboMind and #4623 brought it back",
        ),
    ),
    "ktransformers": (
        Expected(
            r"drop:legacy:57d14d22bc9f", "#1581 moved the legacy package to archive/ to refocus on kt-kernel"
        ),
    ),
    "lightllm": (
        Expected(
            r"silence:model_type:1:360eb453a81e",
            "models/ existed long before @ModelRegistry (2025-05-07); until then the server compared model_type (era 0)",
        ),
    ),
    "vllm-ascend": (
        Expected(
            r"silence:overrides:0:d5e7756028bd",
            "vllm_ascend/ existed before its first ModelRegistry.register_model (2025-03-07)",
        ),
        Expected(
            r"(?:drop|silence):overrides(?::0)?:835b4c8f1dd6",
            "#4814 dropped torchair and its model overrides: models come from upstream vLLM until DeepseekV4 (#9270)",
        ),
        Expected(
            r"drop:docs_table:c25631ec7b4c",
            "the 0.7.3rc1 table rewrite (#285) renamed rows (Qwen 2.5 → Qwen2.5 …) and un-ticked ChatGLM and LLaVA 1.5",
        ),
        Expected(
            r"flap:docs_table:LLaVA 1\.5@c25631ec7b4c", "un-ticked by #285 and ticked again on 2025-04-17"
        ),
        Expected(
            r"flap:docs_table:Qwen2\.5-based@885b6aa9055e",
            "#12416 dropped the row for Atlas inference products and #10703 added it again the next day",
        ),
        Expected(
            r"drop:tutorials:e538fa6f9c4e",
            "#4920 renamed tutorial pages after their models (multi_npu_kimi-k2-thinking.md → Kimi-K2-Thinking.md …)",
        ),
        Expected(
            r"silence:tutorials:0:(?:38334f5daa51|2e5f31253056)",
            "the first tutorials were deployment pages (single/multi-NPU, multi-node), not models",
        ),
    ),
    "openvino-genai": (
        Expected(
            r"drop:supported_model_families:6dd8b143ad28",
            "2024-10-24 the VLM table swapped its first two columns: model names left the code cell",
        ),
    ),
    "tpu-inference": (
        Expected(
            r"flap:jax_registry:GptOssForCausalLM@c03a028b1758",
            "#1193 commented GPT-OSS out of the JAX registry and #1208 reverted it four days later",
        ),
    ),
    "vllm-recipes": (
        Expected(
            r"drop:(?:guides|hardware):7f7a1b5d6307",
            "#336 began the YAML catalog, where the Markdown guides stop being read: what only a guide served "
            "(Qwen-Image, Qwen3-235B-A22B on MI300X …) is removed there; its first support stays",
        ),
    ),
}
CATALOG_LIST = [replace(spec, audit_expected=AUDIT_EXPECTED.get(spec.name, ())) for spec in CATALOG_LIST]
CATALOG: dict[str, RuntimeSpec] = {spec.name: spec for spec in CATALOG_LIST}

# Upstream → downstream: the downstream runtime ports what the upstream registers (a fork, a plugin, an
# exporter built on it), so its support can only lag (or, with early access, lead) the upstream's.
PROPAGATION: tuple[tuple[str, str], ...] = (
    ("llama.cpp", "ollama"),
    ("vllm", "vllm-ascend"),
    ("vllm", "rocm-vllm"),
    ("vllm", "vllm-mindspore"),
    ("vllm", "tpu-inference"),
    ("transformers", "optimum-intel"),
    ("optimum-intel", "openvino-genai"),
)


# vLLM Recipes' ``model.min_vllm_version`` (read by ``extractors.read_recipe``).
VERSION_SOURCES: dict[str, VersionSource] = {
    "vllm-recipes": VersionSource(globs=("models/*/*.yaml",), of_runtime="vllm", key_kind=KeyKind.REPO_ID),
}


_unknown_pairs = [pair for pair in PROPAGATION if not set(pair) <= set(CATALOG)]
if _unknown_pairs:
    raise ValueError(f"PROPAGATION names runtimes missing from the catalog: {_unknown_pairs}")
_unknown_sources = [n for n, s in VERSION_SOURCES.items() if not {n, s.of_runtime} <= set(CATALOG)]
if _unknown_sources:
    raise ValueError(f"VERSION_SOURCES names runtimes missing from the catalog: {_unknown_sources}")


def get_runtime(name: str) -> RuntimeSpec:
    """The catalog entry called ``name``; ``UnknownRuntimeError`` listing the known names otherwise."""
    try:
        return CATALOG[name]
    except KeyError:
        raise UnknownRuntimeError(name, CATALOG) from None


def gguf_mapping_runtime() -> RuntimeSpec:
    """The runtime whose converter defines the HF architecture → GGUF architecture mapping."""
    return next(spec for spec in CATALOG_LIST if spec.defines_gguf_mapping)

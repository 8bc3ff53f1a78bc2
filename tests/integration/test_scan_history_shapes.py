"""Scanner rules on small repositories built in the shapes the real histories have (issue 8, part b).

Each test reproduces, in miniature, what a runtime's real repository does at the point a rule got wrong:
SGLang's multi-line ``EntryClass`` lists and fork-suffixed tags, transformers' pre-2021 tuple mappings and
file layout, optimum-intel's dashed model types, lmdeploy's first TurboMind table and tags without ``v``,
and mlx-lm's first version file.
"""

from __future__ import annotations

from pathlib import Path

from app.services.runtimes.fetch import collect_events
from app.sources.runtimes.catalog import get_runtime
from app.sources.runtimes.scanner import ScanEvent
from tests.fakes.repo_builder import RepoBuilder


def _events(runtime: str, repo: RepoBuilder, tmp_path: Path) -> list[ScanEvent]:
    return collect_events(get_runtime(runtime), data_dir=tmp_path / "data", repo=str(repo.path))


def _dated(events: list[ScanEvent], stage: str) -> set[tuple[str, str, str]]:
    return {(e.key, e.event, e.at.date().isoformat()) for e in events if e.stage == stage}


SGLANG_MODELS = "python/sglang/srt/models"


def test_sglang_multi_line_entry_class_list_is_read(tmp_path: Path) -> None:
    # python/sglang/srt/models/llama.py: a single class (2024-09), a one-line list, then (2026-01-12, #16348)
    # a list with one class per line and its closing bracket at column 0, which once cut the statement in
    # two: every class in it was reported removed.
    llama = f"{SGLANG_MODELS}/llama.py"
    body = "class LlamaForCausalLM(nn.Module):\n    pass\n\n\n"
    repo = RepoBuilder(tmp_path / "sglang")
    repo.commit({llama: body + "EntryClass = LlamaForCausalLM\n"}, at="2024-09-02T21:44:45Z")
    repo.commit(
        {llama: body + "EntryClass = [LlamaForCausalLM, Phi3ForCausalLM]\n"}, at="2024-09-02T21:49:40Z"
    )
    repo.commit(
        {
            llama: body
            + "EntryClass = [\n    LlamaForCausalLM,\n    Phi3ForCausalLM,\n    IQuestCoderForCausalLM,\n]\n"
        },
        at="2026-01-12T15:44:45Z",
    )
    # a model whose only registration ever was a multi-line list, followed by more module code
    repo.commit(
        {
            f"{SGLANG_MODELS}/bailing_moe_linear.py": (
                "class BailingMoeV2_5ForCausalLM(nn.Module):\n    pass\n\n\n"
                "EntryClass = [\n    BailingMoeV2_5ForCausalLM,\n]\n"
                "_UNRELATED = {\n    'x': 1,\n}\n"
            )
        },
        at="2026-02-01T00:00:00Z",
    )
    merged = _dated(_events("sglang", repo, tmp_path), "merged")
    assert merged == {
        ("LlamaForCausalLM", "added", "2024-09-02"),
        ("Phi3ForCausalLM", "added", "2024-09-02"),
        ("IQuestCoderForCausalLM", "added", "2026-01-12"),
        ("BailingMoeV2_5ForCausalLM", "added", "2026-02-01"),
    }


def test_sglang_fork_suffixed_tags_are_not_releases(tmp_path: Path) -> None:
    # SGLang's own tags: v0.4.3.post2, v0.5.0rc0, v0.5.9. Forks that carry them add their own
    # (Ascend/sglang: v0.5.9-npu.rc2, v0.5.10-npu.rc1, npu-v0.5.9.rc1), which are not SGLang releases.
    entry = f"{SGLANG_MODELS}/llama.py"
    repo = RepoBuilder(tmp_path / "sglang")
    repo.commit({entry: "EntryClass = LlamaForCausalLM\n"}, at="2025-01-01T00:00:00Z")
    repo.tag("v0.4.3.post2", annotated=True, at="2025-01-02T00:00:00Z")
    repo.commit({f"{SGLANG_MODELS}/qwen3.py": "EntryClass = Qwen3ForCausalLM\n"}, at="2025-04-18T00:00:00Z")
    repo.tag("v0.5.9-npu.rc2", annotated=True, at="2025-04-19T00:00:00Z")
    repo.tag("npu-v0.5.9.rc1", annotated=True, at="2025-04-19T01:00:00Z")
    repo.tag("v0.5.0rc0", annotated=True, at="2025-04-20T00:00:00Z")
    repo.commit(
        {f"{SGLANG_MODELS}/gpt_oss.py": "EntryClass = GptOssForCausalLM\n"}, at="2025-08-05T00:00:00Z"
    )
    repo.tag("v0.5.10-npu.rc1", annotated=True, at="2025-08-06T00:00:00Z")
    repo.tag("v0.5.0", annotated=True, at="2025-08-08T00:00:00Z")
    released = {
        (e.key, e.tag, e.is_prerelease) for e in _events("sglang", repo, tmp_path) if e.stage == "released"
    }
    assert released == {
        ("LlamaForCausalLM", "v0.4.3.post2", False),
        ("LlamaForCausalLM", "v0.5.0rc0", True),  # its first pre-release
        ("Qwen3ForCausalLM", "v0.5.0rc0", True),
        ("Qwen3ForCausalLM", "v0.5.0", False),
        ("GptOssForCausalLM", "v0.5.0", False),
    }


def test_mlx_lm_version_files_of_every_era_and_llama4_text(tmp_path: Path) -> None:
    # ml-explore/mlx-lm: the version was setup.py's `version="0.0.1"` (2024-01-12), then `__version__` in
    # mlx_lm/__init__.py (2024-02-21), mlx_lm/version.py (2024-02-27) and mlx_lm/_version.py (2024-09-03, #969).
    repo = RepoBuilder(tmp_path / "mlx-lm")
    setup = 'setup(\n    name="mlx-lm",\n    version="{}",\n)\n'
    repo.commit({"setup.py": setup.format("0.0.1"), "mlx_lm/__init__.py": "from .utils import load\n",
                 "mlx_lm/models/llama.py": "class Model: ...\n"}, at="2024-01-12T18:25:56Z")  # fmt: skip
    repo.commit({"mlx_lm/models/phi2.py": "class Model: ...\n"}, at="2024-01-13T00:00:00Z")
    repo.commit({"setup.py": setup.format("0.0.2")}, at="2024-01-15T19:51:21Z")
    repo.commit({"setup.py": 'setup(\n    name="mlx-lm",\n    version=mlx_lm.__version__,\n)\n',
                 "mlx_lm/__init__.py": 'from .utils import load\n\n__version__ = "0.0.13"\n'},
                at="2024-02-21T17:40:36Z")  # fmt: skip
    repo.commit({"mlx_lm/__init__.py": "from .utils import load\nfrom .version import __version__\n",
                 "mlx_lm/version.py": '__version__ = "0.0.14"\n'}, at="2024-02-27T16:47:56Z")  # fmt: skip
    repo.commit({"mlx_lm/models/gemma2.py": "class Model: ...\n"}, at="2024-06-28T00:00:00Z")
    repo.commit({"mlx_lm/version.py": '__version__ = "0.15.2"\n'}, at="2024-07-01T00:00:00Z")
    repo.commit({"mlx_lm/version.py": None, "mlx_lm/_version.py": '__version__ = "0.18.1"\n',
                 "setup.py": 'from _version import __version__\nsetup(\n    version=__version__,\n)\n'},
                at="2024-09-03T20:16:21Z")  # fmt: skip
    # a text-only Llama 4 model type (checkpoints with model_type "llama4_text"), next to a helper module
    repo.commit({"mlx_lm/models/llama4_text.py": "class Model: ...\n", "mlx_lm/models/rope_utils.py": "x = 1\n"},
                at="2025-09-16T21:48:22Z")  # fmt: skip
    repo.commit({"mlx_lm/_version.py": '__version__ = "0.28.0"\n'}, at="2025-09-17T00:00:00Z")
    events = _events("mlx-lm", repo, tmp_path)
    released = {(e.key, e.tag, e.at.date().isoformat()) for e in events if e.stage == "released"}
    assert released == {
        ("llama", "version:0.0.1", "2024-01-12"),
        ("phi2", "version:0.0.2", "2024-01-15"),
        ("gemma2", "version:0.15.2", "2024-07-01"),
        ("llama4_text", "version:0.28.0", "2025-09-17"),
    }
    assert ("rope_utils", "added", "2025-09-16") not in _dated(events, "merged")
    assert ("llama4_text", "added", "2025-09-16") in _dated(events, "merged")


def test_lmdeploy_first_turbomind_table_and_tags_without_v(tmp_path: Path) -> None:
    # InternLM/lmdeploy: TurboMind's table was `_SUPPORTED_ARCHS` from 2024-03-04 (#1211) until 2024-04-09
    # (#1406); some release tags have no "v" (0.6.5, 0.14.0a1); and a branch named like a tag (v0.14.0)
    # makes git's short ref name of the tag "tags/v0.14.0".
    turbomind = "lmdeploy/turbomind/supported_models.py"
    module_map = "lmdeploy/pytorch/models/module_map.py"
    repo = RepoBuilder(tmp_path / "lmdeploy")
    repo.commit({turbomind: "_SUPPORTED_ARCHS = dict(\n    # qwen-7b\n    QWenLMHeadModel=True,\n"
                            "    # Qwen1.5\n    Qwen2ForCausalLM=False)\n"}, at="2024-03-04T06:56:37Z")  # fmt: skip
    repo.tag("v0.2.5", at="2024-03-05T08:38:51Z", annotated=True)
    repo.commit({turbomind: "SUPPORTED_ARCHS = dict(\n    QWenLMHeadModel='qwen',\n    Qwen2ForCausalLM='qwen2',\n)\n",
                 module_map: "MODULE_MAP.update({\n    'LlavaLlamaForCausalLM': f'{LMDEPLOY}.llava.L',\n})\n"},
                at="2024-04-09T05:56:27Z")  # fmt: skip
    repo.tag("v0.4.0", at="2024-04-23T11:17:54Z", annotated=True)
    repo.commit({module_map: "MODULE_MAP.update({\n    'InternVLChatModel': f'{LMDEPLOY}.internvl.I',\n})\n"},
                at="2024-12-13T11:05:24Z")  # fmt: skip
    repo.tag("0.6.5")  # lightweight, dated by its commit
    repo.commit({module_map: "MODULE_MAP.update({\n    'InternVLChatModel': f'{LMDEPLOY}.internvl.I',\n"
                             "    'Qwen3OmniMoeForConditionalGeneration': f'{LMDEPLOY}.qwen3_omni.Q',\n})\n"},
                at="2026-06-02T07:51:27Z")  # fmt: skip
    repo.tag("0.14.0a2")
    repo.commit(
        {turbomind: "SUPPORTED_ARCHS = dict(\n    Qwen2ForCausalLM='qwen2',\n)\n"}, at="2026-06-22T00:00:00Z"
    )
    repo.branch("v0.14.0").commit({"README.md": "release branch\n"}, at="2026-06-23T00:00:00Z").checkout(
        "main"
    )
    repo.tag("v0.14.0", at="2026-06-24T04:34:07Z", annotated=True)
    events = _events("lmdeploy", repo, tmp_path)
    merged = {(e.key, e.event, e.at.date().isoformat()) for e in events if e.stage == "merged"}
    assert ("QWenLMHeadModel", "added", "2024-03-04") in merged
    assert (
        "Qwen2ForCausalLM",
        "added",
        "2024-04-09",
    ) in merged  # False in the first table: not supported yet
    released = {(e.key, e.event, e.tag, e.is_prerelease) for e in events if e.stage == "released"}
    assert released == {
        ("QWenLMHeadModel", "added", "v0.2.5", False),
        ("Qwen2ForCausalLM", "added", "v0.4.0", False),
        ("LlavaLlamaForCausalLM", "added", "v0.4.0", False),
        ("InternVLChatModel", "added", "0.6.5", False),
        ("LlavaLlamaForCausalLM", "removed", "0.6.5", False),
        ("InternVLChatModel", "added", "0.14.0a2", True),  # the first pre-release of each key
        ("QWenLMHeadModel", "added", "0.14.0a2", True),
        ("Qwen2ForCausalLM", "added", "0.14.0a2", True),
        ("Qwen3OmniMoeForConditionalGeneration", "added", "0.14.0a2", True),
        ("Qwen3OmniMoeForConditionalGeneration", "added", "v0.14.0", False),
        ("QWenLMHeadModel", "removed", "v0.14.0", False),
    }


def test_optimum_intel_only_names_renamed_by_original_model_types_are_underscored(tmp_path: Path) -> None:
    # huggingface/optimum-intel: "qwen2-5-vl" (2025-02-28) became "qwen2_5_vl" in "Original model types"
    # (#1329, 2025-07-10); "xlm-roberta" and "deberta-v2" are the Hub's own dashed model types (2026-01, #1458)
    # and "flux-transformer" is one of Optimum's sub-models: those stay as written.
    configs = "optimum/exporters/openvino/model_configs.py"

    def register(*names: str) -> str:
        return "".join(
            f'@register_in_tasks_manager(\n    "{n}", *["feature-extraction"], library_name="transformers"\n)\n'
            f"class C{i}(OnnxConfig):\n    pass\n\n\n"
            for i, n in enumerate(names)
        )

    repo = RepoBuilder(tmp_path / "optimum-intel")
    repo.commit({configs: register("llama", "qwen2-5-vl", "flux-transformer")}, at="2025-02-28T09:02:48Z")
    repo.tag("v1.23.0", at="2025-05-15T08:16:12Z", annotated=True)
    repo.commit({configs: register("llama", "qwen2_5_vl", "flux-transformer")}, at="2025-07-10T16:14:11Z")
    repo.commit({configs: register("llama", "qwen2_5_vl", "flux-transformer", "xlm-roberta", "deberta-v2")},
                at="2026-01-23T09:22:55Z")  # fmt: skip
    repo.tag("v2.0.0", at="2026-06-10T08:06:22Z", annotated=True)
    events = _events("optimum-intel", repo, tmp_path)
    assert _dated(events, "merged") == {
        ("llama", "added", "2025-02-28"),
        ("qwen2_5_vl", "added", "2025-02-28"),  # the rename is no event
        ("flux-transformer", "added", "2025-02-28"),
        ("xlm-roberta", "added", "2026-01-23"),
        ("deberta-v2", "added", "2026-01-23"),
    }
    released = {(e.key, e.tag) for e in events if e.stage == "released"}
    assert ("qwen2_5_vl", "v1.23.0") in released and ("xlm-roberta", "v2.0.0") in released


def test_transformers_class_tuple_mappings_before_august_2021(tmp_path: Path) -> None:
    # huggingface/transformers: from 2020-01-13 the auto mappings held classes, `(BertConfig, BertModel)` and
    # `("xlm-roberta", XLMRobertaConfig,)`, in src/transformers/modeling_auto.py (typed for a few hours);
    # the reorganisation (#8580, 2020-11-16) moved them to models/auto/; #13023 (2021-08-06) made them strings.
    old_model, old_config = "src/transformers/modeling_auto.py", "src/transformers/configuration_auto.py"
    model, config = (
        "src/transformers/models/auto/modeling_auto.py",
        "src/transformers/models/auto/configuration_auto.py",
    )
    classes = "(T5Config, T5Model),\n        (XLMRobertaConfig, XLMRobertaModel),\n"
    types = '("t5", T5Config,),\n        ("xlm-roberta", XLMRobertaConfig,),\n'
    repo = RepoBuilder(tmp_path / "transformers")
    repo.commit({"setup.py": 'setup(\n    version="2.3.0",\n)\n'}, at="2019-12-20T21:22:20Z")
    repo.commit({old_config: f"CONFIG_MAPPING = OrderedDict(\n    [\n        {types}    ]\n)\n",
                 old_model: "MODEL_MAPPING: OrderedDict[Type[PretrainedConfig], Type[PreTrainedModel]] = OrderedDict(\n"
                            f"    [\n        {classes}    ]\n)\n"}, at="2020-01-13T20:05:20Z")  # fmt: skip
    repo.commit(
        {"setup.py": 'setup(\n    version="2.4.0",\n)\n'},
        at="2020-01-31T14:40:32Z",
        message="Release: v2.4.0",
    )
    funnel = "        (FunnelConfig, (FunnelModel, FunnelBaseModel)),\n"
    repo.commit({old_model: None, old_config: None,
                 config: f"CONFIG_MAPPING = OrderedDict(\n    [\n        {types}    ]\n)\n",
                 model: f"MODEL_MAPPING = OrderedDict(\n    [\n        {classes}{funnel}    ]\n)\n"},
                at="2020-11-17T02:43:42Z")  # fmt: skip
    repo.commit({"setup.py": 'setup(\n    version="4.0.0-rc-1",\n)\n'}, at="2020-11-19T17:18:57Z")
    repo.commit({"setup.py": 'setup(\n    version="4.1.0.dev0",\n)\n'}, at="2020-11-30T18:54:52Z")
    names = '("t5", "T5Model"),\n        ("xlm-roberta", "XLMRobertaModel"),\n        ("funnel", ("FunnelModel", "FunnelBaseModel")),\n'
    repo.commit({config: 'CONFIG_MAPPING_NAMES = OrderedDict(\n    [\n        ("t5", "T5Config"),\n        ("xlm-roberta", "XLMRobertaConfig"),\n    ]\n)\n',
                 model: f"MODEL_MAPPING_NAMES = OrderedDict(\n    [\n        {names}    ]\n)\n"
                        "MODEL_MAPPING = _LazyAutoMapping(CONFIG_MAPPING_NAMES, MODEL_MAPPING_NAMES)\n"},
                at="2021-08-06T11:12:30Z")  # fmt: skip
    repo.commit({config: 'CONFIG_MAPPING_NAMES = OrderedDict(\n    [\n        ("t5", "T5Config"),\n        ("xlm-roberta", "XLMRobertaConfig"),\n'
                         '        ("kosmos-2.5", "Kosmos2_5Config"),\n    ]\n)\n'}, at="2025-08-19T00:00:00Z")  # fmt: skip
    events = _events("transformers", repo, tmp_path)
    assert _dated(events, "merged") == {
        ("T5Model", "added", "2020-01-13"),
        ("XLMRobertaModel", "added", "2020-01-13"),
        ("t5", "added", "2020-01-13"),
        ("xlm-roberta", "added", "2020-01-13"),
        ("FunnelModel", "added", "2020-11-17"),
        ("FunnelBaseModel", "added", "2020-11-17"),
        ("kosmos-2.5", "added", "2025-08-19"),  # no removal at either move
    }
    released = {(e.key, e.tag, e.is_prerelease) for e in events if e.stage == "released"}
    assert ("T5Model", "version:2.4.0", False) in released and (
        "xlm-roberta",
        "version:2.4.0",
        False,
    ) in released
    assert ("FunnelModel", "version:4.0.0-rc-1", True) in released
    assert ("FunnelModel", "version:4.0.0", False) in released  # main left the rc for 4.1.0.dev0

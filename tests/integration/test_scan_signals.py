"""Release by version bumps, per-SKU verification (vLLM Recipes), TensorRT-LLM shapes, the CLI and verify."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.services.runtimes.fetch import collect_events
from app.services.runtimes.verify import verify_facts
from app.sources.runtimes.catalog import CATALOG, get_runtime
from app.sources.runtimes.verified_facts import VerifiedFact, load_facts
from tests.fakes.repo_builder import RepoBuilder


def test_sglang_version_bumps_are_releases(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "sglang")
    models = "python/sglang/srt/models"
    repo.commit({"python/pyproject.toml": 'name = "sglang"\nversion = "0.4.0"\n',
                 f"{models}/llama.py": "EntryClass = LlamaForCausalLM\n"}, at="2024-12-01T00:00:00Z")  # fmt: skip
    repo.commit({f"{models}/deepseek_v2.py": "EntryClass = [DeepseekV2ForCausalLM, DeepseekV3ForCausalLM]\n"},
                at="2024-12-25T16:00:00Z", message="DeepSeek V3 (#2600)")  # fmt: skip
    repo.commit(
        {"python/pyproject.toml": 'name = "sglang"\nversion = "0.4.1rc0"\n'}, at="2024-12-25T20:00:00Z"
    )
    repo.commit({"python/pyproject.toml": 'name = "sglang"\nversion = "0.4.1"\n'}, at="2024-12-25T23:00:00Z")
    events = collect_events(get_runtime("sglang"), data_dir=tmp_path / "data", repo=str(repo.path))
    released = {(e.key, e.tag, e.is_prerelease, e.confidence) for e in events if e.stage == "released"}
    assert ("DeepseekV3ForCausalLM", "version:0.4.1rc0", True, "medium") in released
    assert ("DeepseekV3ForCausalLM", "version:0.4.1", False, "medium") in released
    assert ("LlamaForCausalLM", "version:0.4.0", False, "medium") in released


def test_transformers_next_dev_bump_implies_the_release(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "tf")
    auto = "src/transformers/models/auto/modeling_auto.py"
    mapping = "MODEL_FOR_CAUSAL_LM_MAPPING_NAMES = OrderedDict[str, str](\n    [\n{rows}    ]\n)\n"
    repo.commit({"setup.py": 'setup(\n    version="4.50.0.dev0",\n)\n',
                 auto: mapping.format(rows='        ("llama", "LlamaForCausalLM"),\n')}, at="2025-03-01T00:00:00Z")  # fmt: skip
    repo.commit({auto: mapping.format(rows='        ("llama", "LlamaForCausalLM"),\n        ("qwen3", "Qwen3ForCausalLM"),\n')},
                at="2025-03-31T00:00:00Z")  # fmt: skip
    repo.commit({"setup.py": 'setup(\n    version="4.51.0.dev0",\n)\n'}, at="2025-04-02T00:00:00Z")
    events = collect_events(get_runtime("transformers"), data_dir=tmp_path / "data", repo=str(repo.path))
    released = {(e.key, e.tag, e.at.date().isoformat()) for e in events if e.stage == "released"}
    assert released == {
        ("LlamaForCausalLM", "version:4.50.0", "2025-04-02"),
        ("Qwen3ForCausalLM", "version:4.50.0", "2025-04-02"),
    }


def _recipe(model_id: str, hardware: dict[str, str], *, variant_model: str = "") -> str:
    """A recipe file as vllm-project/recipes writes it (2026-04-20 onwards): ``meta.hardware`` nested and
    lower case, the model in ``model.model_id``, variants and a free-text guide after it."""
    rows = "".join(f"    {sku}: {status}\n" for sku, status in hardware.items())
    variant = f'    model_id: "{variant_model}"\n' if variant_model else ""
    return (
        f'meta:\n  title: "{model_id.split("/")[-1]}"\n  date_added: 2026-04-24\n  hardware:\n{rows}'
        f'model:\n  model_id: "{model_id}"\n  min_vllm_version: "0.20.0"\n  architecture: moe\n'
        f"variants:\n  default:\n{variant}    precision: fp8\n"
        "guide: |\n  ## Overview\n  Verified on h100: see below.\n"
    )


def test_recipes_verified_date_per_sku_in_the_real_shape(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "recipes")
    # the Markdown era: free-form guides, no per-SKU status (the catalog declares where coverage starts)
    repo.commit({"DeepSeek/DeepSeek-V3_2.md": "# DeepSeek-V3.2 Usage Guide\nRuns on H200 and MI355X.\n"},
                at="2025-12-01T00:00:00Z")  # fmt: skip
    repo.commit({"DeepSeek/DeepSeek-V3_2.md": None,
                 "models/deepseek-ai/DeepSeek-V3.2.yaml": _recipe("deepseek-ai/DeepSeek-V3.2", {"h200": "verified"})},
                at="2026-04-20T05:02:43Z", message="Refactor recipes into YAML schema (#336)")  # fmt: skip
    pro, flash = "models/deepseek-ai/DeepSeek-V4-Pro.yaml", "models/deepseek-ai/DeepSeek-V4-Flash.yaml"
    repo.commit({
        pro: _recipe("deepseek-ai/DeepSeek-V4-Pro", {"h200": "verified", "mi325x": "unsupported", "mi355x": "unsupported"}),
        flash: _recipe("deepseek-ai/DeepSeek-V4-Flash", {"h200": "verified", "mi325x": "unsupported", "mi355x": "unsupported"},
                       variant_model="deepseek-ai/DeepSeek-V4-Flash-0731"),
    }, at="2026-04-24T03:32:31Z", message="DeepSeek V4 (#370)")  # fmt: skip
    repo.commit({
        pro: _recipe("deepseek-ai/DeepSeek-V4-Pro", {"h200": "verified", "mi325x": "unsupported", "mi355x": "verified"}),
        flash: _recipe("deepseek-ai/DeepSeek-V4-Flash", {"h200": "verified", "mi325x": "unsupported", "mi355x": "verified"},
                       variant_model="deepseek-ai/DeepSeek-V4-Flash-0731"),
    }, at="2026-06-10T07:15:24Z", message="[ROCm] V4 on MI355x (#433)")  # fmt: skip
    repo.commit({flash: _recipe("deepseek-ai/DeepSeek-V4-Flash",
                                {"h200": "verified", "mi325x": "verified", "mi355x": "verified", "xeon6": "verified"},
                                variant_model="deepseek-ai/DeepSeek-V4-Flash-0731")},
                at="2026-07-21T07:01:49Z", message="Verify DeepSeek-V4-Flash on MI325X (#646)")  # fmt: skip
    # a file renamed with its model unchanged is no event; a verification dropped is a removal
    repo.commit(move={"models/deepseek-ai/DeepSeek-V3.2.yaml": "models/deepseek-ai/DeepSeek-V3_2.yaml"},
                at="2026-07-25T00:00:00Z")  # fmt: skip
    repo.commit({pro: _recipe("deepseek-ai/DeepSeek-V4-Pro", {"h200": "verified", "mi355x": "unsupported"})},
                at="2026-08-01T00:00:00Z", message="Pro: MI355X regressed (#700)")  # fmt: skip
    every = collect_events(get_runtime("vllm-recipes"), data_dir=tmp_path / "data", repo=str(repo.path))
    # each recipe documents its model from the commit that added it
    documented = {(e.key, e.event, e.at.date().isoformat()) for e in every if e.stage == "documented"}
    assert documented == {
        ("deepseek-ai/DeepSeek-V3.2", "added", "2026-04-20"),
        ("deepseek-ai/DeepSeek-V4-Pro", "added", "2026-04-24"),
        ("deepseek-ai/DeepSeek-V4-Flash", "added", "2026-04-24"),
    }
    events = [e for e in every if e.stage == "verified"]
    got = [(e.key, e.sku, e.event, e.at.date().isoformat(), e.pr_number) for e in events]
    assert sorted(got) == sorted([
        ("deepseek-ai/DeepSeek-V3.2", "H200", "added", "2026-04-20", 336),
        ("deepseek-ai/DeepSeek-V4-Pro", "H200", "added", "2026-04-24", 370),
        ("deepseek-ai/DeepSeek-V4-Flash", "H200", "added", "2026-04-24", 370),
        ("deepseek-ai/DeepSeek-V4-Pro", "MI355X", "added", "2026-06-10", 433),
        ("deepseek-ai/DeepSeek-V4-Flash", "MI355X", "added", "2026-06-10", 433),
        # Flash and Pro differ per SKU: only Flash was verified on MI325X
        ("deepseek-ai/DeepSeek-V4-Flash", "MI325X", "added", "2026-07-21", 646),
        ("deepseek-ai/DeepSeek-V4-Flash", "xeon6", "added", "2026-07-21", 646),
        ("deepseek-ai/DeepSeek-V4-Pro", "MI355X", "removed", "2026-08-01", 700),
    ])  # fmt: skip
    assert {(e.stage, e.provenance, e.key_kind) for e in events} == {("verified", "docs", "repo_id")}


_GPT_OSS_GUIDE = """# GPT-OSS Usage Guide
In vLLM, you can run it on NVIDIA H100, H200, B200 as well as MI300x, MI325x, MI355x.
See the [model card](https://huggingface.co/openai/gpt-oss-20b) and the [docs](https://huggingface.co/docs/hub).
### H100 & H200
```bash
vllm serve openai/gpt-oss-120b --async-scheduling
```
"""
_QWEN3_GUIDE = """# Qwen3 Usage Guide
On Hopper (H100/H200), avoid using `-tp=8` with this model.
Please follow the steps here to install and run Qwen3 models on AMD MI300X/MI325X/MI355X GPU.
```shell
VLLM_USE_V1=1 \\
vllm serve Qwen/Qwen3-235B-A22B \\
  --trust-remote-code
```
"""


def test_recipes_markdown_guides_before_the_yaml_catalog(tmp_path: Path) -> None:
    # Issue 22, item 3: 2025-07-23 .. 2026-04-20 the recipes were Markdown guides; they stayed beside the YAML
    repo = RepoBuilder(tmp_path / "recipes")
    repo.commit(
        {"OpenAI/GPT-OSS.md": _GPT_OSS_GUIDE}, at="2025-08-05T17:18:08Z", message="gpt oss guide (#14)"
    )
    repo.commit({"Qwen/Qwen3.md": _QWEN3_GUIDE}, at="2026-02-03T15:07:39Z", message="Qwen3 for AMD (#217)")
    repo.commit({
        "models/openai/gpt-oss-120b.yaml": _recipe("openai/gpt-oss-120b", {"h100": "verified", "b200": "unsupported"}),
        "models/Qwen/Qwen3-235B-A22B-Instruct-2507.yaml": _recipe("Qwen/Qwen3-235B-A22B-Instruct-2507", {"mi300x": "verified"}),
    }, at="2026-04-20T05:02:43Z", message="Refactor recipes into YAML schema (#336)")  # fmt: skip
    # a guide edited after the YAML catalog began is no longer read
    repo.commit({"Qwen/Qwen3.md": _QWEN3_GUIDE + "vllm serve Qwen/Qwen3-Later\nRun on MI355X.\n"},
                at="2026-05-01T00:00:00Z", message="Qwen3 guide edit (#500)")  # fmt: skip
    events = collect_events(get_runtime("vllm-recipes"), data_dir=tmp_path / "data", repo=str(repo.path))
    got = {(e.stage, e.key, e.sku, e.event, e.at.date().isoformat(), e.confidence) for e in events}
    assert got == {
        # the models a guide serves or links are documented from the commit that added them
        ("documented", "openai/gpt-oss-120b", "", "added", "2025-08-05", "high"),
        ("documented", "openai/gpt-oss-20b", "", "added", "2025-08-05", "high"),  # linked model card
        ("documented", "Qwen/Qwen3-235B-A22B", "", "added", "2026-02-03", "high"),
        ("documented", "Qwen/Qwen3-235B-A22B-Instruct-2507", "", "added", "2026-04-20", "high"),
        # the YAML catalog dropped what only the guides served: removed, the first support stays
        ("documented", "openai/gpt-oss-20b", "", "removed", "2026-04-20", "high"),
        ("documented", "Qwen/Qwen3-235B-A22B", "", "removed", "2026-04-20", "high"),
        # the GPUs a guide says it runs on, for each model it serves, at medium confidence
        *{("verified", "openai/gpt-oss-120b", sku, "added", "2025-08-05", "medium")
          for sku in ("H100", "H200", "B200", "MI300X", "MI325X", "MI355X")},
        # "avoid -tp=8 on H100/H200" says nothing about running there
        *{("verified", "Qwen/Qwen3-235B-A22B", sku, "added", "2026-02-03", "medium")
          for sku in ("MI300X", "MI325X", "MI355X")},
        ("verified", "Qwen/Qwen3-235B-A22B-Instruct-2507", "MI300X", "added", "2026-04-20", "high"),
        # H100 stays verified in the YAML (no event); the rest only the guide said
        *{("verified", "openai/gpt-oss-120b", sku, "removed", "2026-04-20", "high")
          for sku in ("H200", "B200", "MI300X", "MI325X", "MI355X")},
        *{("verified", "Qwen/Qwen3-235B-A22B", sku, "removed", "2026-04-20", "high")
          for sku in ("MI300X", "MI325X", "MI355X")},
    }  # fmt: skip


def test_recipes_declare_where_their_coverage_starts() -> None:
    signal = get_runtime("vllm-recipes").signal("hardware")
    assert signal.coverage_start == date(2025, 7, 23)  # the first Markdown guide
    # sources that cover their whole history declare nothing
    assert get_runtime("vllm").signal("registry").coverage_start is None


def test_tensorrt_llm_shapes_and_feature_branch(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "trtllm")
    repo.commit({
        "tensorrt_llm/models/__init__.py": 'MODEL_MAP = {\n    "LlamaForCausalLM": LLaMAForCausalLM,\n}\n',
        "tensorrt_llm/_torch/models/modeling_llama.py": '@register_auto_model("LlamaForCausalLM")\nclass L:\n    pass\n',
    }, at="2025-01-01T00:00:00Z")  # fmt: skip
    repo.branch("feat/deepseek_v4").commit(
        {
            "tensorrt_llm/_torch/models/modeling_deepseekv4.py": '@register_auto_model("DeepseekV4ForCausalLM")\nclass D:\n    pass\n'
        },
        at="2026-03-01T00:00:00Z",
    )
    repo.checkout("main").merge("feat/deepseek_v4", at="2026-04-24T00:00:00Z")
    repo.commit({"tensorrt_llm/_torch/models/_arch_index.py": 'MODEL_ARCH_TO_MODULE = {\n    "Qwen3ForCausalLM": "modeling_qwen3",\n}\n'},
                at="2026-05-01T00:00:00Z")  # fmt: skip
    events = collect_events(get_runtime("tensorrt-llm"), data_dir=tmp_path / "data", repo=str(repo.path))
    got = {(e.key, e.stage, e.signal, e.at.date().isoformat()) for e in events if e.event == "added"}
    assert ("DeepseekV4ForCausalLM", "branch", "pytorch_backend", "2026-03-01") in got
    assert ("DeepseekV4ForCausalLM", "merged", "pytorch_backend", "2026-04-24") in got  # the merge date
    assert ("Qwen3ForCausalLM", "merged", "pytorch_backend", "2026-05-01") in got
    assert ("LlamaForCausalLM", "merged", "engine", "2025-01-01") in got


def test_verify_reports_each_fact(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "mlx")
    repo.commit({"mlx_lm/models/qwen3.py": "class Model: ...\n", "mlx_lm/models/base.py": "x = 1\n"},
                at="2025-04-28T13:44:17Z")  # fmt: skip
    sha = repo.head()
    repo.commit({"mlx_lm/models/qwen3.py": None}, at="2025-06-01T00:00:00Z")
    gone = repo.head()
    facts = [
        VerifiedFact("mlx-lm", "qwen3", "merged", sha, datetime(2025, 4, 28, 13, 44, 17, tzinfo=UTC)),
        VerifiedFact("mlx-lm", "qwen3", "merged", sha, datetime(2025, 4, 29, tzinfo=UTC)),
        VerifiedFact("mlx-lm", "base", "merged", sha, None),
        VerifiedFact("mlx-lm", "qwen3", "merged", gone, datetime(2025, 6, 1, tzinfo=UTC), event="removed"),
        VerifiedFact("mlx-lm", "qwen3", "merged", sha, None, event="removed"),
    ]
    checks = verify_facts(get_runtime("mlx-lm"), repo=str(repo.path), data_dir=tmp_path / "d", facts=facts)
    assert [c.ok for c in checks] == [True, False, False, True, False]
    assert "time" in checks[1].message and "no added event" in checks[2].message
    assert "commit" in checks[4].message  # the removal is at another commit than the fact says


def test_bundled_facts_file_loads() -> None:
    facts = load_facts()
    # every runtime with a public history (not TensorRT-LLM, validated synthetically: over 1 GB)
    assert {f.runtime for f in facts} == set(CATALOG) - {"tensorrt-llm"}
    assert all(f.at is not None and f.at.tzinfo is not None for f in facts)
    assert all(f.repository and len(f.head) == 40 for f in facts)
    per_runtime = Counter({(f.runtime, f.key) for f in facts if f.stage in ("merged", "documented")})
    keys_per_runtime = Counter(runtime for runtime, _key in per_runtime)
    assert min(keys_per_runtime.values()) >= 5, keys_per_runtime


def test_every_era_and_release_rule_has_hand_checked_facts() -> None:
    """Each era of each signal has a hand-checked first registration, each release rule (tags, version file)
    a first release, each runtime a removal where its history has one — or the facts file says why not."""
    from app.sources.runtimes.verified_facts import FACTS_FILE

    facts = load_facts()
    exempt = json.loads(FACTS_FILE.read_text())["not_checkable"]
    assert all(item["reason"].strip() for item in exempt)

    def excused(runtime: str, **what: object) -> bool:
        return any(
            e["runtime"] == runtime
            and (e.get("signal") == "*" or all(e.get(k) == v for k, v in what.items()))
            for e in exempt
        )

    eras = {(f.runtime, f.signal, f.era) for f in facts if f.stage != "released" and f.event == "added"}
    missing = [
        (spec.name, signal.name, index)
        for spec in CATALOG.values()
        for signal in spec.signals
        for index in range(len(signal.eras))
        if (spec.name, signal.name, index) not in eras
        and not excused(spec.name, signal=signal.name, era=index)
    ]
    assert not missing, missing
    for spec in CATALOG.values():
        released = [f.tag for f in facts if f.runtime == spec.name and f.stage == "released"]
        if spec.releases is None or not any(s.stage == "merged" for s in spec.signals) or excused(spec.name):
            continue
        if not excused(spec.name, release="tag"):
            assert any(not t.startswith("version:") for t in released), f"{spec.name}: no tag release fact"
        if spec.releases.version_file:
            assert any(t.startswith("version:") for t in released), (
                f"{spec.name}: no version-file release fact"
            )
        if not excused(spec.name, removal=True):
            assert any(f.runtime == spec.name and f.event == "removed" for f in facts), (
                f"{spec.name}: no removal"
            )


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from app.config import get_settings

    monkeypatch.setenv("LAUNCHGAP_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    monkeypatch.setenv("LAUNCHGAP_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_cli_scan_json_prints_events_and_unknown_runtime_fails(cli_env: Path) -> None:
    from app.cli.main import cli

    repo = RepoBuilder(cli_env / "mlx").commit({"mlx_lm/models/qwen3.py": "x\n"}, at="2025-04-28T13:44:17Z")
    result = CliRunner().invoke(cli, ["scan", "mlx-lm", "--repo", str(repo.path), "--json"])
    assert result.exit_code == 0, result.output
    events = json.loads(result.stdout)
    assert events[0]["key"] == "qwen3" and events[0]["at"] == "2025-04-28T13:44:17Z"
    assert set(events[0]) >= {"runtime", "key_kind", "stage", "event", "author_at", "commit", "tag", "branch", "sku",
                              "signal", "provenance", "confidence", "retracted", "evidence_url"}  # fmt: skip
    bad = CliRunner().invoke(cli, ["scan", "nope", "--json"])
    assert bad.exit_code == 2 and "unknown runtime" in bad.stderr
    missing = CliRunner().invoke(cli, ["scan", "mlx-lm", "--repo", str(cli_env / "none"), "--json"])
    assert missing.exit_code == 1 and "does not exist" in missing.stderr


def test_cli_scan_stores_and_summarizes_then_rescans_nothing(cli_env: Path) -> None:
    from app.cli.main import cli
    from app.db.migrate import upgrade

    upgrade(f"sqlite:///{cli_env / 'db.sqlite'}")
    repo = RepoBuilder(cli_env / "mlx").commit({"mlx_lm/models/qwen3.py": "x\n"}, at="2025-04-28T13:44:17Z")
    first = CliRunner().invoke(cli, ["scan", "mlx-lm", "--repo", str(repo.path)])
    assert first.exit_code == 0, first.output
    assert "mlx-lm: head" in first.stdout and "1 events (1 new, 0 retracted)" in first.stdout
    again = CliRunner().invoke(cli, ["scan", "mlx-lm", "--repo", str(repo.path)])
    assert "0 commits" in again.stdout and "0 events" in again.stdout
    both = CliRunner().invoke(cli, ["scan", "mlx-lm", "--all"])
    assert both.exit_code == 2


def test_a_fact_with_an_unknown_event_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "facts.json"
    fact = {
        "runtime": "mlx-lm",
        "key": "phi",
        "stage": "merged",
        "at": "2025-05-01T00:00:00Z",
        "event": "moved",
    }
    path.write_text(json.dumps({"facts": [fact]}))
    with pytest.raises(ValueError, match=r"fact #0 is malformed: event 'moved'"):
        load_facts(path)

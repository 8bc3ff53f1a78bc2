"""The DeepSeek-V4 shape, as real repositories: Huawei's runtime had V4 on a release branch before the public
release and before its own main, shipped it in a release candidate on day 0, and made the final release
carrying it weeks later; upstream vLLM merged it on day 0. A second, older family (V3.2) went the ordinary
way (upstream first, the port weeks later), and a second publisher has a release nobody ported.

Built through the real services (poll a fake Hub, scan the repositories, refresh the gap rows), so the
tests read what a user would see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app.config import Settings
from app.db.session import create_db_engine, session_factory, session_scope
from app.services.gaps.refresh import refresh_gaps
from app.services.hub.poll import poll_publishers
from app.services.jobs import bootstrap_reference_data
from app.services.runtimes.scan import scan_runtime
from app.sources.hub.client import HubClient
from app.sources.runtimes.catalog import CATALOG

from ..fakes.fake_hub import FakeHub
from ..fakes.repo_builder import RepoBuilder
from .coverage import observe

V4 = "deepseek-ai/DeepSeek-V4-Flash"
V32 = "deepseek-ai/DeepSeek-V3.2"
OTHER = "other-lab/Other-1"

V4_RELEASE = datetime(2026, 4, 24, 12, 0, tzinfo=UTC)
V32_RELEASE = datetime(2025, 12, 1, 10, 0, tzinfo=UTC)
OTHER_RELEASE = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

# upstream vLLM
VLLM_V32_MERGED = datetime(2025, 12, 1, 14, 0, tzinfo=UTC)  # +4 h: day 0
VLLM_V4_MERGED = datetime(2026, 4, 24, 13, 0, tzinfo=UTC)  # +1 h: day 0
VLLM_V4_RELEASE_TAG = datetime(2026, 4, 25, 10, 0, tzinfo=UTC)  # v0.20.0, final, +22 h

# vllm-ascend
ASCEND_V32_MERGED = datetime(2025, 12, 20, 10, 0, tzinfo=UTC)  # +19 d, 456 h after upstream's +4 h
ASCEND_V4_BRANCH = datetime(2026, 4, 24, 3, 30, tzinfo=UTC)  # on v0.13.0-dev, 8.5 h before the release
ASCEND_V4_AUTHORED = datetime(2026, 4, 20, 11, 2, tzinfo=UTC)
ASCEND_V4_PROPOSED = datetime(2026, 4, 23, 20, 10, tzinfo=UTC)  # pull request #8648, the evening before
ASCEND_V4_PR = 8648
ASCEND_V4_RC = datetime(2026, 4, 24, 14, 0, tzinfo=UTC)  # v0.13.0rc3, +2 h: a pre-release on day 0
ASCEND_V4_MAIN = datetime(2026, 5, 6, 12, 0, tzinfo=UTC)  # main, +12 d
ASCEND_V4_DOCS = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)  # the supported-models table, +26 d
ASCEND_V4_FINAL = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)  # v0.13.0, the first final release, +47 d

NOW = datetime(2026, 7, 1, tzinfo=UTC)

VLLM_REGISTRY = "vllm/model_executor/models/registry.py"
ASCEND_INIT = "vllm_ascend/models/__init__.py"
ASCEND_DOCS = "docs/source/user_guide/support_matrix/supported_models.md"
RECIPE = "models/deepseek-ai/DeepSeek-V4-Flash.yaml"

# The rest of NVIDIA's and Huawei's runtimes, read as far as NOW and supporting none of these models, so those
# vendors' cells are complete (docs/concepts.md, "Complete or bound").
OTHER_NVIDIA_HUAWEI = (
    "ktransformers", "lightllm", "lmdeploy", "sglang", "tensorrt-llm", "tgi", "vllm-mindspore", "xllm",
)  # fmt: skip


def vllm_registry(*architectures: str) -> str:
    entries = "\n".join(f'    "{arch}": ("{arch.lower()}", "{arch}"),' for arch in architectures)
    return f'"""Model registry."""\n\n_TEXT_GENERATION_MODELS = {{\n{entries}\n}}\n'


def ascend_registry(*architectures: str) -> str:
    calls = "".join(
        f'    ModelRegistry.register_model(\n        "{a}",\n        "vllm_ascend.models.x:Ascend{a}")\n\n'
        for a in architectures
    )
    return f"from vllm import ModelRegistry\n\n\ndef register_model():\n{calls}"


def ascend_docs(*names: str) -> str:
    rows = "".join(f"| {name} | ✅ | |\n" for name in names)
    return f"# Supported models\n\n| Model | Support | Note |\n|---|---|---|\n{rows}"


def recipe(model_id: str, min_vllm_version: str, amd_image: str | None = None) -> str:
    image = f"  docker_image:\n    amd: {amd_image}\n" if amd_image else ""
    return (
        f"meta:\n  title: {model_id}\n  hardware:\n    h200: verified\n    mi300x: unsupported\n"
        f"model:\n  model_id: {model_id}\n  min_vllm_version: {min_vllm_version}\n{image}"
    )


@dataclass
class DeepSeekV4:
    settings: Settings
    vllm: RepoBuilder
    ascend: RepoBuilder
    recipes: RepoBuilder
    ascend_branch_commit: str
    """The commit on v0.13.0-dev that registered V4 (v0.13.0rc3 and v0.13.0 are tagged on its line)."""
    ascend_final_commit: str
    vllm_v4_commit: str


def _build_vllm(path: Path) -> tuple[RepoBuilder, str]:
    repo = RepoBuilder(path)
    repo.commit({VLLM_REGISTRY: vllm_registry("LlamaForCausalLM")}, at="2025-01-01T00:00:00Z")
    repo.tag("v0.11.0", annotated=True, at="2025-01-02T00:00:00Z")
    repo.commit(
        {VLLM_REGISTRY: vllm_registry("LlamaForCausalLM", "DeepseekV32ForCausalLM")},
        at=VLLM_V32_MERGED,
        message="[Model] DeepSeek V3.2 (#30001)",
    )
    repo.tag("v0.12.0", annotated=True, at="2025-12-05T00:00:00Z")
    repo.commit(
        {VLLM_REGISTRY: vllm_registry("LlamaForCausalLM", "DeepseekV32ForCausalLM", "DeepseekV4ForCausalLM")},
        at=VLLM_V4_MERGED,
        message="[Model] DeepSeek V4 (#40001)",
    )
    commit = repo.head()
    repo.tag("v0.20.0", annotated=True, at=VLLM_V4_RELEASE_TAG)
    return repo, commit


def _build_ascend(path: Path) -> tuple[RepoBuilder, str, str]:
    repo = RepoBuilder(path)
    repo.commit({ASCEND_INIT: ascend_registry("LlamaForCausalLM")}, at="2025-01-01T00:00:00Z")
    repo.commit(
        {ASCEND_INIT: ascend_registry("LlamaForCausalLM", "DeepseekV32ForCausalLM")},
        at=ASCEND_V32_MERGED,
        message="[Model] DeepSeek V3.2 (#4001)",
    )
    repo.tag("v0.12.0rc1", annotated=True, at="2025-12-22T00:00:00Z")
    # the release line for the partner launch, cut before the model was public
    repo.branch("v0.13.0-dev")
    repo.commit(
        {ASCEND_INIT: ascend_registry("LlamaForCausalLM", "DeepseekV32ForCausalLM", "DeepseekV4ForCausalLM")},
        at=ASCEND_V4_BRANCH,
        author_at=ASCEND_V4_AUTHORED,
        message="[0.13.0][Model] DeepSeek V4 (#5001)",
    )
    branch_commit = repo.head()
    repo.tag("v0.13.0rc3", annotated=True, at=ASCEND_V4_RC)
    repo.commit({"CHANGELOG.md": "0.13.0\n"}, at="2026-06-09T12:00:00Z", message="[0.13.0] changelog")
    final_commit = repo.head()
    repo.tag("v0.13.0", annotated=True, at=ASCEND_V4_FINAL)
    repo.checkout("main")
    repo.commit(
        {ASCEND_INIT: ascend_registry("LlamaForCausalLM", "DeepseekV32ForCausalLM", "DeepseekV4ForCausalLM")},
        at=ASCEND_V4_MAIN,
        message="[Model] DeepSeek V4 on main (#5100)",
    )
    repo.commit({ASCEND_DOCS: ascend_docs("DeepSeek-V3.2", "DeepSeek-V4")}, at=ASCEND_V4_DOCS, message="docs")
    # the first public trace: a pull request, open the evening before the release (GitHub's refs/pull/N/head)
    repo.branch("pr", "v0.12.0rc1").commit(
        {ASCEND_INIT: ascend_registry("LlamaForCausalLM", "DeepseekV32ForCausalLM", "DeepseekV4ForCausalLM")},
        at=ASCEND_V4_PROPOSED,
        message="[Model] DeepSeek V4",
    )
    repo.git("update-ref", f"refs/pull/{ASCEND_V4_PR}/head", repo.head())
    repo.checkout("main").git("branch", "-D", "pr")
    return repo, branch_commit, final_commit


def _build_recipes(path: Path) -> RepoBuilder:
    repo = RepoBuilder(path)
    repo.commit({"README.md": "recipes\n"}, at="2026-04-20T00:00:00Z")
    repo.commit({RECIPE: recipe(V4, "0.19.1")}, at="2026-04-24T18:00:00Z", message="DeepSeek V4 recipe")
    # the recipe later raises its floor: the current statement is what a reader needs
    repo.commit(
        {RECIPE: recipe(V4, "0.20.0", "vllm/vllm-openai-rocm:nightly")},
        at="2026-05-02T18:00:00Z",
        message="V4 needs 0.20.0; the image for AMD GPUs",
    )
    return repo


def build_deepseek_v4(tmp_path: Path, hub: FakeHub, database_url: str) -> DeepSeekV4:
    """Fill ``database_url`` (already migrated) with the scenario."""
    hub.add_model(
        "deepseek-ai",
        "DeepSeek-V3.2",
        architectures=["DeepseekV32ForCausalLM"],
        model_type="deepseek_v32",
        created_at=V32_RELEASE,
    )
    hub.add_model(
        "deepseek-ai",
        "DeepSeek-V4-Flash",
        architectures=["DeepseekV4ForCausalLM"],
        model_type="deepseek_v4",
        created_at=V4_RELEASE,
    )
    hub.add_model(
        "other-lab",
        "Other-1",
        architectures=["OtherForCausalLM"],
        model_type="other",
        created_at=OTHER_RELEASE,
    )
    vllm, vllm_commit = _build_vllm(tmp_path / "vllm")
    ascend, branch_commit, final_commit = _build_ascend(tmp_path / "vllm-ascend")
    recipes = _build_recipes(tmp_path / "recipes")
    publishers = tmp_path / "publishers.csv"
    publishers.write_text(
        "hub_org,name,country,confidence\ndeepseek-ai,DeepSeek,CN,high\nother-lab,Other Lab,US,high\n"
    )
    repos = {"vllm": vllm, "vllm-ascend": ascend, "vllm-recipes": recipes}
    settings = Settings(
        database_url=database_url,
        hub_endpoint=hub.url,
        data_dir=tmp_path / "data",
        publishers_file=publishers,
        runtimes=list(repos),
        runtime_repos={name: str(repo.path) for name, repo in repos.items()},
        seed_release_facts=False,
    )
    engine = create_db_engine(database_url)
    factory = session_factory(engine)
    try:
        bootstrap_reference_data(factory, settings, now=NOW)
        with HubClient.from_settings(settings) as client:
            poll_publishers(factory, client, None, NOW)
        with session_scope(factory) as session:
            for name, repo in repos.items():
                scan_runtime(session, CATALOG[name], data_dir=settings.data_dir, repo=str(repo.path), now=NOW)
            observe(session, *OTHER_NVIDIA_HUAWEI, until=NOW)
            refresh_gaps(session)
    finally:
        engine.dispose()
    return DeepSeekV4(settings, vllm, ascend, recipes, branch_commit, final_commit, vllm_commit)

"""The thin vertical slice as a scenario: one publisher on a fake Hub, one vLLM-shaped git repository.

Builds real data through the real services (poll the Hub, scan the repository), so the end-to-end and
browser tests check what a user would see after the watchers ran.
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

REGISTRY = "vllm/model_executor/models/registry.py"
CREATED_AT = datetime(2025, 9, 10, 8, 0, tzinfo=UTC)
SUPPORT_AT = datetime(2025, 9, 12, 8, 0, tzinfo=UTC)
AUTHOR_AT = datetime(2025, 9, 1, 9, 30, tzinfo=UTC)
NOW = datetime(2025, 10, 1, tzinfo=UTC)


def registry_source(*architectures: str) -> str:
    """A vLLM-style registry.py registering ``architectures``."""
    entries = "\n".join(f'    "{arch}": ("{arch.lower()}", "{arch}"),' for arch in architectures)
    return f'"""Model registry."""\n\n_TEXT_GENERATION_MODELS = {{\n{entries}\n}}\n'


@dataclass
class Slice:
    settings: Settings
    repo: RepoBuilder
    support_commit: str


def slice_settings(tmp_path: Path, hub: FakeHub, database_url: str, repo: RepoBuilder) -> Settings:
    """Settings of the scenario: one watched publisher on ``hub``, vLLM scanned from ``repo``, no seeded facts."""
    publishers = tmp_path / "publishers.csv"
    publishers.write_text("hub_org,name,country,confidence\nexample-org,Example Lab,US,high\n")
    return Settings(
        database_url=database_url,
        hub_endpoint=hub.url,
        data_dir=tmp_path / "data",
        publishers_file=publishers,
        runtimes=["vllm"],
        runtime_repos={"vllm": str(repo.path)},
        seed_release_facts=False,
    )


def add_example_release(hub: FakeHub, **details: object) -> None:
    """The scenario's release on ``hub``: a new MoE architecture from the watched publisher."""
    hub.add_model(
        "example-org",
        "Example-MoE-100B",
        architectures=["ExampleMoeForCausalLM"],
        model_type="example_moe",
        created_at=CREATED_AT,
        **details,  # type: ignore[arg-type]
    )


def start_vllm_history(tmp_path: Path) -> RepoBuilder:
    """A vLLM-shaped repository whose registry knows only Llama so far."""
    repo = RepoBuilder(tmp_path / "vllm")
    repo.commit({REGISTRY: registry_source("LlamaForCausalLM")}, at="2024-03-01T10:00:00Z", message="Init")
    return repo


def build_slice(tmp_path: Path, hub: FakeHub, database_url: str) -> Slice:
    """Fill ``database_url`` (already migrated) by polling ``hub`` and scanning a synthetic vLLM history."""
    add_example_release(hub, parameters=100_000_000_000)
    hub.add_model(
        "example-org",
        "Example-7B",
        architectures=["LlamaForCausalLM"],
        model_type="llama",
        created_at=CREATED_AT,
    )
    repo = start_vllm_history(tmp_path)
    repo.commit(
        {REGISTRY: registry_source("LlamaForCausalLM", "ExampleMoeForCausalLM")},
        at=SUPPORT_AT,
        author_at=AUTHOR_AT,
        message="[Model] Add Example MoE (#4242)",
    )
    settings = slice_settings(tmp_path, hub, database_url, repo)
    engine = create_db_engine(database_url)
    factory = session_factory(engine)
    try:
        bootstrap_reference_data(factory, settings, now=NOW)
        with HubClient.from_settings(settings) as client:
            poll_publishers(factory, client, None, NOW)
        with session_scope(factory) as session:
            scan_runtime(session, CATALOG["vllm"], data_dir=settings.data_dir, repo=str(repo.path), now=NOW)
            refresh_gaps(session)  # as the watcher loop does after a scan
    finally:
        engine.dispose()
    return Slice(settings=settings, repo=repo, support_commit=repo.head())

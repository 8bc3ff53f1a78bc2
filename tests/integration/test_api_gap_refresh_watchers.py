"""The watcher loop keeps the materialised gap rows current: after a Hub cycle and after a runtime scan."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from app.db.session import create_db_engine, session_factory
from app.models import GapRecord
from app.services.jobs import bootstrap_reference_data
from app.services.operations.watcher_loop import WatcherLoop
from app.sources.runtimes.catalog import CATALOG

from ..fakes.fake_hub import FakeHub
from ..support.slice import (
    NOW,
    REGISTRY,
    SUPPORT_AT,
    add_example_release,
    registry_source,
    slice_settings,
    start_vllm_history,
)


def _vllm_row(factory, repo_id: str) -> GapRecord | None:  # type: ignore[no-untyped-def]
    with factory() as session:
        return session.scalars(
            select(GapRecord).where(
                GapRecord.repo_id == repo_id,
                GapRecord.runtime == "vllm",
                GapRecord.stage == "merged",
                GapRecord.row_kind == "runtime",
            )
        ).one_or_none()


def test_hub_cycle_then_scan_refresh_the_rows(
    tmp_path: Path, fake_hub: FakeHub, fresh_database_url: str
) -> None:
    add_example_release(fake_hub)
    repo = start_vllm_history(tmp_path)
    settings = slice_settings(tmp_path, fake_hub, fresh_database_url, repo)
    engine = create_db_engine(fresh_database_url)
    factory = session_factory(engine)
    try:
        bootstrap_reference_data(factory, settings, now=NOW)
        loop = WatcherLoop(settings, factory, clock=lambda: NOW, owner="test")

        loop.hub_cycle()
        # vLLM not scanned yet: unknown, never "pending"
        unknown = _vllm_row(factory, "example-org/Example-MoE-100B")
        assert unknown is not None and (unknown.status, unknown.gap_hours) == ("unknown", None)

        repo.commit(
            {REGISTRY: registry_source("LlamaForCausalLM", "ExampleMoeForCausalLM")},
            at=SUPPORT_AT,
            message="[Model] Add Example MoE (#4242)",
        )
        loop.scan_if_due(CATALOG["vllm"])
        supported = _vllm_row(factory, "example-org/Example-MoE-100B")
        assert supported is not None
        assert (supported.status, supported.gap_hours) == ("later", 48.0)
        assert supported.commit == repo.head() and supported.key_is_new
        # The NVIDIA view follows the scan too (vLLM counts for NVIDIA).
        with factory() as session:
            nvidia = session.scalars(
                select(GapRecord).where(
                    GapRecord.row_kind == "vendor", GapRecord.vendor == "nvidia", GapRecord.stage == "merged"
                )
            ).one()
            assert (nvidia.status, nvidia.via_runtime) == ("later", "vllm")
    finally:
        engine.dispose()

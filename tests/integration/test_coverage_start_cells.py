"""Issue 22, item 4: cells of releases older than a source's coverage start (vLLM Recipes' first guide),
from a real recipes history: supported at the first observed version → before-coverage "supported by" that
version; never supported → pending to observed_until (censored in statistics); added later → as usual."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.vocabulary import GapStatus, Stage
from app.models import GapRecord
from app.services.answers.stats import summarise
from app.services.gaps.decide import hours
from app.services.jobs import scan_then_refresh
from app.services.runtimes.catalog_rows import sync_catalog
from app.sources.runtimes.catalog import get_runtime
from tests.fakes.repo_builder import RepoBuilder
from tests.support.seed import Seed

RECIPES = get_runtime("vllm-recipes")
RELEASED = datetime(2025, 5, 1, tzinfo=UTC)  # before the Recipes' coverage start
FIRST_VERSION = datetime(2025, 7, 23, 6, 27, 57, tzinfo=UTC)  # the first guide with content
ADDED_LATER = datetime(2025, 9, 1, 9, tzinfo=UTC)
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _h200_rows(session: Session) -> dict[str, GapRecord]:
    rows = session.scalars(
        select(GapRecord).where(
            GapRecord.stage == Stage.VERIFIED, GapRecord.runtime == RECIPES.name, GapRecord.sku == "H200"
        )
    )
    return {row.repo_id: row for row in rows}


def test_cells_before_the_coverage_start(session: Session, tmp_path: Path) -> None:
    sync_catalog(session)
    seed = Seed(session)
    for name in ("Old-A", "Old-B", "Old-C"):
        seed.model(f"acme/{name}", release_at=RELEASED, architecture=f"{name.replace('-', '')}ForCausalLM",
                   model_type=name.lower())  # fmt: skip
    repo = RepoBuilder(tmp_path / "recipes")
    guide = "# Old-A Usage Guide\nYou can run it on NVIDIA H200.\n```bash\nvllm serve acme/Old-A\n```\n"
    repo.commit({"Acme/Old-A.md": guide}, at=FIRST_VERSION, message="Add Old-A Usage Guide")  # fmt: skip
    repo.commit({"Acme/Old-C.md": guide.replace("Old-A", "Old-C")}, at=ADDED_LATER, message="Old-C (#40)")
    scan_then_refresh(session, RECIPES, data_dir=tmp_path / "d", repo=str(repo.path), now=NOW)

    rows = _h200_rows(session)
    supported_by_start = rows["acme/Old-A"]
    assert supported_by_start.status == GapStatus.BEFORE_COVERAGE
    assert supported_by_start.gap_hours is None
    # "supported by" the first observed version: its time is the upper bound, its commit the evidence
    assert supported_by_start.support_at == FIRST_VERSION
    assert supported_by_start.commit == repo.head("HEAD~1")

    never = rows["acme/Old-B"]
    assert never.status == GapStatus.PENDING  # watched from its start, never added: a lower bound
    assert never.observed_until == ADDED_LATER
    assert never.gap_hours == hours(ADDED_LATER - RELEASED)

    later = rows["acme/Old-C"]
    assert (later.status, later.support_at) == (GapStatus.LATER, ADDED_LATER)
    assert later.gap_hours == hours(ADDED_LATER - RELEASED)

    stats = summarise("H200", list(rows.values()))
    assert (stats.count, stats.pending, stats.resolved, stats.before_coverage) == (2, 1, 1, 1)

"""Issue 22, item 5: a command loads what it needs when it runs, and a rescan with nothing new leaves the gap
rows alone (they are up to date) while any change the gap rows read still refreshes them."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.vocabulary import GapStatus, Stage
from app.models import GapRecord
from app.services.gaps.refresh import refresh_gaps
from app.services.jobs import scan_then_refresh
from app.services.runtimes.catalog_rows import sync_catalog
from tests.integration.test_scan import VLLM, registry, vllm_history
from tests.support.seed import Seed

NOW = datetime(2026, 6, 1, tzinfo=UTC)
HEAVY = ("sqlalchemy", "alembic", "pydantic_settings", "huggingface_hub", "httpx", "fastapi", "app.services")

_LOADED_BY_HELP = """
import json, sys
from app.cli.main import cli
try:
    cli(["--help"])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def test_help_loads_no_database_hub_or_service_code() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _LOADED_BY_HELP], capture_output=True, text=True, timeout=60, check=True
    )
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["code"] == 0
    loaded = [m for m in answer["modules"] if m.split(".")[0] in HEAVY or m.startswith(HEAVY)]
    assert loaded == []


def _merged_rows(session: Session) -> dict[str, tuple[str, datetime | None, datetime | None]]:
    rows = session.scalars(
        select(GapRecord).where(GapRecord.stage == Stage.MERGED, GapRecord.runtime == "vllm")
    ).all()
    return {row.repo_id: (row.status, row.support_at, row.observed_until) for row in rows}


def test_rescan_with_nothing_new_changes_nothing_and_news_still_refreshes(
    session: Session, tmp_path: Path
) -> None:
    sync_catalog(session)
    seed = Seed(session)
    seed.model("meta-llama/Llama-9", release_at=datetime(2024, 9, 1, tzinfo=UTC),
               architecture="LlamaForCausalLM", model_type="llama")  # fmt: skip
    seed.model("acme/Falcon-X", release_at=datetime(2024, 9, 1, tzinfo=UTC),
               architecture="FalconXForCausalLM", model_type="falcon_x")  # fmt: skip
    repo = vllm_history(tmp_path / "r")
    scan = {"data_dir": tmp_path / "d", "repo": str(repo.path)}

    first = scan_then_refresh(session, VLLM, now=NOW, **scan)
    assert first.changed and first.first_scan
    before = _merged_rows(session)
    assert before["acme/Falcon-X"][0] == GapStatus.PENDING

    again = scan_then_refresh(session, VLLM, now=NOW + timedelta(hours=1), **scan)
    assert not again.changed
    assert _merged_rows(session) == before
    # skipping the refresh lost nothing: a full one finds every row as it is
    report = refresh_gaps(session, runtimes=["vllm"])
    assert (report.inserted, report.updated, report.deleted) == (0, 0, 0)

    # a commit that registers the pending architecture is news: the rows follow
    repo.commit(
        {"vllm/model_executor/models/registry.py": registry("LlamaForCausalLM", "FalconXForCausalLM")},
        at="2024-10-20T10:00:00Z",
    )
    news = scan_then_refresh(session, VLLM, now=NOW + timedelta(hours=2), **scan)
    assert news.changed and news.events_inserted
    status, support_at, observed_until = _merged_rows(session)["acme/Falcon-X"]
    assert status == GapStatus.LATER and support_at == datetime(2024, 10, 20, 10, tzinfo=UTC)
    assert observed_until == datetime(2024, 10, 20, 10, tzinfo=UTC)


def test_a_fetched_copy_moves_its_coverage_at_every_scan(session: Session, tmp_path: Path) -> None:
    sync_catalog(session)
    Seed(session).model("acme/Falcon-X", release_at=datetime(2024, 9, 1, tzinfo=UTC),
                        architecture="FalconXForCausalLM", model_type="falcon_x")  # fmt: skip
    repo = vllm_history(tmp_path / "upstream").allow_filter()
    scan = {"data_dir": tmp_path / "d", "repo": repo.url}
    scan_then_refresh(session, VLLM, now=NOW, **scan)
    # nothing new in the history, but the fetch an hour later observed it an hour longer: pending runs on
    later = scan_then_refresh(session, VLLM, now=NOW + timedelta(hours=1), **scan)
    assert later.changed
    assert _merged_rows(session)["acme/Falcon-X"][2] == NOW + timedelta(hours=1)

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


# -- a rescan with nothing new, answered before the ORM loads ------------------------------------------------
_RUN = """
import json, sys
from app.cli.main import cli
try:
    cli(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "heavy": sorted(m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "alembic"))}))
"""
QUICK = "(no ref moved since the last scan)"


def _launchgap(tmp_path: Path, *args: str) -> tuple[str, bool]:
    """Run ``launchgap ARGS`` in a fresh process on the test's own SQLite file: (its output, whether it
    loaded SQLAlchemy or Alembic)."""
    env = {
        "PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
        "LAUNCHGAP_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "LAUNCHGAP_DATA_DIR": str(tmp_path / "data"),
    }  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", _RUN, *args], capture_output=True, text=True, timeout=120, env=env, check=False
    )
    *lines, last = done.stdout.strip().splitlines()
    answer = json.loads(last)
    assert answer["code"] in (0, None), done.stdout + done.stderr
    return "\n".join(lines) + done.stderr, bool(answer["heavy"])


def test_an_unchanged_rescan_answers_at_once_and_any_moved_ref_is_scanned(tmp_path: Path) -> None:
    repo = vllm_history(tmp_path / "r")
    scan = ("scan", "vllm", "--repo", str(repo.path))
    _launchgap(tmp_path, "db", "upgrade")
    first, _ = _launchgap(tmp_path, *scan)
    assert "events" in first and QUICK not in first

    again, heavy = _launchgap(tmp_path, *scan)
    assert QUICK in again and f"head {repo.head()[:12]} on main" in again
    assert not heavy  # neither SQLAlchemy nor Alembic: the stored cursor was read with the standard library

    # every ref the scan reads counts: a tag (released), a branch of the catalog's patterns (branch), a
    # pull-request head (proposed), the default branch (merged)
    moves = [
        ("tag", lambda: repo.tag("v0.7.0", at="2024-11-01T10:00:00Z", annotated=True), "judged 1 tags"),
        ("branch", lambda: repo.branch("releases/v0.7").commit(
            {"vllm/model_executor/models/registry.py": registry("LlamaForCausalLM", "OPTForCausalLM", "GemmaForCausalLM")},
            at="2024-11-02T10:00:00Z",
        ).checkout("main"), "new, 0 retracted"),
        ("pull request", lambda: repo.git("update-ref", "refs/pull/9/head", "releases/v0.7"), "events"),
        ("main", lambda: repo.commit(
            {"vllm/model_executor/models/registry.py": registry("LlamaForCausalLM", "OPTForCausalLM", "PhiForCausalLM")},
            at="2024-11-03T10:00:00Z",
        ), "new, 0 retracted"),
    ]  # fmt: skip
    for what, move, seen in moves:
        move()
        moved, heavy = _launchgap(tmp_path, *scan)
        assert QUICK not in moved and heavy and seen in moved, (what, moved)
        if seen.startswith("new"):
            assert "(0 new" not in moved, (what, moved)  # the scan found what the moved ref brought
        settled, _ = _launchgap(tmp_path, *scan)
        assert QUICK in settled, what

    # a scan pinned with --ref is never answered from the cursor
    pinned, _ = _launchgap(tmp_path, *scan, "--ref", "main")
    assert QUICK not in pinned


def test_the_fingerprint_covers_the_catalog_entry_and_the_options(tmp_path: Path) -> None:
    from dataclasses import replace

    from app.services.runtimes.quick_rescan import scan_fingerprint

    repo = vllm_history(tmp_path / "r")
    path = str(repo.path)
    base = scan_fingerprint(VLLM, path, pull_requests=True, upstream=None)
    assert base is not None and base == scan_fingerprint(VLLM, path, pull_requests=True, upstream=None)
    assert (
        scan_fingerprint(
            replace(VLLM, branch_patterns=("release/*",)), path, pull_requests=True, upstream=None
        )
        != base
    )
    assert scan_fingerprint(VLLM, path, pull_requests=False, upstream=None) != base
    assert (
        scan_fingerprint(VLLM, path, pull_requests=True, upstream="https://github.com/vllm-project/vllm")
        != base
    )
    assert scan_fingerprint(VLLM, repo.url, pull_requests=True, upstream=None) is None  # a URL: fetch to know
    assert scan_fingerprint(VLLM, str(tmp_path / "missing"), pull_requests=True, upstream=None) is None
    repo.git("symbolic-ref", "HEAD", "refs/heads/other")  # where HEAD points is read too
    assert scan_fingerprint(VLLM, path, pull_requests=True, upstream=None) != base

"""A release known only to the day renders in whole days in Chromium: "same day", "+N d", "−N d" — never
hours, which would claim a release time nobody knows."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from app.config import Settings
from app.db.migrate import upgrade
from app.db.session import open_database, session_scope
from app.main import create_app
from app.services.gaps.refresh import refresh_gaps
from app.services.releases.facts import import_releases
from app.services.releases.publishers import sync_publishers
from app.services.runtimes.catalog_rows import sync_catalog
from app.services.runtimes.scan import scan_runtime
from app.sources.runtimes.catalog import get_runtime

from ..fakes.repo_builder import RepoBuilder
from ..integration.test_scan import registry
from ..support.server import serve_in_thread

NOW = datetime(2025, 9, 1, tzinfo=UTC)
HEADER = "hf_repo_id,org,architecture,model_type,public_release_date,createdAt,source,confidence,notes\n"
HOURS = re.compile(r"[+−-]\d+ h\b")


def test_a_day_precision_release_never_renders_hours(tmp_path: Path, scratch_databases, page) -> None:  # type: ignore[no-untyped-def]
    url = scratch_databases.new_url("sqlite")
    upgrade(url)
    facts = tmp_path / "facts.csv"
    facts.write_text(
        HEADER
        + "acme/Same-Day,acme,SameDayForCausalLM,same_day,2025-06-01,,a dated announcement,high,\n"
        + "acme/Three-Days,acme,ThreeDaysForCausalLM,three_days,2025-06-01,,a dated announcement,high,\n"
    )
    repo = RepoBuilder(tmp_path / "vllm")
    path = "vllm/model_executor/models/registry.py"
    repo.commit({path: registry("LlamaForCausalLM")}, at="2025-01-01T00:00:00Z")
    # 3 h into the release day; and 3 days and 5 h after the day's start
    repo.commit({path: registry("LlamaForCausalLM", "SameDayForCausalLM")}, at="2025-06-01T03:00:00Z")
    repo.commit(
        {path: registry("LlamaForCausalLM", "SameDayForCausalLM", "ThreeDaysForCausalLM")},
        at="2025-06-04T05:00:00Z",
    )
    repo.commit({"README.md": "x"}, at="2025-08-01T00:00:00Z")
    settings = Settings(database_url=url, seed_release_facts=False, data_dir=tmp_path / "data")
    with open_database(url) as factory, session_scope(factory) as session:
        sync_catalog(session)
        sync_publishers(session, None)
        import_releases(session, facts)
        scan_runtime(session, get_runtime("vllm"), data_dir=tmp_path / "data", repo=str(repo.path), now=NOW)
        refresh_gaps(session)
    with serve_in_thread(create_app(settings, start_watchers=False)) as base:
        page.goto(base + "/?stage=merged&view=runtimes")
        matrix = page.locator("#gap-matrix")
        matrix.wait_for()
        same_day = matrix.locator("tbody tr", has_text="acme/Same-Day").locator("td.status-day-0")
        assert "same day" in same_day.inner_text()
        later = matrix.locator("tbody tr", has_text="acme/Three-Days").locator("td.status-later")
        assert "+3 d" in later.inner_text()
        assert not HOURS.search(matrix.inner_text()), matrix.inner_text()
        page.goto(base + "/releases/acme/Same-Day")
        ladder = page.locator("#support-ladder")
        ladder.wait_for()
        assert "same day" in ladder.inner_text() and not HOURS.search(ladder.inner_text())
        assert page.blocked_requests == []

"""The home page leads with answers, on the bundled snapshot (issue 24), offline in headless Chromium: the
header's search box finds a release by part of its name. Screenshots are kept in test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.config import Settings
from app.db.migrate import upgrade
from app.db.session import open_database
from app.main import create_app
from app.services.jobs import bootstrap_reference_data

from ..conftest import ScratchDatabases
from ..support.server import serve_in_thread

NOW = datetime(2026, 11, 30, tzinfo=UTC)
V4_PRO = "deepseek-ai/DeepSeek-V4-Pro"


@pytest.fixture(scope="module")
def bundled_dashboard(scratch_databases: ScratchDatabases) -> Iterator[str]:
    """A fresh database after its first start (the bundled snapshot imported), served offline."""
    url = scratch_databases.new_url("sqlite")
    upgrade(url)
    settings = Settings(database_url=url)
    with open_database(url) as factory:
        bootstrap_reference_data(factory, settings, now=NOW)
    with serve_in_thread(create_app(settings, start_watchers=False)) as base:
        yield base


def test_header_search_finds_v4_pro(bundled_dashboard, page, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(bundled_dashboard + "/")
    box = page.get_by_role("searchbox")
    box.fill("v4-pro")
    box.press("Enter")
    page.wait_for_url("**/search?q=v4-pro")
    results = page.locator("#search-results")
    assert results.get_by_role("link", name=V4_PRO).count() == 1
    page.screenshot(path=str(artifacts_dir / "search-v4-pro.png"), full_page=True)
    results.get_by_role("link", name=V4_PRO).click()
    page.wait_for_url(f"**/releases/{V4_PRO}")
    assert page.blocked_requests == []

"""The dashboard in headless Chromium: matrix, leaderboard, chart, release and runtime pages, all offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.db.migrate import upgrade
from app.main import create_app

from ..fakes.fake_hub import FakeHub
from ..support.server import serve_in_thread
from ..support.slice import build_slice

MOE = "example-org/Example-MoE-100B"


@pytest.fixture
def dashboard_url(tmp_path: Path, fake_hub: FakeHub, scratch_databases):  # type: ignore[no-untyped-def]
    url = scratch_databases.new_url("sqlite")
    upgrade(url)
    scenario = build_slice(tmp_path, fake_hub, url)
    with serve_in_thread(create_app(scenario.settings, start_watchers=False)) as base:
        yield base, scenario


def test_matrix_shows_release_and_runtime(dashboard_url, page, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]
    base, _scenario = dashboard_url
    page.goto(base + "/")
    table = page.locator("#gap-matrix")
    table.wait_for()
    assert "vllm" in table.locator("thead").inner_text()
    row = table.locator("tbody tr", has_text=MOE)
    assert row.count() == 1
    cell = row.locator("td.status-later")
    assert cell.count() == 1
    assert "+2.0 d" in cell.inner_text()
    assert "ExampleMoeForCausalLM" in cell.get_attribute("title")

    # The leaderboard has the NVIDIA view (vLLM counts for it) and the chart was drawn from embedded data.
    leaderboard = page.locator("#vendor-leaderboard").inner_text()
    assert "NVIDIA" in leaderboard
    page.wait_for_function("() => window.launchgapChart && window.launchgapChart.data.datasets.length > 0")
    page.screenshot(path=str(artifacts_dir / "dashboard-matrix.png"), full_page=True)

    page.select_option("select[name=stage]", "released")
    page.wait_for_url("**/?stage=released*")
    assert "stage: released" in page.locator("h1").inner_text()

    page.select_option("select[name=view]", "vendors")
    page.wait_for_url("**view=vendors*")
    assert "NVIDIA" in page.locator("#gap-matrix thead").inner_text()
    assert page.blocked_requests == [], "the dashboard tried to reach the network"


def test_release_and_runtime_pages(dashboard_url, page, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]
    base, scenario = dashboard_url
    page.goto(base + "/")
    page.locator("#gap-matrix").get_by_role("link", name=MOE).click()
    page.wait_for_url(f"**/releases/{MOE}")
    facts = page.locator("#release-facts").inner_text()
    assert "ExampleMoeForCausalLM" in facts and "created at estimate" in facts
    ladder = page.locator("#support-ladder")
    vllm_row = ladder.locator("tbody tr").filter(has=page.get_by_role("link", name="vllm", exact=True))
    assert "later" in vllm_row.inner_text()
    assert scenario.support_commit[:8] in vllm_row.inner_text()
    assert "authored 2025-09-01" in vllm_row.inner_text()  # early work shown beside the support time
    page.screenshot(path=str(artifacts_dir / "release-page.png"), full_page=True)

    vllm_row.get_by_role("link", name="vllm", exact=True).click()
    page.wait_for_url("**/runtimes/vllm")
    events = page.locator("#runtime-events").inner_text()
    assert "ExampleMoeForCausalLM" in events and "#4242" in events
    assert page.blocked_requests == []

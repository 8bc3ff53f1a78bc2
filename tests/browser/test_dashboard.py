"""The dashboard in headless Chromium: matrix, leaderboard, chart, release and runtime pages, all offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.db.migrate import upgrade
from app.db.session import open_database, session_scope
from app.main import create_app
from app.services.gaps.refresh import refresh_gaps

from ..fakes.fake_hub import FakeHub
from ..support.coverage import observe
from ..support.server import serve_in_thread
from ..support.slice import NOW, build_slice

MOE = "example-org/Example-MoE-100B"


@pytest.fixture
def dashboard_url(tmp_path: Path, fake_hub: FakeHub, scratch_databases):  # type: ignore[no-untyped-def]
    url = scratch_databases.new_url("sqlite")
    upgrade(url)
    scenario = build_slice(tmp_path, fake_hub, url)
    # NVIDIA's other runtimes read too (no support), so its cells are complete and the chart has a curve
    # (statistics and curves count complete vendor cells only: docs/concepts.md, "Complete or bound").
    with open_database(url) as factory, session_scope(factory) as session:
        observe(session, "ktransformers", "lightllm", "lmdeploy", "sglang", "tensorrt-llm", "tgi", until=NOW)
        refresh_gaps(session)
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


def test_unobserved_vendors_are_not_ranked_and_the_legend_explains_every_status(  # type: ignore[no-untyped-def]
    dashboard_url, page, artifacts_dir: Path
) -> None:
    from app.domain.vocabulary import GapStatus

    base, _scenario = dashboard_url
    page.goto(base + "/")
    leaderboard = page.locator("#vendor-leaderboard")
    leaderboard.wait_for()
    rows = leaderboard.locator("tbody tr")
    # Only vLLM was scanned: NVIDIA is ranked on it (and says so, as of when); AMD, Huawei, Apple … are not.
    nvidia = leaderboard.locator("tr[data-vendor=nvidia]")
    assert "ranked" in (nvidia.get_attribute("class") or "").split()
    # The runtimes behind the figure ("1 of 7") are one click (or a hover) away.
    assert "vllm as of 2025-09-12" in nvidia.locator(".observed-runtimes details").get_attribute("title")
    nvidia.locator(".observed-runtimes summary").click()
    assert "vllm as of 2025-09-12" in nvidia.inner_text()
    huawei = leaderboard.locator("tr[data-vendor=huawei]")
    assert "not-ranked" in (huawei.get_attribute("class") or "").split()
    assert "not ranked" in huawei.inner_text() and "%" not in huawei.inner_text()
    classes = [rows.nth(i).get_attribute("class") for i in range(rows.count())]
    assert classes[0] == "ranked" and set(classes[1:]) == {"not-ranked"}  # unranked vendors come last
    # A not-ranked row is drawn muted, unlike a ranked one.
    ranked_colour = nvidia.locator("th").evaluate("e => getComputedStyle(e).color")
    unranked_colour = huawei.locator("th").evaluate("e => getComputedStyle(e).color")
    assert ranked_colour != unranked_colour

    legend = page.locator("#status-legend")
    for status in GapStatus:
        item = legend.locator("li", has=page.locator(f".badge.status-{status.value}"))
        assert item.count() == 1, status
        assert status.meaning in item.inner_text()
    # unknown cells are grey and before-coverage cells hatched, in the legend as in the matrix
    grey = legend.locator(".badge.status-unknown").evaluate("e => getComputedStyle(e).backgroundColor")
    hatched = legend.locator(".badge.status-before-coverage").evaluate(
        "e => getComputedStyle(e).backgroundImage"
    )
    assert grey == "rgb(217, 219, 224)" and "repeating-linear-gradient" in hatched
    page.goto(base + "/?view=runtimes")
    page.locator("#gap-matrix").wait_for()
    sglang_cells = page.locator("#gap-matrix td.status-unknown")
    assert sglang_cells.count() >= 1
    page.screenshot(path=str(artifacts_dir / "dashboard-coverage.png"), full_page=True)
    assert page.blocked_requests == []

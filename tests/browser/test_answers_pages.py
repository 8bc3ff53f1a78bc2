"""The answers in headless Chromium on the DeepSeek-V4 shape: the early-access grid, "which version do I need"
first on the release page, and the runtime page's lag behind its upstream — all offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.db.migrate import upgrade
from app.main import create_app

from ..fakes.fake_hub import FakeHub
from ..support.deepseek_v4 import V4, build_deepseek_v4
from ..support.server import serve_in_thread


@pytest.fixture
def answers_url(tmp_path: Path, fake_hub: FakeHub, scratch_databases):  # type: ignore[no-untyped-def]
    url = scratch_databases.new_url("sqlite")
    upgrade(url)
    scenario = build_deepseek_v4(tmp_path, fake_hub, url)
    with serve_in_thread(create_app(scenario.settings, start_watchers=False)) as base:
        yield base, scenario


def test_early_access_grid_links_to_releases(answers_url, page, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]
    base, _scenario = answers_url
    page.goto(base + "/")
    page.get_by_role("link", name="Early access").click()
    page.wait_for_url("**/early-access")
    page.locator("#early-access").wait_for()  # loaded: the stage select's change handler is live
    page.select_option("select[name=stage]", "branch")
    page.wait_for_url("**/early-access?stage=branch*")
    grid = page.locator("#early-access")
    assert "Huawei Ascend" in grid.locator("thead").inner_text()
    row = grid.locator("tbody tr", has_text="deepseek-ai")
    cell = row.locator("td[data-vendor=huawei]")
    assert "1 pre-release · 0 day-0 / 2" in cell.inner_text()
    assert "50% early" in cell.inner_text()
    assert "DeepSeek-V4-Flash −8 h via vllm-ascend · authored 2026-04-20" in cell.inner_text()
    assert "status-pre-release" in (cell.get_attribute("class") or "")
    page.screenshot(path=str(artifacts_dir / "early-access.png"), full_page=True)

    # the example goes to the release, whose first section answers "which version do I need"
    cell.get_by_role("link", name="DeepSeek-V4-Flash").click()
    page.wait_for_url(f"**/releases/{V4}")
    assert page.locator("h2").first.inner_text() == "Which version do I need?"
    table = page.locator("#requirements")
    assert table.locator("tbody tr").first.get_attribute("data-runtime") == "vllm-ascend"
    ascend = table.locator("tr[data-runtime=vllm-ascend]")
    assert "v0.13.0rc3" in ascend.locator(".first-release").inner_text()
    assert "pre-release" in ascend.locator(".first-release").inner_text()
    assert "v0.13.0" in ascend.locator(".first-final").inner_text()
    assert "v0.13.0-dev" in ascend.locator(".first-branch").inner_text()
    assert "≥ 0.20.0" in table.locator("tr[data-runtime=vllm] .min-version").inner_text()
    page.screenshot(path=str(artifacts_dir / "release-requirements.png"), full_page=True)

    # back on the grid, a cell leads to that publisher's releases in the vendor matrix
    page.goto(base + "/early-access?stage=branch")
    page.locator("#early-access tbody tr", has_text="deepseek-ai").locator(
        "td[data-vendor=huawei] a"
    ).first.click()
    page.wait_for_url("**/?stage=branch&view=vendors&publisher=deepseek-ai")
    assert "by deepseek-ai" in page.locator("h1").inner_text()
    assert page.blocked_requests == [], "the dashboard tried to reach the network"


def test_release_page_answers_for_one_sku(answers_url, page, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """The hardware selector asks the same service as `launchgap which --sku`: the SKU's verification shows."""
    base, _scenario = answers_url
    page.goto(f"{base}/releases/{V4}")
    page.locator("#requirements").wait_for()
    assert page.locator("#requirements thead").inner_text().count("On ") == 0
    page.select_option("#requirements-sku select[name=sku]", "H200")
    page.wait_for_url(f"**/releases/{V4}?sku=H200")
    table = page.locator("#requirements")
    assert "On H200" in table.locator("thead").inner_text()
    checked = table.locator("tr[data-runtime=vllm] .verification").inner_text()
    assert "verified" in checked and "2026-04-24" in checked and "vllm-recipes" in checked
    page.screenshot(path=str(artifacts_dir / "release-requirements-h200.png"), full_page=True)
    # on an NVIDIA GPU the recipe's AMD image is not what it states for it; without a SKU it is shown
    assert table.locator("tr[data-runtime=vllm] .image").count() == 0
    page.select_option("#requirements-sku select[name=sku]", "")
    page.wait_for_url(f"**/releases/{V4}?sku=")
    image = page.locator("#requirements tr[data-runtime=vllm] .image").inner_text()
    assert "AMD" in image and "vllm/vllm-openai-rocm:nightly" in image
    assert page.blocked_requests == [], "the dashboard tried to reach the network"


def test_runtime_page_shows_lag_behind_upstream(answers_url, page, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]
    base, _scenario = answers_url
    page.goto(base + "/runtimes/vllm-ascend")
    upstream = page.locator("#upstream-lag")
    merged = upstream.locator("tbody tr", has_text="merged")
    # V3.2 452 h and V4 287 h behind upstream vLLM: median 369.5 h, shown in days
    assert merged.locator("th").inner_text() == "vllm"
    assert "+15.4 d" in merged.inner_text()
    released = upstream.locator("tbody tr", has_text="released")
    assert released.locator("td").last.inner_text() == "1"  # the release candidate came before upstream's
    stages = page.locator("#stage-lag").inner_text()
    assert "merged → documented" in stages and "merged → released" in stages
    page.screenshot(path=str(artifacts_dir / "runtime-lags.png"), full_page=True)

    page.locator("#upstream-lag").get_by_role("link", name="vllm").first.click()
    page.wait_for_url("**/runtimes/vllm")
    downstream = page.locator("#downstream-lag").inner_text()
    assert "vllm-ascend" in downstream and "rocm-vllm" in downstream
    assert page.blocked_requests == []

"""The dashboard in headless Chromium: the release × runtime table shows the release and the runtime."""

from __future__ import annotations

from pathlib import Path

from app.main import create_app

from ..fakes.fake_hub import FakeHub
from ..support.server import serve_in_thread
from ..support.slice import build_slice


def test_matrix_shows_release_and_runtime(
    tmp_path: Path, fake_hub: FakeHub, scratch_databases, page, artifacts_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    from app.db.migrate import upgrade

    url = scratch_databases.new_url("sqlite")
    upgrade(url)
    scenario = build_slice(tmp_path, fake_hub, url)

    with serve_in_thread(create_app(scenario.settings, start_watchers=False)) as base:
        page.goto(base + "/")
        table = page.locator("#gap-matrix")
        table.wait_for()
        header = table.locator("thead").inner_text()
        assert "vllm" in header
        row = table.locator("tbody tr", has_text="example-org/Example-MoE-100B")
        assert row.count() == 1
        cell = row.locator("td.status-later")
        assert cell.count() == 1
        assert "+2.0 d" in cell.inner_text()
        assert "ExampleMoeForCausalLM" in cell.get_attribute("title")
        page.screenshot(path=str(artifacts_dir / "dashboard-matrix.png"), full_page=True)

        page.select_option("select[name=stage]", "released")
        page.wait_for_url("**/?stage=released")
        assert "stage: released" in page.locator("h1").inner_text()

    assert page.blocked_requests == [], "the dashboard tried to reach the network"

"""The home page leads with answers, on the bundled snapshot (issue 24), offline in headless Chromium: the
latest notable releases answered per vendor in one line each (DeepSeek-V4 among them), the header's search
box finding a release by part of its name, the leaderboard fitting 1400 px with nothing cut off, and no
sideways page scroll at 400 px. Screenshots are kept in test-artifacts/."""

from __future__ import annotations

import re
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
V4_FLASH = "deepseek-ai/DeepSeek-V4-Flash"
NARROW = {"width": 400, "height": 860}


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


def _answers(page, repo_id: str) -> dict[str, tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """A release's line: per vendor slug, (its text, its completeness, its status class)."""
    line = page.locator(f'#latest-releases li.answer[data-repo="{repo_id}"]')
    assert line.count() == 1, f"{repo_id} has no answer line"
    chips = line.locator(".vendor-answer")
    return {
        chips.nth(i).get_attribute("data-vendor"): (
            " ".join(chips.nth(i).inner_text().split()),
            chips.nth(i).get_attribute("data-complete"),
            chips.nth(i).get_attribute("class"),
        )
        for i in range(chips.count())
    }


def test_home_page_leads_with_the_deepseek_v4_answers(bundled_dashboard, page, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(bundled_dashboard + "/")
    latest = page.locator("#latest-releases")
    # First on the page: before the leaderboard, the chart and the matrix.
    above = page.evaluate(
        """() => ['#vendor-leaderboard', '#gap-matrix'].every(sel =>
            document.querySelector('#latest-releases').compareDocumentPosition(document.querySelector(sel))
            & Node.DOCUMENT_POSITION_FOLLOWING)"""
    )
    assert above
    lines = latest.locator("li.answer")
    assert lines.count() == 10  # the ten newest notable releases on the first page, newest first
    repos = [lines.nth(i).get_attribute("data-repo") for i in range(lines.count())]
    assert V4_PRO in repos and V4_FLASH in repos
    text = " ".join(latest.locator(f'li.answer[data-repo="{V4_PRO}"]').inner_text().split())
    assert text.startswith("DeepSeek-V4-Pro · 2026-04-24 (day) · ")
    pro = _answers(page, V4_PRO)
    # Huawei: vllm-ascend's release branch carried it on the release day; NVIDIA: vLLM Recipes verified it on
    # H200 (and four more) that day; AMD: verified on MI355X 47 days later; Intel: nothing yet (complete).
    assert pro["huawei"][:2] == ("Huawei Ascend day-0 (branch, vllm-ascend)", "true")
    assert pro["nvidia"][:2] == ("NVIDIA day-0 (verified H200 +4)", "true")
    assert pro["amd"][:2] == ("AMD +47 d (verified MI355X)", "true")
    assert pro["intel"][:2] == ("Intel pending", "true")
    assert "status-later" in pro["amd"][2] and "status-day-0" in pro["huawei"][2]
    assert _answers(page, V4_FLASH)["huawei"][0] == "Huawei Ascend day-0 (branch, vllm-ascend)"
    # Each answer links its evidence; its tooltip says whether the cell is complete.
    huawei = latest.locator(f'li.answer[data-repo="{V4_PRO}"] .vendor-answer[data-vendor="huawei"]')
    assert "vllm-ascend/commit/" in huawei.locator("a").get_attribute("href")
    assert "complete" in huawei.get_attribute("title")
    latest.screenshot(path=str(artifacts_dir / "home-latest-answers.png"))
    page.screenshot(path=str(artifacts_dir / "home-1400px.png"))
    # Older notable releases are one page further.
    latest.get_by_role("link", name="older →").click()
    page.wait_for_url("**latest=2**")
    older = page.locator("#latest-releases li.answer")
    assert older.count() >= 1 and older.first.get_attribute("data-repo") not in repos
    assert page.blocked_requests == []


def test_leaderboard_fits_1400_px_with_nothing_cut_off(bundled_dashboard, page, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(bundled_dashboard + "/")
    board = page.locator("#vendor-leaderboard")
    # No horizontal overflow: the table fits its card, and every header and cell ends inside the card and the
    # viewport (the "Unknown" column included).
    assert board.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth")
    edges = board.evaluate(
        """t => { const card = t.closest('.card').getBoundingClientRect();
            return [...t.querySelectorAll('th, td')].map(c => c.getBoundingClientRect().right)
              .filter(r => r > Math.min(card.right, window.innerWidth) + 0.5).length }"""
    )
    assert edges == 0
    headers = [" ".join(h.split()) for h in board.locator("thead th").all_inner_texts()]
    assert headers[-1] == "Unknown" and board.locator("thead th").last.is_visible()
    # "Observed runtimes" is one short figure, the list behind a toggle.
    nvidia = board.locator('tr[data-vendor="nvidia"] td.observed-runtimes')
    summary = nvidia.locator("summary")
    assert re.fullmatch(r"\d+ of \d+", summary.inner_text().strip())
    assert not nvidia.locator("ul").is_visible()
    line = board.evaluate("t => parseFloat(getComputedStyle(t.querySelector('td')).lineHeight)")
    for vendor in board.locator("tbody tr").evaluate_all("rows => rows.map(r => r.dataset.vendor)"):
        height = board.locator(f'tr[data-vendor="{vendor}"]').bounding_box()["height"]
        assert height < 3 * line, f"the {vendor} row is {height}px tall: a column wraps"
    page.locator("#vendor-leaderboard").screenshot(path=str(artifacts_dir / "leaderboard-1400px.png"))
    summary.click()
    assert nvidia.locator("ul").is_visible() and " as of " in nvidia.locator("ul").inner_text()


@pytest.mark.parametrize("path", ["/", "/search?q=v4-pro"])
def test_400_px_without_sideways_page_scroll(bundled_dashboard, page, artifacts_dir: Path, path: str) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(NARROW)
    page.goto(bundled_dashboard + path)
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), path
    assert page.evaluate(
        "() => [...document.querySelectorAll('.card')].every(c => c.scrollWidth <= c.clientWidth)"
    )
    assert page.get_by_role("searchbox").is_visible()
    name = "home-400px.png" if path == "/" else "search-400px.png"
    page.screenshot(path=str(artifacts_dir / name), full_page=path != "/")

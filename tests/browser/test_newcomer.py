"""A newcomer's first look, offline, in headless Chromium (issue 17): the one-line failure banner with its
details behind a toggle, the glossary linked from the status legend, HTML errors with a way back, and a
400 px wide screen where only the matrix scrolls sideways. Screenshots are kept in test-artifacts/."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.db.migrate import upgrade
from app.db.session import open_database
from app.main import create_app
from app.services.hub.poll import poll_publishers
from app.services.runtimes.scan import ScanError, scan_runtime
from app.sources.hub.client import HubClient
from app.sources.runtimes.catalog import CATALOG

from ..fakes.fake_hub import FakeHub
from ..support.server import free_port, serve_in_thread
from ..support.slice import build_slice

MOE = "example-org/Example-MoE-100B"
NARROW = {"width": 400, "height": 860}


@pytest.fixture
def offline_dashboard(tmp_path: Path, fake_hub: FakeHub, scratch_databases):  # type: ignore[no-untyped-def]
    """The slice scenario, then a Hub that cannot be reached (three publishers) and a runtime whose
    repository is missing: what a newcomer starting without network sees."""
    url = scratch_databases.new_url("sqlite")
    upgrade(url)
    scenario = build_slice(tmp_path, fake_hub, url)
    now = datetime.now(UTC)
    with open_database(url) as factory:
        with HubClient(f"http://127.0.0.1:{free_port()}", None, 2.0, backoff_seconds=0) as dead_hub:
            poll_publishers(factory, dead_hub, ["lab-one", "lab-two", "lab-three"], now)
        with factory() as session:
            with pytest.raises(ScanError):
                scan_runtime(
                    session, CATALOG["sglang"], data_dir=tmp_path / "data", repo=str(tmp_path / "no-such-repo"),
                    now=now,
                )  # fmt: skip
            session.commit()
    with serve_in_thread(create_app(scenario.settings, start_watchers=False)) as base:
        yield base


def _no_sideways_scroll(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_offline_banner_is_one_line_per_problem(offline_dashboard, page, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(offline_dashboard + "/")
    banner = page.locator("#source-problems")
    summaries = banner.locator("summary")
    assert summaries.count() == 2
    hub_line, repo_line = summaries.nth(0).inner_text(), summaries.nth(1).inner_text()
    assert hub_line.startswith("Hub unreachable: 3 publishers waiting, next try ")
    assert repo_line.startswith("1 runtime repository unreachable: some never scanned yet, next try ")
    line_height = page.evaluate(
        "() => parseFloat(getComputedStyle(document.querySelector('#source-problems summary')).lineHeight)"
    )
    for i in range(2):
        assert summaries.nth(i).bounding_box()["height"] < 2 * line_height, "a banner line wraps"
    # Details stay behind the toggle until asked for.
    details = banner.locator("details").first.locator("ul")
    assert not details.is_visible()
    page.screenshot(path=str(artifacts_dir / "offline-banner.png"))
    summaries.nth(0).click()
    assert details.is_visible() and "lab-two" in details.inner_text()
    page.screenshot(path=str(artifacts_dir / "offline-banner-details.png"))
    assert page.blocked_requests == []


def test_glossary_is_linked_from_the_status_legend(offline_dashboard, page, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(offline_dashboard + "/")
    page.get_by_role("link", name="What the statuses mean").click()
    page.wait_for_url("**/glossary#statuses")
    glossary = page.locator("#glossary").inner_text()
    for term in ("pre-existing", "pre-release", "day-0", "later", "pending", "unknown", "before-coverage"):
        assert term in glossary
    for heading in ("Stages", "Release families", "Key novelty", "Kaplan–Meier median", "Coverage"):
        assert page.get_by_role("heading", name=heading).count() == 1
    page.screenshot(path=str(artifacts_dir / "glossary.png"), full_page=True)
    # The release page's legend links there too.
    page.goto(offline_dashboard + f"/releases/{MOE}")
    assert page.get_by_role("link", name="What the statuses mean").count() == 1


def test_html_errors_offer_the_way_back(offline_dashboard, page, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]
    response = page.goto(offline_dashboard + "/releases/nobody/nothing")
    assert response.status == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "no model 'nobody/nothing' is known" in page.locator("#error-page").inner_text()
    page.screenshot(path=str(artifacts_dir / "html-404.png"))
    page.get_by_role("link", name="← Back to the dashboard").click()
    page.wait_for_url(offline_dashboard + "/")
    assert page.locator("#gap-matrix").count() == 1

    page.goto(offline_dashboard + "/?page=99")
    assert "Page 99 is out of range" in page.locator("#page-out-of-range").inner_text()
    page.get_by_role("link", name="Go to the last page").click()
    assert page.locator("#gap-matrix").count() == 1


@pytest.mark.parametrize("path", ["/", "/glossary", f"/releases/{MOE}", "/runtimes/vllm", "/nowhere"])
def test_at_400_px_only_the_matrix_scrolls_sideways(
    offline_dashboard, page, artifacts_dir: Path, path: str
) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(NARROW)
    page.goto(offline_dashboard + path)
    assert _no_sideways_scroll(page), f"{path} scrolls sideways at 400 px"
    # Nothing spills out of its card either (a table wider than its card shows cut-off figures).
    assert page.evaluate(
        "() => [...document.querySelectorAll('.card')].every(c => c.scrollWidth <= c.clientWidth)"
    )
    if path == "/":
        assert page.locator("#matrix-scroll-hint").is_visible()
        wrap = page.locator(".table-wrap").first
        assert wrap.evaluate("el => el.scrollWidth > el.clientWidth")  # the matrix itself does scroll
        page.screenshot(path=str(artifacts_dir / "dashboard-400px.png"), full_page=True)

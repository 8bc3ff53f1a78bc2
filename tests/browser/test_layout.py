"""The pages on the bundled snapshot in headless Chromium, offline (issue 24): the matrix keeps its header row
and release column in view while it scrolls in its own frame, the early-access grid fits 1400 px (or scrolls
inside its frame with the publisher column in view), nothing scrolls the page sideways at 400 px, and each
vendor keeps its colour on every chart whatever the filters. Screenshots are kept in test-artifacts/."""

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
from app.web.colours import VENDOR_COLOURS

from ..support.server import serve_in_thread

NARROW = {"width": 400, "height": 860}
WIDE = {"width": 1400, "height": 900}


@pytest.fixture(scope="module")
def bundled_url(scratch_databases) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A first start on an empty database: the bundled release facts and snapshot, no watchers."""
    url = scratch_databases.new_url("sqlite")
    upgrade(url)
    settings = Settings(database_url=url)
    with open_database(url) as factory:  # before serving: the import takes longer than a start may
        bootstrap_reference_data(factory, settings, now=datetime.now(UTC))
    with serve_in_thread(create_app(settings, start_watchers=False)) as base:
        yield base


def _no_sideways_scroll(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def _box(page, selector: str) -> dict[str, float]:  # type: ignore[no-untyped-def]
    return page.locator(selector).first.bounding_box()


def test_matrix_header_and_release_column_stay_in_view(bundled_url, page, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(WIDE)
    page.goto(bundled_url + "/")
    frame = page.locator("#gap-matrix-frame")
    frame.wait_for()
    assert frame.evaluate("el => el.scrollHeight > el.clientHeight"), (
        "the matrix does not scroll in its frame"
    )
    assert frame.evaluate("el => el.scrollWidth > el.clientWidth"), "the matrix is not wider than its frame"
    frame.scroll_into_view_if_needed()
    frame_box = frame.bounding_box()
    header = "#gap-matrix thead th:nth-child(3)"
    first_release = "#gap-matrix tbody tr:first-child th[scope=row]"
    header_before, release_before = _box(page, header), _box(page, first_release)

    # Down and to the right, inside the frame: the header row stays at the frame's top and the release
    # column at its left, while the cells move under them.
    frame.evaluate("el => { el.scrollTop = 600; el.scrollLeft = 500; }")
    page.wait_for_timeout(100)
    header_after = _box(page, "#gap-matrix thead th:first-child")
    assert abs(header_after["y"] - frame_box["y"]) <= 2, "the header row scrolled out of view"
    assert abs(_box(page, header)["y"] - header_before["y"]) <= 2
    row_headers = page.locator("#gap-matrix tbody th[scope=row]")
    visible = [
        row_headers.nth(i).bounding_box()
        for i in range(row_headers.count())
        if frame_box["y"] + header_after["height"]
        <= row_headers.nth(i).bounding_box()["y"]
        <= frame_box["y"] + frame_box["height"]
    ]
    assert visible, "no release row is in the frame after scrolling down"
    assert all(abs(box["x"] - release_before["x"]) <= 2 for box in visible), "the release column moved"
    # The cells did move: the first data cell of the first row is now above the frame and to the left.
    cell = _box(page, "#gap-matrix tbody tr:first-child td:nth-of-type(3)")
    assert cell["y"] < frame_box["y"] and cell["x"] < release_before["x"] + release_before["width"]
    page.screenshot(path=str(artifacts_dir / "matrix-sticky-after-scroll.png"))
    assert page.blocked_requests == []


def test_early_access_grid_fits_1400_px(bundled_url, page, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(WIDE)
    page.goto(bundled_url + "/early-access")
    grid = page.locator("#early-access")
    grid.wait_for()
    assert _no_sideways_scroll(page), "the early-access page scrolls sideways at 1400 px"
    frame = page.locator("#early-access-frame")
    if frame.evaluate("el => el.scrollWidth > el.clientWidth"):
        # Too wide for the frame: it scrolls inside it and the publisher column stays in view.
        before = _box(page, "#early-access tbody th[scope=row]")
        frame.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
        assert abs(_box(page, "#early-access tbody th[scope=row]")["x"] - before["x"]) <= 2
    page.screenshot(path=str(artifacts_dir / "early-access-1400px.png"), full_page=True)


@pytest.mark.parametrize(
    "path",
    ["/", "/releases/deepseek-ai/DeepSeek-V4-Pro", "/runtimes/vllm-ascend", "/early-access"],
)
def test_no_sideways_page_scroll_at_400_px(bundled_url, page, artifacts_dir: Path, path: str) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(NARROW)
    page.goto(bundled_url + path)
    assert _no_sideways_scroll(page), f"{path} scrolls sideways at 400 px"
    if path == "/":
        # The sticky release column leaves room for the cells scrolling under it.
        frame = page.locator("#gap-matrix-frame").bounding_box()
        assert _box(page, "#gap-matrix tbody th[scope=row]")["width"] <= frame["width"] / 2
    name = path.strip("/").replace("/", "-") or "home"
    page.screenshot(path=str(artifacts_dir / f"narrow-400px-{name}.png"), full_page=True)


def _chart_colours(page) -> dict[str, str]:  # type: ignore[no-untyped-def]
    page.wait_for_function("() => window.launchgapChart && window.launchgapChart.data.datasets.length > 0")
    return page.evaluate(
        "() => Object.fromEntries(window.launchgapChart.data.datasets.map(d => [d.vendor, d.borderColor]))"
    )


def test_each_vendor_keeps_its_colour_whatever_the_filters(bundled_url, page, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(WIDE)
    page.goto(bundled_url + "/")
    merged = _chart_colours(page)
    order_merged = list(merged)
    page.screenshot(path=str(artifacts_dir / "chart-colours-merged.png"))
    page.goto(bundled_url + "/?stage=verified")
    verified = _chart_colours(page)
    order_verified = list(verified)
    page.screenshot(path=str(artifacts_dir / "chart-colours-verified.png"))
    shared = set(merged) & set(verified)
    assert shared, "the two charts share no vendor: nothing to compare"
    for vendor in shared:
        assert merged[vendor] == verified[vendor] == VENDOR_COLOURS[vendor], vendor
    # The filters changed which vendors are drawn before a shared one (a colour by position would change).
    assert any(order_merged.index(v) != order_verified.index(v) for v in shared)

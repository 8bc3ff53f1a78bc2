"""`launchgap serve` renders the main page as it starts: a burst of first visitors after a restart
gets it from the page cache instead of all waiting for one cold rendering."""

from __future__ import annotations

import threading
from pathlib import Path

from fastapi.testclient import TestClient

from app.config import Settings
from app.db.migrate import upgrade
from app.main import create_app
from app.web.page_cache import PageCache

DEFAULT_KEY = "stage=merged&view=runtimes&publisher=&page=1&top="


def test_the_main_page_is_rendered_before_the_first_request(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'launchgap.db'}"
    upgrade(url)
    settings = Settings(
        database_url=url, seed_release_facts=False, data_dir=tmp_path / "data", page_cache_seconds=300
    )
    app = create_app(settings, start_watchers=False, warm_main_page=True)
    renderings: list[str] = []
    with TestClient(app) as client:
        cache: PageCache = app.state.page_cache
        for thread in threading.enumerate():
            if thread.name == "launchgap-warm-main-page":
                thread.join(timeout=60)
        warmed, fresh = cache._lookup(DEFAULT_KEY)
        assert warmed is not None and fresh
        original = cache.get_or_render

        def counting(key: str, render):  # type: ignore[no-untyped-def]
            return original(key, lambda: renderings.append(key) or render())

        cache.get_or_render = counting  # type: ignore[method-assign]
        response = client.get("/")
        assert response.status_code == 200 and response.content == warmed
        assert renderings == []  # served from the copy rendered at startup
        assert client.get("/?view=vendors").status_code == 200
        assert renderings == ["stage=merged&view=vendors&publisher=&page=1&top="]


def test_apps_built_for_tests_and_tools_do_not_render_in_advance(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'launchgap.db'}"
    upgrade(url)
    settings = Settings(database_url=url, seed_release_facts=False, data_dir=tmp_path / "data")
    app = create_app(settings, start_watchers=False)
    with TestClient(app):
        assert app.state.page_cache._lookup(DEFAULT_KEY) == (None, False)

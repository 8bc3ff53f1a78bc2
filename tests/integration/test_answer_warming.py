"""After a refresh the watcher loop ran, and as the server starts, the common answers are computed into the
answer cache before anyone asks (``app/api/warm.py``): the first plain request after a refresh is served
from the cache; a failing computation is logged and never reaches the loop."""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.api.routes import stats as stats_routes
from app.main import create_app
from app.services.answers.cache import AnswerCache
from app.services.operations.watcher_loop import WatcherLoop
from app.sources.runtimes.catalog import CATALOG

from ..fakes.fake_hub import FakeHub
from ..support.slice import (
    NOW,
    REGISTRY,
    SUPPORT_AT,
    add_example_release,
    registry_source,
    slice_settings,
    start_vllm_history,
)

PLAIN_REQUESTS = {
    "/api/v1/stats/vendors": "stats",
    "/api/v1/stats/runtimes": "stats",
    "/api/v1/stats/early-access": "early-access",
    "/api/v1/releases/latest": "latest",
    "/api/v1/stats/propagation": "propagation",
    "/api/v1/stats/lag": "stage-lag",
    "/api/v1/gaps": "gap-page",
}
"""Each request the dashboard or a plain API call makes, and the kind of answer it is served from."""


def _counting(cache: AnswerCache) -> list[Hashable]:
    """The keys ``cache`` computes from now on (not the ones it serves as kept)."""
    computed: list[Hashable] = []
    original = cache.get_or_compute

    def get_or_compute(session, key, compute: Callable[[], object]):  # type: ignore[no-untyped-def]
        return original(session, key, lambda: computed.append(key) or compute())

    cache.get_or_compute = get_or_compute  # type: ignore[method-assign]
    return computed


@contextmanager
def _serving(
    tmp_path: Path, fake_hub: FakeHub, url: str
) -> Iterator[tuple[FastAPI, TestClient, WatcherLoop]]:
    """``launchgap serve``'s app (warming on), and a watcher loop wired to it as ``app/main.py`` wires its
    own (driven here one cycle at a time instead of on its schedule)."""
    add_example_release(fake_hub)
    repo = start_vllm_history(tmp_path)
    settings = slice_settings(tmp_path, fake_hub, url, repo)
    app = create_app(settings, start_watchers=False, warm_answers=True)
    with TestClient(app) as client:
        loop = WatcherLoop(
            settings,
            app.state.session_factory,
            clock=lambda: NOW,
            owner="test",
            after_refresh=app.state.warmer.nudge,
        )
        repo.commit(
            {REGISTRY: registry_source("LlamaForCausalLM", "ExampleMoeForCausalLM")},
            at=SUPPORT_AT,
            message="[Model] Add Example MoE (#4242)",
        )
        yield app, client, loop


def test_the_common_answers_are_computed_after_a_refresh_before_anyone_asks(
    tmp_path: Path, fake_hub: FakeHub, fresh_database_url: str
) -> None:
    with _serving(tmp_path, fake_hub, fresh_database_url) as (app, client, loop):
        assert app.state.warmer.wait(60)
        computed = _counting(app.state.answer_cache)
        for path in PLAIN_REQUESTS:  # warmed as the server started
            assert client.get(path).status_code == 200
        assert computed == []

        loop.hub_cycle()  # polls the Hub, then refreshes the gap rows: every kept answer is stale
        assert app.state.warmer.wait(60)
        assert {key[0] for key in computed} == {*PLAIN_REQUESTS.values(), "gap-count"}  # type: ignore[index]
        computed.clear()
        first = {path: client.get(path).json() for path in PLAIN_REQUESTS}
        assert computed == []  # the first request after the refresh found its answer computed
        assert first["/api/v1/gaps"]["total"] > 0
        assert "example-org/Example-MoE-100B" in {i["repo_id"] for i in first["/api/v1/gaps"]["items"]}

        loop.scan_if_due(CATALOG["vllm"])  # a scan that found support: refreshed, warmed again
        assert app.state.warmer.wait(60)
        computed.clear()
        vllm = {s["group"]: s for s in client.get("/api/v1/stats/runtimes").json()["items"]}["vllm"]
        assert computed == [] and vllm["count"] == 1  # warmed, and from the rows after the scan
        assert client.get("/api/v1/stats/runtimes", params={"stage": "released"}).status_code == 200
        assert [key[0] for key in computed] == ["stats"]  # other variants: computed when asked, as before


def test_a_failing_answer_is_logged_and_the_loop_and_other_answers_go_on(
    tmp_path: Path, fake_hub: FakeHub, fresh_database_url: str, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:  # type: ignore[no-untyped-def]
    with _serving(tmp_path, fake_hub, fresh_database_url) as (app, client, loop):
        assert app.state.warmer.wait(60)

        def broken(*args: object, **kwargs: object) -> object:
            raise RuntimeError("statistics broke")

        monkeypatch.setattr(stats_routes, "load_group_stats", broken)
        computed = _counting(app.state.answer_cache)
        with caplog.at_level(logging.ERROR, logger="app.api.warm"):
            assert loop.hub_cycle() is not None  # the cycle ends as usual
            assert app.state.warmer.wait(60)
        assert "statistics broke" in caplog.text
        assert {key[0] for key in computed} >= {"early-access", "propagation", "stage-lag", "gap-page"}  # type: ignore[index]
        computed.clear()
        assert client.get("/api/v1/stats/propagation").status_code == 200
        assert computed == []
        monkeypatch.undo()  # the reader computes what could not be warmed
        assert client.get("/api/v1/stats/vendors").status_code == 200
        assert [key[0] for key in computed] == ["stats"]  # type: ignore[index]

"""The server log says what it serves once, and a failing source once per change of state (issue 24): when it
starts failing, when it fails with another kind of problem, when it works again — not at every retry."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.config import Settings
from app.db.session import open_database, session_scope
from app.main import create_app
from app.services.hub.poll import poll_publishers
from app.services.jobs import bootstrap_reference_data
from app.services.operations import source_state
from app.services.operations.announce import first_cycle_summary, serving_summary
from app.services.operations.watcher_loop import WatcherLoop
from app.sources.hub.client import HubClient

from ..support.server import free_port

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
STATE_LOGGER = source_state.__name__


def _lines(caplog: pytest.LogCaptureFixture, logger: str, level: int | None = None) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name == logger and (level is None or r.levelno == level)
    ]


def test_a_source_is_logged_when_its_state_changes_only(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=STATE_LOGGER)
    state = source_state.get_state(session, source_state.RUNTIME_REPO, "vllm")
    retry = NOW + timedelta(minutes=5)
    gone = "vllm: cannot clone https://github.com/vllm-project/vllm: could not resolve host"

    source_state.record_failure(session, state, NOW, gone, retry)  # ok → failing
    for attempt in range(1, 20):  # the same problem at every retry: nothing more
        source_state.record_failure(session, state, NOW + attempt * timedelta(minutes=5), gone, retry)
    source_state.record_failure(session, state, NOW, "vllm: bad object 1234abcd", retry)  # another kind
    source_state.record_failure(session, state, NOW, "vllm: bad object 5678", retry)  # same kind again
    source_state.record_success(session, state, NOW, retry)  # failing → ok
    source_state.record_success(session, state, NOW, retry)  # ok → ok: nothing

    warnings = _lines(caplog, STATE_LOGGER, logging.WARNING)
    assert warnings == [
        f"runtime repository vllm fails (repo-unreachable): {gone}; retrying at 2026-12-07 12:05 UTC",
        "runtime repository vllm now fails differently (scan-failed): vllm: bad object 1234abcd; retrying at "
        "2026-12-07 12:05 UTC",
    ]
    assert _lines(caplog, STATE_LOGGER, logging.INFO) == [
        "runtime repository vllm works again after 22 failed attempt(s)"
    ]


def test_twenty_unreachable_repositories_are_logged_once_not_every_cycle(
    tmp_path: Path, fresh_database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    names = ["vllm", "sglang", "llama.cpp"]
    settings = Settings(
        database_url=fresh_database_url,
        data_dir=tmp_path / "data",
        runtimes=names,
        runtime_repos={name: str(tmp_path / f"missing-{name}") for name in names},
        retry_after_error_seconds=60,
        seed_release_facts=False,
    )
    clock = [NOW]
    with open_database(fresh_database_url) as factory:
        bootstrap_reference_data(factory, settings, now=NOW)
        loop = WatcherLoop(settings, factory, clock=lambda: clock[0])
        for cycle in range(4):  # every cycle retries every source (each is due again)
            clock[0] = NOW + cycle * timedelta(minutes=5)
            loop.runtime_cycle()
        with session_scope(factory) as session:
            failing = [h for h in source_state.list_health(session) if not h.ok]
    assert len(failing) == 3  # the sources did fail at every cycle
    warnings = _lines(caplog, STATE_LOGGER, logging.WARNING)
    assert len(warnings) == 3, warnings
    assert sorted(w.split()[2] for w in warnings) == sorted(names)
    assert all("(repo-unreachable)" in w for w in warnings)
    # No other module repeats them at every retry.
    assert [r for r in caplog.records if r.levelno >= logging.WARNING and r.name != STATE_LOGGER] == []
    first = _lines(caplog, "app.services.operations.watcher_loop", logging.INFO)
    assert first == [
        "first scan cycle done: 3 of 3 runtime sources unreachable; serving no snapshot (runtime evidence from "
        "scans only), newest runtime evidence not known"
    ]


def test_an_unreachable_hub_is_logged_once_over_cycles(
    fresh_database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    dead = f"http://127.0.0.1:{free_port()}"
    with (
        open_database(fresh_database_url) as factory,
        HubClient(dead, None, 2.0, backoff_seconds=0) as dead_hub,
    ):
        for cycle in range(3):
            poll_publishers(
                factory, dead_hub, ["lab-one", "lab-two", "lab-three"], NOW + cycle * timedelta(hours=1)
            )
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith("Hub publisher lab-one fails (hub-unreachable): ")


def test_the_start_line_says_what_is_served(
    fresh_database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="app.main")
    settings = Settings(
        database_url=fresh_database_url, seed_release_facts=False, runtimes=["vllm", "sglang"]
    )
    with TestClient(create_app(settings, start_watchers=False)) as client:
        assert client.get("/healthz").status_code == 200
    assert _lines(caplog, "app.main", logging.INFO) == [
        "serving no snapshot (runtime evidence from scans only), newest runtime evidence not known; watchers off: "
        "this process does not update it"
    ]


def test_the_start_line_counts_unreachable_sources_once_checked(session: Session) -> None:
    names = ["vllm", "sglang", "llama.cpp"]
    assert serving_summary(session, names, watching=True).endswith(
        "; the first scan cycle will say which of 3 runtime sources it reaches"
    )
    for name, error in (("vllm", "cannot clone x: could not resolve host"), ("sglang", "bad object 12")):
        state = source_state.get_state(session, source_state.RUNTIME_REPO, name)
        source_state.record_failure(session, state, NOW, error, NOW)
    state = source_state.get_state(session, source_state.RUNTIME_REPO, "llama.cpp")
    source_state.record_success(session, state, NOW, NOW)
    session.flush()
    assert serving_summary(session, names, watching=True).endswith(
        "; 1 of 3 runtime sources unreachable, 1 of 3 failing to scan at their last check"
    )
    assert first_cycle_summary(session, names[2:]).startswith(
        "first scan cycle done: all 1 runtime sources reached"
    )

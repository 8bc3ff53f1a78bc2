"""Issue 17 without a browser: real Hub retry times, the banner's grouping, one-off scans that leave the
configured source's health alone, column order, HTML errors and paging, HEAD /healthz, favicon, the feed
(dedup by normalised name, a real `updated` when empty), `db check` in one line, flags in --help."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.api.deps import get_now, get_session
from app.db.migrate import upgrade
from app.main import create_app
from app.models import Runtime, SourceState, SupportEvent, SupportKey
from app.services.hub.poll import poll_publishers
from app.services.jobs import scan_then_refresh
from app.services.operations import source_state
from app.services.operations.source_problems import summarize_problems
from app.services.operations.source_state import SourceHealth
from app.services.operations.watcher_loop import MIN_HUB_WAIT_SECONDS, next_hub_wait
from app.services.runtimes.catalog_rows import sync_catalog
from app.services.runtimes.scan import ScanError
from app.sources.hub.client import HubClient
from app.web.views import column_order
from tests.fakes.repo_builder import RepoBuilder
from tests.integration.test_scan import VLLM, registry

from ..support.server import free_port

NOW = datetime(2026, 8, 22, 16, 6, tzinfo=UTC)
ATOM = "{http://www.w3.org/2005/Atom}"
RETRY = timedelta(minutes=5)


@pytest.fixture
def factory(session: Session) -> sessionmaker[Session]:
    return sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def client(session: Session) -> Iterator[TestClient]:
    sync_catalog(session)
    session.flush()
    app = create_app(start_watchers=False)
    app.dependency_overrides[get_session] = lambda: session
    app.dependency_overrides[get_now] = lambda: NOW
    yield TestClient(app)


# -- the Hub retry shown is the one the loop keeps ------------------------------------------------------------
def test_an_unreachable_hub_leaves_every_publisher_waiting_until_the_real_retry(
    session: Session, factory: sessionmaker[Session]
) -> None:
    with HubClient(f"http://127.0.0.1:{free_port()}", None, 2.0, backoff_seconds=0) as dead:
        report = poll_publishers(factory, dead, ["lab-a", "lab-b", "lab-c"], NOW, retry_after_error=RETRY)
    states = {
        s.name: s for s in session.scalars(select(SourceState).where(SourceState.kind == "hub_publisher"))
    }
    assert {s.next_check_at for s in states.values()} == {NOW + RETRY}
    assert all(s.last_error for s in states.values())
    assert states["lab-b"].last_checked_at is None  # waiting, not tried: no attempt is invented
    # The loop waits until that retry (not the 15-minute interval) before its next cycle.
    assert next_hub_wait(report, NOW, 900) == RETRY.total_seconds()
    assert next_hub_wait(report, NOW + RETRY, 900) == MIN_HUB_WAIT_SECONDS
    lines = summarize_problems(source_state.list_health(session), NOW)
    assert [p.headline for p in lines] == ["Hub unreachable: 3 publishers waiting, next try 16:11"]


def _health(
    kind: str, name: str, error: str | None, *, next_at: datetime, success: datetime | None = None
) -> SourceHealth:
    return SourceHealth(kind, name, error is None, NOW, success, next_at, error)


def test_problems_are_one_line_per_kind() -> None:
    later = NOW + timedelta(minutes=15)
    sources = [
        _health("hub_publisher", "a", "rate limit: 429 Too Many Requests", next_at=later),
        _health("hub_publisher", "b", "org 'b' does not exist on the Hub", next_at=later),
        _health(
            "runtime_repo",
            "vllm",
            "vllm: cannot clone https://x: Could not resolve host",
            next_at=later,
            success=datetime(2026, 8, 20, tzinfo=UTC),
        ),
        _health(
            "runtime_repo",
            "sglang",
            "sglang: git log failed: fatal: bad object",
            next_at=later,
            success=datetime(2026, 8, 21, tzinfo=UTC),
        ),
        _health(
            "runtime_repo",
            "tgi",
            "tgi: unable to access 'https://x': Failed to connect",
            next_at=NOW + RETRY,
            success=datetime(2026, 8, 22, tzinfo=UTC),
        ),
        _health("hub_publisher", "ok", None, next_at=later),
    ]
    assert [p.headline for p in summarize_problems(sources, NOW)] == [
        "Hub rate limit reached: 1 publisher waiting, next try 16:21",
        "1 publisher not found on the Hub: next check 16:21",
        "2 runtime repositories unreachable: showing data as of 2026-08-20, next try 16:11",
        "1 runtime scan failed: showing data as of 2026-08-21, next try 16:21",
    ]


# -- a one-off scan of another copy leaves the configured source's health alone ------------------------------
def test_a_one_off_scan_does_not_touch_the_configured_source_health(session: Session, tmp_path: Path) -> None:
    sync_catalog(session)
    configured = RepoBuilder(tmp_path / "configured")
    configured.commit({"vllm/model_executor/models/registry.py": registry("LlamaForCausalLM")})
    scan_then_refresh(session, VLLM, data_dir=tmp_path / "data", repo=str(configured.path), now=NOW)
    state = session.scalars(select(SourceState).where(SourceState.name == "vllm")).one()
    before = (state.last_checked_at, state.last_success_at, state.next_check_at, state.last_error)

    with pytest.raises(ScanError):  # a typo'd path
        scan_then_refresh(session, VLLM, data_dir=tmp_path / "data", repo=str(tmp_path / "typo"),
                          now=NOW + timedelta(hours=1), one_off=True)  # fmt: skip
    session.refresh(state)
    assert (state.last_checked_at, state.last_success_at, state.next_check_at, state.last_error) == before

    other = RepoBuilder(tmp_path / "other")
    other.commit({"vllm/model_executor/models/registry.py": registry("LlamaForCausalLM", "OPTForCausalLM")})
    scan_then_refresh(session, VLLM, data_dir=tmp_path / "data", repo=str(other.path),
                      now=NOW + timedelta(hours=2), one_off=True)  # fmt: skip
    session.refresh(state)
    assert (state.last_checked_at, state.last_success_at, state.next_check_at, state.last_error) == before
    # What it observed is still recorded: its events and its own cursor.
    assert f"repo:{other.path}" in state.cursor
    keys = session.scalars(
        select(SupportKey.key).join(SupportEvent, SupportEvent.support_key_id == SupportKey.id).join(Runtime)
        .where(Runtime.name == "vllm")
    ).all()  # fmt: skip
    assert "OPTForCausalLM" in keys

    # Without one_off (the configured source), a failure is the server's and is recorded.
    with pytest.raises(ScanError):
        scan_then_refresh(session, VLLM, data_dir=tmp_path / "data", repo=str(tmp_path / "typo"),
                          now=NOW + timedelta(hours=3))  # fmt: skip
    session.refresh(state)
    assert state.last_error and state.next_check_at == NOW + timedelta(hours=3, minutes=5)


# -- pages ---------------------------------------------------------------------------------------------------
def test_matrix_columns_put_the_most_asked_runtimes_first() -> None:
    assert column_order({"llama.cpp", "aaa-new", "sglang", "tensorrt-llm", "vllm", "ollama"}, "runtimes") == [
        "vllm", "sglang", "tensorrt-llm", "llama.cpp", "ollama", "aaa-new",
    ]  # fmt: skip
    assert column_order({"local", "amd", "nvidia"}, "vendors") == ["nvidia", "amd", "local"]


@pytest.mark.parametrize(
    ("path", "status", "text"),
    [
        ("/releases/nobody/nothing", 404, "no model &#39;nobody/nothing&#39; is known"),
        ("/runtimes/nope", 404, "no runtime &#39;nope&#39; in the catalog"),
        ("/no/such/page", 404, "There is no page at /no/such/page."),
        ("/?page=abc", 422, "page: Input should be a valid integer"),
        ("/?stage=bogus", 422, "stage:"),
    ],
)
def test_html_routes_answer_html_errors_with_a_way_back(
    client: TestClient, path: str, status: int, text: str
) -> None:
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert text in response.text
    assert 'href="/">← Back to the dashboard</a>' in response.text


def test_data_routes_keep_json_errors(client: TestClient) -> None:
    for path in ("/api/v1/models/nobody/nothing", "/api/v1/nothing", "/feeds/nothing"):
        response = client.get(path, headers={"Accept": "text/html"})
        assert response.status_code == 404
        assert response.json()["error"]["status"] == 404


def test_a_page_past_the_last_says_so(client: TestClient) -> None:
    response = client.get("/", params={"page": 99})
    assert response.status_code == 200  # the page itself renders (it is cached by its query), with the notice
    assert "Page 99 is out of range" in response.text and "Go to the last page" in response.text
    assert client.get("/").status_code == 200


def test_healthz_answers_head_and_the_favicon_exists(client: TestClient) -> None:
    head = client.head("/healthz")
    assert head.status_code == 200 and head.content == b""
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert 'rel="icon"' in client.get("/glossary").text


# -- the feed ----------------------------------------------------------------------------------------------
def test_an_empty_feed_is_updated_now(client: TestClient) -> None:
    root = ET.fromstring(client.get("/feeds/events.atom").content)
    assert root.find(f"{ATOM}updated").text == "2026-08-22T16:06:00Z"
    assert root.findall(f"{ATOM}entry") == []


def test_feed_entries_are_one_per_normalised_name(client: TestClient, session: Session) -> None:
    runtime = session.scalars(select(Runtime).where(Runtime.name == "sglang")).one()
    for spelling, days in (("Cohere-Transcribe", 2), ("Cohere Transcribe", 1), ("Other Model", 3)):
        key = SupportKey(key_kind="model_name", key=spelling)
        session.add(key)
        session.flush()
        at = NOW - timedelta(days=days)
        session.add(
            SupportEvent(
                runtime_id=runtime.id, support_key_id=key.id, stage="documented", event="added", at=at,
                commit=spelling[:3].lower() * 10, provenance="docs", confidence="high", recorded_at=at,
            )
        )  # fmt: skip
    session.flush()
    root = ET.fromstring(client.get("/feeds/events.atom", params={"runtime": "sglang"}).content)
    titles = [e.find(f"{ATOM}title").text for e in root.findall(f"{ATOM}entry")]
    assert len(titles) == 2
    assert sum("Cohere" in t for t in titles) == 1 and any("Other Model" in t for t in titles)


# -- the command line --------------------------------------------------------------------------------------
def _launchgap(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_db_check_prints_one_line_and_flags_read_as_flags(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'check.db'}"
    upgrade(url)
    env = {**os.environ, "LAUNCHGAP_DATABASE_URL": url}
    check = _launchgap("db", "check", env=env, cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    assert (check.stdout + check.stderr).strip().splitlines() == ["models and migrations agree"]
    scan_help = _launchgap("scan", "--help", env=env, cwd=tmp_path).stdout
    assert "<bool>" not in scan_help
    flag_lines = [line.split()[0] for line in scan_help.splitlines() if line.strip().startswith("--")]
    assert {"--all", "--json"} <= set(flag_lines)
    assert "--watch / --no-watch" in _launchgap("serve", "--help", env=env, cwd=tmp_path).stdout

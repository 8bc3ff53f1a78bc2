"""Under load and beside other writers: SQLite writers wait instead of failing, the server keeps its
liveness answer off the database, and a request's connection goes back to the pool before its response."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from app.config import Settings
from app.db.migrate import upgrade
from app.db.session import create_db_engine, session_factory, session_scope
from app.main import create_app
from app.models.model import Model
from app.models.publisher import Publisher

REPO_ROOT = Path(__file__).resolve().parents[2]
HOLD_SECONDS = 1.5


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'launchgap.db'}"
    upgrade(url)
    return url


@pytest.fixture
def other_writer(sqlite_url: str) -> Iterator[subprocess.Popen[str]]:
    """Another process inside a write transaction (an import, a scan) for HOLD_SECONDS, then committing."""
    path = sqlite_url.removeprefix("sqlite:///")
    script = textwrap.dedent(
        f"""
        import sqlite3, sys, time
        connection = sqlite3.connect({path!r}, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        connection.execute(
            "INSERT INTO publishers (hub_org, name, country, confidence, watched) "
            "VALUES ('other-lab', 'Other Lab', 'US', 'high', 1)"
        )
        print("holding", flush=True)
        time.sleep({HOLD_SECONDS})
        connection.execute("COMMIT")
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "holding"
    try:
        yield process
    finally:
        process.wait(timeout=30)
        process.stdout.close()
    assert process.returncode == 0


def test_a_read_then_write_transaction_waits_for_another_process_instead_of_failing(
    sqlite_url: str, other_writer: subprocess.Popen[str]
) -> None:
    # A plain deferred BEGIN that reads first would fail at once with "database is locked" when it tries to
    # write (its read snapshot is stale after the other commit; the busy timeout cannot help).
    engine = create_db_engine(sqlite_url)
    try:
        with session_scope(session_factory(engine)) as session:
            session.execute(select(func.count()).select_from(Publisher)).scalar_one()
            session.add(Publisher(hub_org="our-lab", name="Our Lab", country="FR", confidence="high"))
        with session_scope(session_factory(engine)) as session:
            orgs = set(session.scalars(select(Publisher.hub_org)))
        assert {"other-lab", "our-lab"} <= orgs
    finally:
        engine.dispose()


def test_import_releases_beside_another_writer_succeeds(
    sqlite_url: str, other_writer: subprocess.Popen[str], tmp_path: Path
) -> None:
    facts = tmp_path / "releases.csv"
    facts.write_text(
        "hf_repo_id,org,architecture,model_type,public_release_date,createdAt,source,confidence,notes\n"
        "acme/Acme-1,acme,AcmeForCausalLM,acme,2025-03-01,,https://example.org/acme,high,\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "app", "import", "releases", str(facts)],
        cwd=REPO_ROOT,
        env={"LAUNCHGAP_DATABASE_URL": sqlite_url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    engine = create_db_engine(sqlite_url)
    try:
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT count(*) FROM models WHERE repo_id = 'acme/Acme-1'")) == 1
    finally:
        engine.dispose()


def test_read_only_sessions_do_not_wait_for_a_writer(
    sqlite_url: str, other_writer: subprocess.Popen[str]
) -> None:
    engine = create_db_engine(sqlite_url)
    try:
        with session_factory(engine, read_only=True)() as session:
            # Answers from the last committed state while the other process still holds its write lock.
            assert session.execute(select(func.count()).select_from(Model)).scalar_one() == 0
        assert other_writer.poll() is None, "the read waited for the writer to finish"
    finally:
        engine.dispose()


def _app(url: str, tmp_path: Path) -> TestClient:
    settings = Settings(database_url=url, seed_release_facts=False, data_dir=tmp_path / "data")
    return TestClient(create_app(settings, start_watchers=False))


def test_healthz_answers_without_the_database_and_readyz_checks_it(sqlite_url: str, tmp_path: Path) -> None:
    with _app(sqlite_url, tmp_path) as client:
        assert client.get("/readyz").status_code == 200
        # The database goes away (here: every session now points at a server that refuses connections).
        dead = create_db_engine(
            "postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1}
        )
        client.app.state.session_factory = session_factory(dead)  # type: ignore[attr-defined]
        client.app.state.read_session_factory = session_factory(dead, read_only=True)  # type: ignore[attr-defined]
        assert client.get("/healthz").json()["status"] == "ok"
        assert client.head("/healthz").status_code == 200
        assert client.get("/readyz").status_code >= 500
        dead.dispose()


def test_a_request_returns_its_connection_before_the_response_is_sent(
    sqlite_url: str, tmp_path: Path
) -> None:
    checked_out_at_response_start: list[int] = []
    settings = Settings(database_url=sqlite_url, seed_release_facts=False, data_dir=tmp_path / "d")
    app = create_app(settings, start_watchers=False)

    class RecordPoolAtResponseStart:
        def __init__(self, inner):  # type: ignore[no-untyped-def]
            self.inner = inner

        async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
            async def recording_send(message):  # type: ignore[no-untyped-def]
                if message["type"] == "http.response.start" and scope["path"] == "/api/v1/gaps":
                    checked_out_at_response_start.append(
                        app.state.session_factory.kw["bind"].pool.checkedout()
                    )
                await send(message)

            await self.inner(scope, receive, recording_send)

    app.add_middleware(RecordPoolAtResponseStart)
    with TestClient(app) as client:
        assert client.get("/api/v1/gaps").status_code == 200
    # The route's session was closed (connection back in the pool) before the response went out.
    assert checked_out_at_response_start == [0]


def test_a_burst_of_concurrent_requests_is_served_without_pool_exhaustion(
    sqlite_url: str, tmp_path: Path
) -> None:
    """60 requests at once on a real server: each must be answered (before: sessions kept their connection
    until their response was validated in a worker thread, the threads waited for connections, and the
    burst deadlocked until the pool timed out with 500s)."""
    import os
    import signal

    import httpx

    from tests.support.server import free_port, wait_until_up

    port = free_port()
    env = {
        **os.environ,
        "LAUNCHGAP_DATABASE_URL": sqlite_url,
        "LAUNCHGAP_SEED_RELEASE_FACTS": "false",
        "LAUNCHGAP_DATA_DIR": str(tmp_path / "data"),
        "LAUNCHGAP_PORT": str(port),
        "LAUNCHGAP_LOG_LEVEL": "WARNING",
    }
    # The server's log goes to a file: a pipe nobody reads fills at 64 KB and then blocks the server's event
    # loop at its next log line (docs/operations.md, the /watches stall).
    log = tmp_path / "server.log"
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--no-watch"], cwd=REPO_ROOT, env=env, stderr=log_file
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/healthz", timeout=60)

        paths = ["/api/v1/gaps?limit=50", "/api/v1/runtimes", "/api/v1/events"] * 20
        barrier = threading.Barrier(len(paths))

        def get(path: str) -> int:
            with httpx.Client(base_url=base, timeout=25) as client:
                barrier.wait()
                return client.get(path).status_code

        with ThreadPoolExecutor(max_workers=len(paths)) as pool:
            assert list(pool.map(get, paths)) == [200] * len(paths)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    errors = log.read_text()
    assert "QueuePool limit" not in errors, errors


def test_a_client_gone_before_its_body_is_read_is_not_a_server_error(sqlite_url: str, tmp_path: Path) -> None:
    """A token-authenticated POST whose client hangs up while the request waits (for a write slot, then the
    token check) finds the connection closed when its body is read. That used to escape the app as an
    unhandled ``ClientDisconnect``: uvicorn logged a 5 KB traceback per request from the event loop, and a
    load benchmark's end (a dozen queued posts dropped at once), with the server's stderr an unread pipe,
    filled the pipe and stalled every later request. It is now answered quietly, with nothing written."""
    from starlette.types import Message

    from app.api.deps import WRITE_SLOTS
    from app.models.claim import SupportClaim
    from app.services.tokens import create_token

    engine = create_db_engine(sqlite_url)
    with session_scope(session_factory(engine)) as session:
        _token, secret = create_token(session, "gone client", now=datetime.now(UTC))
    settings = Settings(database_url=sqlite_url, seed_release_facts=False, data_dir=tmp_path / "data")
    app = create_app(settings, start_watchers=False)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/claims",
        "raw_path": b"/api/v1/claims",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"authorization", f"Bearer {secret}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", b"120"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.disconnect"}  # the client closed its connection before the body came in

    async def send(message: Message) -> None:
        sent.append(message)

    with TestClient(app) as client:
        client.portal.call(app, scope, receive, send)  # before the fix: raised ClientDisconnect
        assert app.state.write_slots._value == WRITE_SLOTS  # its write slot was given back
    starts = [message for message in sent if message["type"] == "http.response.start"]
    assert [message["status"] for message in starts] == [499]  # "client closed request"
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(SupportClaim)) == 0
    engine.dispose()

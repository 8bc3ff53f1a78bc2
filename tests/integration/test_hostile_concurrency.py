"""Hostile input, round two, under concurrency (issue 23): token-authenticated writers and readers at once on
SQLite against a real server, a write that finds the database busy past its timeout, and Hub webhooks
(database work off the event loop, a bounded coalescing queue of their own)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.db.migrate import upgrade
from app.db.session import create_db_engine, session_factory, session_scope
from app.models import ApiToken, Model, SupportClaim
from app.models.webhook_delivery import WebhookDelivery
from app.services.hub.webhook_queue import WebhookQueue
from app.services.tokens import create_token
from tests.fakes.fake_hub import FakeHub
from tests.integration.test_webhooks import SAMPLES as WEBHOOK_SAMPLES
from tests.integration.test_webhooks import SECRET, factory, hub, make_app, payload  # noqa: F401  (fixtures)
from tests.support.server import free_port, wait_until_up

REPO_ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 9, 1, tzinfo=UTC)
REPO = "acme/Model-1"


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A SQLite database with one model to claim support for, and an API token: (URL, token secret)."""
    url = f"sqlite:///{tmp_path / 'launchgap.db'}"
    upgrade(url)
    engine = create_db_engine(url)
    try:
        with session_scope(session_factory(engine)) as session:
            session.add(Model(repo_id=REPO, architectures=["AcmeForCausalLM"], model_type="acme", base_models=[],
                              tags=[], hub_extra={}, release_at=NOW, release_at_source="imported"))  # fmt: skip
            _token, secret = create_token(session, "load", now=NOW)
    finally:
        engine.dispose()
    yield url, secret


@contextmanager
def serving(url: str, tmp_path: Path, **settings: str) -> Iterator[str]:
    """``launchgap serve --no-watch`` on ``url`` in its own process; yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "LAUNCHGAP_DATABASE_URL": url,
        "LAUNCHGAP_SEED_RELEASE_FACTS": "false",
        "LAUNCHGAP_DATA_DIR": str(tmp_path / "data"),
        "LAUNCHGAP_PORT": str(port),
        "LAUNCHGAP_LOG_LEVEL": "WARNING",
        **{f"LAUNCHGAP_{name.upper()}": value for name, value in settings.items()},
    }
    # The log goes to a file: an unread pipe fills at 64 KB and then blocks the server (docs/operations.md).
    with (tmp_path / "server.log").open("w") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--no-watch"], cwd=REPO_ROOT, env=env, stderr=log_file
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/healthz", timeout=60)
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


def _claim(n: int) -> dict[str, str]:
    return {"repo_id": REPO, "runtime": "vllm", "stage": "merged", "at": f"2026-01-{n + 1:02d}T00:00:00Z",
            "url": f"https://example.com/claims/{n}"}  # fmt: skip


def test_token_writers_and_readers_at_once_on_sqlite(database: tuple[str, str], tmp_path: Path) -> None:
    """12 claims posted at once with a token all land (before: the token check took the write lock in the
    request's session and held it while waiting for a worker thread; 8 of 12 answered 500 "database is
    locked" after 30 s, and every thread was blocked), an anonymous read meanwhile is answered at once, and
    20 token-authenticated reads at once all answer 200 (before: 15 of 20 were 500, the token check wrote
    ``last_used_at`` inside their read-only transactions)."""
    url, secret = database
    auth = {"Authorization": f"Bearer {secret}"}
    with serving(url, tmp_path) as base:
        barrier = threading.Barrier(13)

        def post(n: int) -> int:
            with httpx.Client(base_url=base, timeout=60, headers=auth) as client:
                barrier.wait()
                return client.post("/api/v1/claims", json=_claim(n)).status_code

        def read_meanwhile() -> float:
            with httpx.Client(base_url=base, timeout=60) as client:
                barrier.wait()
                time.sleep(0.2)  # while the writers are in flight
                began = time.monotonic()
                assert client.get("/api/v1/gaps", params={"limit": 1}).status_code == 200
                return time.monotonic() - began

        with ThreadPoolExecutor(max_workers=13) as pool:
            reading = pool.submit(read_meanwhile)
            statuses = list(pool.map(post, range(12)))
            read_seconds = reading.result()
        assert statuses == [201] * 12
        # (before: 28.9 s, the threads were all blocked; the bound leaves room for a machine shared with others)
        assert read_seconds < 10, f"an anonymous read waited {read_seconds:.1f} s behind the writers"

        readers = threading.Barrier(20)

        def list_watches(_n: int) -> int:
            with httpx.Client(base_url=base, timeout=60, headers=auth) as client:
                readers.wait()
                return client.get("/api/v1/watches").status_code

        with ThreadPoolExecutor(max_workers=20) as pool:
            assert list(pool.map(list_watches, range(20))) == [200] * 20

    engine = create_db_engine(url)
    try:
        with session_factory(engine)() as session:
            assert len(session.scalars(select(SupportClaim)).all()) == 12
            # The token's use is still recorded, apart from the requests' own transactions.
            assert session.scalars(select(ApiToken.last_used_at)).one() is not None
    finally:
        engine.dispose()


@contextmanager
def holding_the_write_lock(url: str, seconds: float) -> Iterator[None]:
    """Another process inside a write transaction (a long scan, an import) for ``seconds``."""
    path = url.removeprefix("sqlite:///")
    script = textwrap.dedent(
        f"""
        import sqlite3, time
        connection = sqlite3.connect({path!r}, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        print("holding", flush=True)
        time.sleep({seconds})
        connection.execute("COMMIT")
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "holding"
    try:
        yield
    finally:
        process.wait(timeout=60)
        process.stdout.close()


def test_a_write_that_finds_the_database_busy_past_its_timeout_is_503_with_retry_after(
    database: tuple[str, str], tmp_path: Path
) -> None:
    url, secret = database
    auth = {"Authorization": f"Bearer {secret}"}
    with (
        serving(url, tmp_path, sqlite_busy_timeout_seconds="1") as base,
        httpx.Client(base_url=base, timeout=60) as client,
    ):
        with holding_the_write_lock(url, seconds=12):
            began = time.monotonic()
            refused = client.post("/api/v1/claims", json=_claim(0), headers=auth)
            waited = time.monotonic() - began
            assert refused.status_code == 503, refused.text
            assert refused.headers["retry-after"] == "5"
            # Refused once the 1 s busy timeout passed, well before the other writer let go.
            assert "busy" in refused.json()["error"]["message"] and waited < 10
            # Reads go on meanwhile, the token check included.
            assert client.get("/api/v1/watches", headers=auth).status_code == 200
            assert client.get("/api/v1/gaps", params={"limit": 1}).status_code == 200
        # Once the other writer is done, the same request lands: nothing was lost or half-written.
        assert client.post("/api/v1/claims", json=_claim(0), headers=auth).status_code == 201


# --- 5. Hub webhooks: database work off the event loop, a bounded coalescing queue of their own -----------


def test_a_webhook_waiting_for_the_write_lock_does_not_stall_the_event_loop(
    database: tuple[str, str], tmp_path: Path
) -> None:
    """Another process holds the SQLite write lock for 8 s while a Hub webhook arrives: the webhook waits
    for it in a worker thread, and ``/healthz`` (served on the event loop) answers at once meanwhile (before:
    the route recorded the delivery on the event loop, and ``/healthz`` waited as long as the lock)."""
    url, _secret = database
    with FakeHub() as fake:
        fake.add_model("acme", "Acme-9", architectures=["AcmeForCausalLM"], model_type="acme", created_at=NOW)
        body = json.loads((WEBHOOK_SAMPLES / "webhook.repo_created.assembled_from_docs.json").read_text())
        body.pop("_comment", None)
        body["repo"].update({"name": "acme/Acme-9", "id": fake.hub_id("acme/Acme-9")})
        with (
            serving(url, tmp_path, hub_webhook_secret="s3cret-value-42", hub_endpoint=fake.url) as base,
            httpx.Client(base_url=base, timeout=60) as client,
        ):
            with holding_the_write_lock(url, seconds=8), ThreadPoolExecutor(max_workers=1) as pool:
                posting = pool.submit(
                    client.post,
                    "/hooks/huggingface",
                    json=body,
                    headers={"X-Webhook-Secret": "s3cret-value-42"},
                )
                time.sleep(0.3)
                slowest = 0.0
                while not posting.done():
                    began = time.monotonic()
                    assert client.get("/healthz").status_code == 200
                    slowest = max(slowest, time.monotonic() - began)
                    time.sleep(0.1)
                answer = posting.result()
            assert answer.status_code == 202, answer.text
            assert slowest < 2.0, f"/healthz took {slowest:.1f} s while a webhook waited for the lock"


class Recorder:
    """A stand-in for the processing the queue runs: notes what it is given, may hold the first item."""

    def __init__(self) -> None:
        self.processed: list[int] = []
        self.coalesced: list[tuple[list[int], int]] = []
        self.release = threading.Event()
        self.started = threading.Event()

    def process(self, delivery_id: int, _payload: object) -> str:
        self.started.set()
        self.release.wait(10)
        self.processed.append(delivery_id)
        return "refreshed"

    def mark(self, ids: list[int], into: int) -> None:
        self.coalesced.append((ids, into))


def test_the_webhook_queue_coalesces_repeated_repos_and_is_bounded() -> None:
    recorder = Recorder()
    queue = WebhookQueue(recorder.process, recorder.mark, capacity=2)
    try:
        assert queue.put("acme/A", 1, None)
        assert recorder.started.wait(5)  # delivery 1 is being processed; the rest wait
        assert queue.put("acme/A", 2, None) and queue.put("acme/B", 3, None)
        assert queue.put("ACME/a", 4, None)  # the same repo, another spelling: coalesced, no new room taken
        assert len(queue) == 2 and not queue.has_room_for("acme/C") and queue.has_room_for("Acme/B")
        assert not queue.put("acme/C", 5, None)
        recorder.release.set()
        assert queue.wait_until_idle(10)
    finally:
        queue.stop()
    assert recorder.processed == [1, 4, 3]  # oldest repo first, its newest delivery
    assert recorder.coalesced == [([2], 4)]


def test_a_full_webhook_queue_answers_503_and_records_nothing(
    session: Session,
    factory: sessionmaker[Session],  # noqa: F811
    hub: FakeHub,  # noqa: F811
) -> None:
    api = make_app(factory, hub, SECRET)
    api.app.state.webhook_queue.capacity = 0  # type: ignore[attr-defined]
    body = payload("webhook.repo_created.assembled_from_docs.json")
    response = api.post("/hooks/huggingface", json=body, headers={"X-Webhook-Secret": SECRET})
    assert response.status_code == 503 and response.headers["retry-after"] == "5"
    assert session.execute(select(func.count()).select_from(WebhookDelivery)).scalar() == 0

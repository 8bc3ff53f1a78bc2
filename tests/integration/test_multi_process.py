"""Several processes on one database: leases that die with their process, watchers that share the Hub's
budget instead of multiplying it, and races on new rows that end in an update instead of an error."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.db.migrate import upgrade
from app.db.session import create_db_engine, open_database, session_factory, session_scope
from app.models.model import Model
from app.models.source_state import SourceState
from app.models.webhook_delivery import WebhookDelivery
from app.services.hub.webhooks import process_webhook_delivery, record_webhook_delivery
from app.services.operations import source_state
from app.services.releases.publishers import sync_publishers
from app.sources.hub import HubClient
from app.sources.hub.webhook import HubWebhookPayload
from tests.conftest import ScratchDatabases
from tests.fakes.fake_hub import FakeHub
from tests.support.server import free_port, wait_until_up

REPO_ROOT = Path(__file__).resolve().parents[2]
ORGS = ["lab-a", "lab-b", "lab-c", "lab-d"]
CREATED = datetime(2025, 6, 1, tzinfo=UTC)


def _postgres_url(scratch_databases: ScratchDatabases) -> str:
    url = scratch_databases.new_url("postgresql")
    upgrade(url)
    return url


def _lease_holder(url: str, ttl_seconds: float) -> subprocess.Popen[str]:
    """A real process that wins a lease and then works (sleeps) inside it until killed."""
    script = textwrap.dedent(
        f"""
        import time
        from datetime import UTC, datetime, timedelta
        from app.db.session import open_database
        from app.services.operations import source_state
        with open_database({url!r}) as factory:
            with source_state.lease(
                factory, "runtime_repo", "vllm", "holder", datetime.now(UTC), timedelta(seconds={ttl_seconds})
            ) as won:
                print("won" if won else "lost", flush=True)
                time.sleep(120)
        """
    )
    return subprocess.Popen([sys.executable, "-c", script], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)


def test_a_lease_is_renewed_while_its_owner_works_and_freed_soon_after_kill_9(
    fresh_database_url: str,
) -> None:
    ttl = 1.5
    holder = _lease_holder(fresh_database_url, ttl)
    engine = create_db_engine(fresh_database_url)
    factory = session_factory(engine)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "won"
        time.sleep(ttl * 2)  # well past the first expiry: only renewals keep it
        with session_scope(factory) as session:
            assert not source_state.try_acquire_lease(
                session, "runtime_repo", "vllm", "contender", datetime.now(UTC), timedelta(seconds=30)
            )
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        killed_at = time.monotonic()
        while True:
            with session_scope(factory) as session:
                if source_state.try_acquire_lease(
                    session, "runtime_repo", "vllm", "contender", datetime.now(UTC), timedelta(seconds=30)
                ):
                    break
            assert time.monotonic() - killed_at < ttl * 4, "the dead owner's lease outlived its TTL"
            time.sleep(0.2)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()
        engine.dispose()


def test_process_owner_ids_differ_between_processes() -> None:
    code = "from app.services.operations.source_state import process_owner; print(process_owner())"
    owners = {
        subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True).stdout
        for _ in range(2)
    }
    assert len(owners) == 2
    assert source_state.process_owner() == source_state.process_owner()  # stable within one process


def _publishers_file(tmp_path: Path) -> Path:
    path = tmp_path / "publishers.csv"
    path.write_text("hub_org,name,country,confidence\n" + "".join(f"{o},{o},US,high\n" for o in ORGS))
    return path


def _hub() -> FakeHub:
    hub = FakeHub().start()
    for org in ORGS:
        hub.add_org(org)
        for n in range(3):
            hub.add_model(
                org, f"Model-{n}", architectures=[f"M{n}ForCausalLM"], model_type=f"m{n}", created_at=CREATED
            )
    return hub


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    fake = _hub()
    try:
        yield fake
    finally:
        fake.stop()


def _serve(
    url: str, hub: FakeHub, tmp_path: Path, name: str, interval: int
) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    env = {
        **os.environ,
        "LAUNCHGAP_DATABASE_URL": url,
        "LAUNCHGAP_HUB_ENDPOINT": hub.url,
        "LAUNCHGAP_PUBLISHERS_FILE": str(_publishers_file(tmp_path)),
        "LAUNCHGAP_DATA_DIR": str(tmp_path / f"data-{name}"),
        "LAUNCHGAP_RUNTIMES": "[]",
        "LAUNCHGAP_SEED_RELEASE_FACTS": "false",
        "LAUNCHGAP_WATCH_INTERVAL_SECONDS": str(interval),
        "LAUNCHGAP_PORT": str(port),
        "LAUNCHGAP_LOG_LEVEL": "WARNING",
    }
    env.pop("HF_ENDPOINT", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve"],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process, f"http://127.0.0.1:{port}"


def _stop(process: subprocess.Popen[str]) -> str:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=60)
    return output


def _listings(hub: FakeHub) -> int:
    return sum(1 for r in hub.requests if r.path == "/api/models")


def _listings_over(hub: FakeHub, processes: int, url: str, tmp_path: Path, window: float) -> int:
    tmp_path.mkdir()
    started = [_serve(url, hub, tmp_path, f"p{i}", interval=4) for i in range(processes)]
    try:
        for process, base in started:
            wait_until_up(base + "/healthz", timeout=60)
            assert process.poll() is None
        time.sleep(4)  # past the first cycle, which every fresh process starts with
        before = _listings(hub)
        time.sleep(window)
        count = _listings(hub) - before
        for process, _ in started:
            assert process.poll() is None, "a watcher process died"
        return count
    finally:
        outputs = [_stop(process) for process, _ in started]
        for output in outputs:
            assert "Traceback" not in output, output


def test_two_serve_processes_send_what_one_would(
    scratch_databases: ScratchDatabases, hub: FakeHub, tmp_path: Path
) -> None:
    window = 20.0
    one = _listings_over(hub, 1, _postgres_url(scratch_databases), tmp_path / "one", window)
    two = _listings_over(hub, 2, _postgres_url(scratch_databases), tmp_path / "two", window)
    assert one >= len(ORGS) * 3  # one process alone polls every org every ~4 s
    assert two <= 1.25 * one, f"two processes listed {two} times, one process {one} times"


def test_sigterm_gives_back_the_leases_of_work_in_progress(
    fresh_database_url: str, hub: FakeHub, tmp_path: Path
) -> None:
    hub.slow_next(30, path_contains="/api/models", times=100)  # every org's listing hangs
    process, base = _serve(fresh_database_url, hub, tmp_path, "slow", interval=900)
    engine = create_db_engine(fresh_database_url)
    try:
        wait_until_up(base + "/healthz", timeout=60)
        deadline = time.monotonic() + 30
        while True:
            with session_scope(session_factory(engine)) as session:
                held = session.scalars(
                    select(SourceState.name).where(SourceState.lease_owner.is_not(None))
                ).all()
            if held:
                break
            assert time.monotonic() < deadline, "the watcher never took a lease"
            time.sleep(0.2)
        _stop(process)
        with session_scope(session_factory(engine)) as session:
            still_held = session.scalars(
                select(SourceState.name).where(SourceState.lease_owner.is_not(None))
            ).all()
        assert still_held == []
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
        hub.clear_faults()
        engine.dispose()


def test_concurrent_imports_on_postgres_both_succeed(
    scratch_databases: ScratchDatabases, tmp_path: Path
) -> None:
    url = _postgres_url(scratch_databases)
    facts = tmp_path / "releases.csv"
    facts.write_text(
        "hf_repo_id,org,architecture,model_type,public_release_date,createdAt,source,confidence,notes\n"
        + "".join(
            f"lab-{n % 5}/Model-{n},lab-{n % 5},M{n}ForCausalLM,m{n},2025-0{1 + n % 9}-01,,https://example.org/{n},high,\n"
            for n in range(60)
        )
    )
    env = {**os.environ, "LAUNCHGAP_DATABASE_URL": url}
    command = [sys.executable, "-m", "app", "import", "releases", str(facts)]
    imports = [
        subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in imports]
    for process, output in zip(imports, outputs, strict=True):
        assert process.returncode == 0, output
        assert "Traceback" not in output, output
    with open_database(url) as factory, session_scope(factory) as session:
        assert session.scalar(select(func.count()).select_from(Model)) == 60


def test_two_deliveries_for_one_new_repo_at_once_store_it_once(
    scratch_databases: ScratchDatabases, hub: FakeHub, tmp_path: Path
) -> None:
    url = _postgres_url(scratch_databases)
    hub.add_model(
        "lab-a",
        "Brand-New",
        architectures=["BrandNewForCausalLM"],
        model_type="brand_new",
        created_at=CREATED,
    )
    now = datetime(2025, 10, 1, tzinfo=UTC)
    created = {
        "event": {"action": "create", "scope": "repo"},
        "repo": {
            "type": "model",
            "name": "lab-a/Brand-New",
            "id": hub.hub_id("lab-a/Brand-New"),
            "private": False,
        },
    }
    pushed = {**created, "event": {"action": "update", "scope": "repo.content"}}
    engines = [create_db_engine(url) for _ in range(2)]
    factories = [session_factory(engine) for engine in engines]
    deliveries = []
    with session_scope(factories[0]) as session:
        sync_publishers(session, _publishers_file(tmp_path))
        for body in (created, pushed):
            deliveries.append(
                record_webhook_delivery(session, HubWebhookPayload.model_validate(body), now).delivery_id
            )
    # Both handlers are inside model_info at the same time, then both try to store the new repo.
    hub.slow_next(1.0, path_contains="/api/models/lab-a/Brand-New", times=2)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def handle(index: int) -> None:
        barrier.wait()
        with HubClient(hub.url, None, 10.0, backoff_seconds=0) as client:
            payload = HubWebhookPayload.model_validate((created, pushed)[index])
            outcomes.append(
                process_webhook_delivery(factories[index], client, deliveries[index], payload).outcome
            )

    threads = [threading.Thread(target=handle, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        assert len(outcomes) == 2
        assert all(o.startswith("refreshed") for o in outcomes), outcomes
        with session_scope(factories[0]) as session:
            assert session.scalar(select(func.count()).where(Model.repo_id == "lab-a/Brand-New")) == 1
            recorded = session.scalars(select(WebhookDelivery.outcome)).all()
            assert len(recorded) == 2 and all(recorded), recorded
    finally:
        for engine in engines:
            engine.dispose()

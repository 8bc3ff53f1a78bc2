"""The Hub firehose against the fake Hub over HTTP: new architectures from publishers nobody listed become
releases and discover their publisher, derivatives are counted on their base, cursors survive restarts,
leases keep two processes from reading a page twice, a 429 mid-pass resumes (docs/hub.md, "The firehose")."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from app.api.deps import get_now, get_session, get_settings_dep
from app.cli.main import cli
from app.config import Settings, get_settings
from app.db.session import create_db_engine, session_factory, session_scope
from app.main import create_app
from app.models import DerivativeSighting, FirehoseItem, Model, Publisher, SourceState
from app.services.hub.firehose import FirehoseReport, read_firehose
from app.services.operations import source_state
from app.services.operations.watcher_loop import WatcherLoop
from app.services.releases.publishers import sync_publishers
from app.services.tokens import create_token
from app.sources.hub import HubClient
from tests.fakes.fake_hub import FakeHub
from tests.support.hub import quiet_client, savepoint_sessions

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(days=30)


@pytest.fixture
def factory(session: Session) -> sessionmaker[Session]:
    sync_publishers(session, None)
    return savepoint_sessions(session)


def _client(hub: FakeHub) -> HubClient:
    return quiet_client(hub.url, 5.0, page_size=2)


def _seed(hub: FakeHub) -> None:
    """A known architecture (a watched publisher's release), a new one from an unknown lab with derivatives
    listed before it (newest first; one by a watched publisher), and a known architecture uploaded by an
    unknown user."""
    hub.add_model(
        "meta-llama", "Llama-9-8B", architectures=["LlamaForCausalLM"], model_type="llama",
        created_at=EARLIER,
    )  # fmt: skip
    hub.add_model(
        "newlab", "Nova-7B", architectures=["NovaForCausalLM"], model_type="nova",
        created_at=NOW - timedelta(days=2),
    )  # fmt: skip
    hub.add_model(
        "bob", "Nova-7B-sft", architectures=["NovaForCausalLM"], model_type="nova",
        created_at=NOW - timedelta(days=1), base_models=["newlab/Nova-7B"],
    )  # fmt: skip
    hub.add_model(
        "carol", "Nova-7B-sft-GGUF", architectures=[], model_type=None,
        created_at=NOW - timedelta(hours=20), base_models=[("quantized", "bob/Nova-7B-sft")],
    )  # fmt: skip
    hub.add_model(
        "meta-llama", "Nova-7B-FP8", architectures=["NovaForCausalLM"], model_type="nova",
        created_at=NOW - timedelta(hours=15), base_models=[("quantized", "newlab/Nova-7B")],
    )  # fmt: skip
    hub.add_model(
        "dave", "my-llama", architectures=["LlamaForCausalLM"], model_type="llama",
        created_at=NOW - timedelta(hours=10),
    )  # fmt: skip


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    """The fake Hub, two repos a page, holding ``_seed``'s repositories."""
    with FakeHub(page_size=2) as fake:
        _seed(fake)
        yield fake


def _read(
    factory: sessionmaker[Session],
    hub: FakeHub,
    at: datetime,
    *,
    owner: str | None = None,
    only_due: bool = False,
) -> FirehoseReport:
    """One firehose cycle at ``at`` with a new client (as a restarted process would make)."""
    with _client(hub) as client:
        return read_firehose(factory, client, at, owner=owner, only_due=only_due)


def _models(session: Session) -> dict[str, Model]:
    session.expire_all()
    return {m.repo_id: m for m in session.execute(select(Model)).scalars()}


def _publisher(session: Session, org: str) -> Publisher | None:
    return session.execute(select(Publisher).where(Publisher.hub_org == org)).scalar_one_or_none()


def _list_requests(hub: FakeHub) -> list[tuple[str, str | None]]:
    return [
        (r.param("sort")[0] if r.param("sort") else "", (r.param("cursor") or [None])[0])
        for r in hub.requests_to("/api/models")
        if r.path == "/api/models"
    ]


def test_a_new_architecture_from_an_unknown_org_is_a_release_that_discovers_its_publisher(
    session: Session, factory: sessionmaker[Session], hub: FakeHub
) -> None:
    report = _read(factory, hub, NOW)
    assert [r.status for r in report.results] == ["ok", "ok"]
    assert report.releases == ["newlab/Nova-7B"] and report.discovered == ["newlab"]
    models = _models(session)
    nova = models["newlab/Nova-7B"]
    assert not nova.is_derivative and nova.architectures == ["NovaForCausalLM"]
    # The first pass reads back the backfill: nobody saw these turn public, createdAt is the estimate.
    assert nova.release_at_source == "created_at_estimate"
    assert nova.release_at == NOW - timedelta(days=2)
    # Fine-tunes and quantisations (listed before their base) count on it, a derivative of a derivative too;
    # a watched publisher's quantisation is stored as its poll would store it, and counted as well.
    assert nova.derivatives == 3
    assert "bob/Nova-7B-sft" not in models and "carol/Nova-7B-sft-GGUF" not in models
    assert models["meta-llama/Nova-7B-FP8"].is_derivative
    # A known architecture uploaded by an unknown user is no release; the watched publisher's is stored.
    assert "dave/my-llama" not in models and _publisher(session, "dave") is None
    assert "meta-llama/Llama-9-8B" in models
    newlab = _publisher(session, "newlab")
    assert newlab is not None and newlab.watched and newlab.discovered_release == "newlab/Nova-7B"
    assert newlab.discovered_reason == "new architecture NovaForCausalLM; new model type nova"
    assert nova.new_architecture and nova.family == "newlab/Nova-7B"
    # Nothing waits to be classified once the pass reached its cursor.
    assert session.scalar(select(func.count()).select_from(FirehoseItem)) == 0
    # A restart re-reads the publishers file, which does not list newlab: it stays watched, as discovered.
    sync_publishers(session, None)
    session.expire_all()
    assert _publisher(session, "newlab").watched  # type: ignore[union-attr]


def test_later_cycles_observe_new_repos_catch_one_turned_public_and_resume_from_their_cursors(
    session: Session, factory: sessionmaker[Session], hub: FakeHub
) -> None:
    hub.add_model(
        "hiddenlab", "Secret-1", architectures=["SecretForCausalLM"], model_type="secret",
        created_at=NOW - timedelta(days=3), private=True,
    )  # fmt: skip
    _read(factory, hub, NOW)
    assert "hiddenlab/Secret-1" not in _models(session)
    first_requests = len(_list_requests(hub))

    # A restart: a new client, the cursors come from the database: each listing reads down to its cursor.
    later = NOW + timedelta(minutes=5)
    hub.add_model(
        "freshlab", "Fresh-1", architectures=["FreshForCausalLM"], model_type="fresh",
        created_at=later - timedelta(minutes=2),
    )  # fmt: skip
    hub.make_public("hiddenlab/Secret-1", at=later - timedelta(minutes=1))
    report = _read(factory, hub, later)
    requests = _list_requests(hub)[first_requests:]
    # One new repo above the created cursor: its first page ends at the cursor's item. Two modified
    # since the modified listing's start fill its first page; the second reaches the cursor.
    assert [sort for sort, _ in requests] == ["createdAt", "lastModified", "lastModified"]
    assert requests[0][1] is None and requests[1][1] is None and requests[2][1]
    assert sorted(report.releases) == ["freshlab/Fresh-1", "hiddenlab/Secret-1"]
    models = _models(session)
    # Seen turning public since the last pass: observed now, for both listings.
    for repo in ("freshlab/Fresh-1", "hiddenlab/Secret-1"):
        assert models[repo].release_at_source == "observed" and models[repo].release_at == later
    assert _publisher(session, "hiddenlab").discovered_at == later  # type: ignore[union-attr]

    # A third cycle that is not due yet (only_due) reads nothing.
    idle = _read(factory, hub, later + timedelta(minutes=1), only_due=True)
    assert [r.status for r in idle.results] == ["not-due", "not-due"] and idle.requests == 0


def test_a_429_mid_pass_resumes_from_the_saved_page(
    session: Session, factory: sessionmaker[Session], hub: FakeHub
) -> None:
    # the seeded hub: 6 repos, 3 pages
    hub.rate_limit_next(reset=30, path_contains="/api/models", query_contains="cursor=")
    cut = _read(factory, hub, NOW)
    assert cut.results[0].status == "partial" and cut.results[0].pages == 1
    assert len(cut.results) == 1  # the rate limit stops the other listing too
    assert "newlab/Nova-7B" not in _models(session)
    state = session.execute(
        select(SourceState).where(SourceState.kind == "hub_firehose", SourceState.name == "created")
    ).scalar_one()
    assert state.next_check_at == NOW + timedelta(seconds=31) and state.cursor["pass"]["next_url"]
    # The first page waits, its config summary cut to what is read (no tokenizer config kept).
    waiting = session.execute(select(FirehoseItem)).scalars().all()
    assert len(waiting) == 2 and all("tokenizer_config" not in w.item.get("config", {}) for w in waiting)
    seen = len(_list_requests(hub))

    resumed = _read(factory, hub, NOW + timedelta(minutes=1), only_due=True)
    # The first page is not read again: the pass goes on from the page it stopped at.
    cursors = [cursor for sort, cursor in _list_requests(hub)[seen:] if sort == "createdAt"]
    assert len(cursors) == 2 and all(cursors)
    assert resumed.results[0].status == "ok"
    models = _models(session)
    assert models["newlab/Nova-7B"].derivatives == 3 and "dave/my-llama" not in models


def test_the_firehose_setting_off_reads_nothing(
    session: Session, factory: sessionmaker[Session], hub: FakeHub
) -> None:
    off = Settings(hub_endpoint=hub.url, hub_firehose=False, hub_page_size=2)
    assert WatcherLoop(off, factory, clock=lambda: NOW).firehose_cycle() is None
    assert hub.requests == []
    on = off.model_copy(update={"hub_firehose": True, "hub_firehose_interval_seconds": 60})
    assert WatcherLoop(on, factory, clock=lambda: NOW).firehose_cycle() == 60.0
    assert _list_requests(hub) and "newlab/Nova-7B" in _models(session)


def test_a_listing_leased_by_another_process_is_left_alone(
    session: Session, factory: sessionmaker[Session], hub: FakeHub
) -> None:
    with source_state.lease(factory, "hub_firehose", "created", "other-process", NOW) as won:
        assert won
        report = _read(factory, hub, NOW, owner="me")
    assert report.results[0].status == "skipped"
    assert ("createdAt", None) not in _list_requests(hub)


def test_publishers_api_lists_the_discovered_one_and_a_token_unwatches_it(
    session: Session, factory: sessionmaker[Session], hub: FakeHub
) -> None:
    _read(factory, hub, NOW)
    settings = Settings()
    app = create_app(settings, start_watchers=False)
    app.dependency_overrides[get_session] = lambda: session
    app.dependency_overrides[get_now] = lambda: NOW
    app.dependency_overrides[get_settings_dep] = lambda: settings
    api = TestClient(app)
    listed = {p["name"]: p for p in api.get("/api/v1/publishers").json()}
    assert listed["newlab"]["watched_because"] == "discovered"
    assert listed["newlab"]["discovered_release"] == "newlab/Nova-7B"
    assert listed["meta-llama"]["watched_because"] == "file"
    model = api.get("/api/v1/models/newlab/Nova-7B").json()
    assert model["derivatives"] == 3 and model["publisher_discovered"] is True
    page = api.get("/api/v1/models", params={"publisher": "newlab"}).json()
    assert page["items"][0]["derivatives"] == 3
    assert api.get("/releases/newlab/Nova-7B").text.count("release-discovered") == 1

    assert api.patch("/api/v1/publishers/newlab", json={"watched": False}).status_code == 401
    _token, secret = create_token(session, "ops", now=NOW)
    session.commit()
    auth = {"Authorization": f"Bearer {secret}"}
    assert api.patch("/api/v1/publishers/nobody", json={"watched": False}, headers=auth).status_code == 404
    patched = api.patch("/api/v1/publishers/newlab", json={"watched": False}, headers=auth)
    assert patched.status_code == 200, patched.text
    assert patched.json()["watched"] is False and patched.json()["watched_because"] is None
    # Un-watched stays un-watched: across a restart, and when the firehose meets another new architecture.
    sync_publishers(session, None)
    hub.add_model(
        "newlab", "Nova-2", architectures=["Nova2ForCausalLM"], model_type="nova2",
        created_at=NOW + timedelta(minutes=3),
    )  # fmt: skip
    report = _read(factory, hub, NOW + timedelta(minutes=5))
    assert report.releases == [] and "newlab/Nova-2" not in _models(session)
    assert not _publisher(session, "newlab").watched  # type: ignore[union-attr]
    rewatched = api.patch("/api/v1/publishers/newlab", json={"watched": True}, headers=auth).json()
    assert rewatched["watched_because"] == "discovered"


def test_named_orgs_replace_the_file_but_not_the_discovered_publishers(
    session: Session, factory: sessionmaker[Session], hub: FakeHub
) -> None:
    _read(factory, hub, NOW)
    hub.requests.clear()
    named = Settings(hub_endpoint=hub.url, hub_orgs=["gammalab"], hub_firehose=False)
    hub.add_org("gammalab")
    WatcherLoop(named, factory, clock=lambda: NOW).hub_cycle()
    polled = {r.param("author")[0] for r in hub.requests_to("/api/models") if r.param("author")}
    assert polled == {"gammalab", "newlab"}
    hub.requests.clear()
    none = named.model_copy(update={"hub_orgs": []})
    assert WatcherLoop(none, factory, clock=lambda: NOW).hub_cycle() is None and hub.requests == []


def _concurrent_cycles(url: str, hub: FakeHub) -> list[str]:
    engine = create_db_engine(url)
    factory = session_factory(engine)
    with session_scope(factory) as session:
        sync_publishers(session, None)
    statuses: list[str] = []
    barrier = threading.Barrier(2)

    def run(owner: str) -> None:
        with _client(hub) as client:
            barrier.wait()
            report = read_firehose(factory, client, NOW, owner=owner, only_due=True)
        statuses.extend(r.status for r in report.results)

    threads = [threading.Thread(target=run, args=(f"process-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with session_scope(factory) as session:
        counted = session.scalar(select(func.count()).select_from(DerivativeSighting))
        releases = session.scalars(select(Model.repo_id).where(Model.repo_id == "newlab/Nova-7B")).all()
    engine.dispose()
    assert counted == 3 and releases == ["newlab/Nova-7B"]
    return statuses


def test_two_processes_read_each_page_once(fresh_database_url: str, hub: FakeHub) -> None:
    # Every page answers slowly, so both processes are inside their cycle at once.
    hub.slow_next(0.2, path_contains="/api/models", times=20)
    statuses = _concurrent_cycles(fresh_database_url, hub)
    created = [(sort, cursor) for sort, cursor in _list_requests(hub) if sort == "createdAt"]
    # One pass over three pages, by whichever process won the lease; the other skipped it, found it done, or
    # (the modified listing) waited for it.
    assert len(created) == 3 and len(set(created)) == 3
    assert statuses.count("ok") == 2 and set(statuses) <= {"ok", "skipped", "not-due", "waiting"}


def test_watch_firehose_runs_one_cycle_from_the_command_line(
    fresh_database_url: str, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAUNCHGAP_DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("LAUNCHGAP_SEED_RELEASE_FACTS", "false")
    recent = datetime.now(UTC) - timedelta(days=1)  # the command reads the real clock
    with FakeHub(page_size=2) as hub:
        hub.add_model(
            "newlab", "Nova-7B", architectures=["NovaForCausalLM"], model_type="nova", created_at=recent
        )
        monkeypatch.setenv("LAUNCHGAP_HUB_ENDPOINT", hub.url)
        get_settings.cache_clear()
        try:
            result = CliRunner().invoke(cli, ["watch", "firehose"])
        finally:
            get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "created: ok" in result.output and "discovered=newlab" in result.output

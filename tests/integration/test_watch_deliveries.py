"""Watches end to end: the watcher loop scans, the outbox is written with the change, the sender calls a
receiver on 127.0.0.1 with a signed payload; history never floods; filters mean what /api/v1/gaps means."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.db.session import create_db_engine, session_factory, session_scope
from app.main import create_app
from app.models import WatchDelivery
from app.services.jobs import bootstrap_reference_data
from app.services.operations.watcher_loop import WatcherLoop
from app.services.tokens import create_token
from app.services.watches.manage import WatchFilter, create_watch
from app.sources.runtimes.catalog import CATALOG

from ..fakes.fake_hub import FakeHub
from ..fakes.repo_builder import RepoBuilder
from ..support.receiver import receiver
from ..support.slice import CREATED_AT, NOW, REGISTRY, SUPPORT_AT, registry_source, slice_settings

MOE = "example-org/Example-MoE-100B"
SECRET = "s3cret-s3cret-s3cret"


class Clock:
    """An injected clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class Scenario:
    factory: sessionmaker[Session]
    loop: WatcherLoop
    clock: Clock
    repo: RepoBuilder
    settings: object
    token: str


@pytest.fixture
def scenario(tmp_path: Path, fake_hub: FakeHub, fresh_database_url: str) -> Iterator[Scenario]:
    """One publisher with a new-architecture model and a Llama model; vLLM registers only Llama so far."""
    fake_hub.add_model(
        "example-org", "Example-MoE-100B", architectures=["ExampleMoeForCausalLM"], model_type="example_moe",
        created_at=CREATED_AT,
    )  # fmt: skip
    fake_hub.add_model(
        "example-org", "Example-7B", architectures=["LlamaForCausalLM"], model_type="llama",
        created_at=CREATED_AT,
    )  # fmt: skip
    repo = RepoBuilder(tmp_path / "vllm")
    repo.commit({REGISTRY: registry_source("LlamaForCausalLM")}, at="2024-03-01T10:00:00Z", message="Init")
    settings = slice_settings(tmp_path, fake_hub, fresh_database_url, repo).model_copy(
        update={"webhook_allow_private": True}
    )
    engine = create_db_engine(fresh_database_url)
    factory = session_factory(engine)
    bootstrap_reference_data(factory, settings, now=NOW)
    clock = Clock(NOW)
    with session_scope(factory) as session:
        _token, secret = create_token(session, "watcher", now=NOW)
    try:
        yield Scenario(factory, WatcherLoop(settings, factory, clock=clock, owner="test"), clock, repo,
                       settings, secret)  # fmt: skip
    finally:
        engine.dispose()


def _watch(s: Scenario, url: str, **filters: str) -> int:
    with session_scope(s.factory) as session:
        from app.services.tokens import authenticate

        token = authenticate(session, s.token, now=NOW)
        assert token is not None
        watch = create_watch(
            session, token_id=token.id, url=url, secret=SECRET, watch_filter=WatchFilter(**filters), now=NOW,
            allow_private=True,
        )  # fmt: skip
        return watch.id


def _deliveries(s: Scenario) -> list[WatchDelivery]:
    with s.factory() as session:
        return list(session.scalars(select(WatchDelivery).order_by(WatchDelivery.id)))


def _verify(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does (docs/api.md): HMAC-SHA256 of the raw body, compared in constant time."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


def test_support_after_history_is_delivered_signed_to_matching_watches_only(scenario: Scenario) -> None:
    s = scenario
    with receiver() as rec:
        watches = {
            "nvidia": _watch(s, rec.url + "/nvidia", vendor="nvidia"),
            "vllm": _watch(s, rec.url + "/vllm", runtime="vllm"),
            "moe-on-vllm": _watch(s, rec.url + "/moe-on-vllm", repo_id=MOE, runtime="vllm"),
            "amd": _watch(s, rec.url + "/amd", vendor="amd"),
            "other-org": _watch(s, rec.url + "/other-org", publisher="other-org"),
            "released": _watch(s, rec.url + "/released", stage="released"),
            "7b-only": _watch(s, rec.url + "/7b-only", repo_id="example-org/Example-7B"),
        }

        # History: the publisher's first poll and vLLM's first scan (which finds Llama support, so Example-7B's
        # cells turn supported) notify nobody.
        s.loop.hub_cycle()
        s.loop.scan_if_due(CATALOG["vllm"])
        assert _deliveries(s) == []

        # vLLM then merges the new architecture: the next scan's change is delivered.
        s.repo.commit(
            {REGISTRY: registry_source("LlamaForCausalLM", "ExampleMoeForCausalLM")},
            at=SUPPORT_AT,
            message="[Model] Add Example MoE (#4242)",
        )
        s.clock.advance(timedelta(seconds=s.settings.watch_interval_seconds))  # type: ignore[attr-defined]
        s.loop.scan_if_due(CATALOG["vllm"])
        owed = _deliveries(s)
        by_watch = {name: [d for d in owed if d.watch_id == wid] for name, wid in watches.items()}
        assert {name: len(items) for name, items in by_watch.items()} == {
            "nvidia": 1, "vllm": 1, "moe-on-vllm": 1, "amd": 0, "other-org": 0, "released": 0, "7b-only": 0,
        }  # fmt: skip
        # Written with the change, due at once (so the first attempt is within the sender's next look).
        assert all(d.state == "pending" and d.next_attempt_at == s.clock() for d in owed)

        # A second scan with nothing new owes nothing more (idempotent).
        s.clock.advance(timedelta(seconds=s.settings.watch_interval_seconds))  # type: ignore[attr-defined]
        s.loop.scan_if_due(CATALOG["vllm"])
        assert len(_deliveries(s)) == 3

        s.loop.delivery_cycle()

    assert sorted(r.path for r in rec.received) == ["/hook/moe-on-vllm", "/hook/nvidia", "/hook/vllm"]
    app = create_app(s.settings, start_watchers=False)  # type: ignore[arg-type]
    with TestClient(app) as client:
        for request in rec.received:
            assert _verify(SECRET, request.body, request.headers["x-launchgap-signature"])
            assert not _verify(
                "another-secret-entirely", request.body, request.headers["x-launchgap-signature"]
            )
            payload = request.json()
            name = request.path.removeprefix("/hook/")
            assert payload["watch_id"] == watches[name]
            assert payload["delivery_id"] == request.headers["x-launchgap-delivery"]
            # The gap is exactly the row /api/v1/gaps lists for the watch's filter.
            params = {"nvidia": {"vendor": "nvidia"}, "vllm": {"runtime": "vllm"}}.get(
                name, {"runtime": "vllm"}
            )
            listed = client.get("/api/v1/gaps", params=params).json()["items"]
            assert payload["gap"] in listed
            assert payload["gap"]["repo_id"] == MOE and payload["gap"]["status"] == "later"
            assert payload["gap"]["commit"] == s.repo.head()
        assert {payload["gap"]["vendor"] for payload in (r.json() for r in rec.received)} == {None, "nvidia"}

        # The delivery log, through the API, for the token that owns the watch.
        auth = {"Authorization": f"Bearer {s.token}"}
        log = client.get(f"/api/v1/watches/{watches['nvidia']}/deliveries", headers=auth).json()
        [item] = log["items"]
        assert item["state"] == "delivered" and item["attempts"] == 1 and item["next_attempt_at"] is None
        assert [a["outcome"] for a in item["attempt_log"]] == ["delivered"]
        assert (
            item["attempt_log"][0]["status_code"] == 200
            and item["attempt_log"][0]["response_excerpt"] == "ok"
        )
        assert item["gap"]["vendor"] == "nvidia"


def test_a_model_first_seen_by_a_later_poll_is_delivered(scenario: Scenario, fake_hub: FakeHub) -> None:
    """A release arriving with support already there (pre-release work merged before it went public) is news;
    the publisher's first poll, which lists its past, is not."""
    s = scenario
    with receiver() as rec:
        _watch(s, rec.url, publisher="example-org", runtime="vllm")
        s.loop.hub_cycle()
        s.loop.scan_if_due(CATALOG["vllm"])
        assert _deliveries(s) == []
        fake_hub.add_model(
            "example-org", "Example-8B", architectures=["LlamaForCausalLM"], model_type="llama",
            created_at=NOW - timedelta(hours=1),
        )  # fmt: skip
        s.clock.advance(timedelta(seconds=s.settings.watch_interval_seconds))  # type: ignore[attr-defined]
        s.loop.hub_cycle()
        [owed] = _deliveries(s)
        s.loop.delivery_cycle()
    [request] = rec.received
    assert request.json()["delivery_id"] == owed.delivery_id
    assert request.json()["gap"]["repo_id"] == "example-org/Example-8B"
    assert request.json()["gap"]["runtime"] == "vllm"


def test_deliveries_commit_with_the_change_or_not_at_all(scenario: Scenario) -> None:
    """The outbox rows are part of the scan's transaction: rolled back with it, committed with it."""
    from app.services.gaps.refresh import refresh_gaps
    from app.services.runtimes.scan import scan_runtime
    from app.services.watches.outbox import enqueue_deliveries

    s = scenario
    _watch(s, "http://127.0.0.1:9/hook", runtime="vllm")
    s.loop.hub_cycle()
    s.loop.scan_if_due(CATALOG["vllm"])
    s.repo.commit(
        {REGISTRY: registry_source("LlamaForCausalLM", "ExampleMoeForCausalLM")}, at=SUPPORT_AT, message="Add"
    )
    later = s.clock() + timedelta(hours=1)
    with s.factory() as session:
        scan_runtime(session, CATALOG["vllm"], data_dir=s.settings.data_dir, repo=str(s.repo.path), now=later)  # type: ignore[attr-defined]
        report = refresh_gaps(session, runtimes=["vllm"])
        assert enqueue_deliveries(session, report.gained_support, now=later) == 1
        session.rollback()  # e.g. the process dies before the commit
    assert _deliveries(s) == []
    s.clock.advance(timedelta(seconds=s.settings.watch_interval_seconds))  # type: ignore[attr-defined]
    s.loop.scan_if_due(CATALOG["vllm"])  # the change is found again, and its delivery with it
    [owed] = _deliveries(s)
    assert owed.state == "pending" and '"repo_id":"example-org/Example-MoE-100B"' in owed.body


def test_a_revoked_tokens_watches_are_owed_nothing(scenario: Scenario) -> None:
    """Issue 23, item 11: a refresh writes no delivery for a watch whose token was revoked."""
    from app.services.tokens import revoke_token

    s = scenario
    live = _watch(s, "http://127.0.0.1:9/live", runtime="vllm")
    with session_scope(s.factory) as session:
        other, _secret = create_token(session, "revoked-later", now=NOW)
        revoked = create_watch(
            session, token_id=other.id, url="http://127.0.0.1:9/revoked", secret=SECRET,
            watch_filter=WatchFilter(runtime="vllm"), now=NOW, allow_private=True,
        ).id  # fmt: skip
        revoke_token(session, other.id, now=NOW)
    s.loop.hub_cycle()
    s.loop.scan_if_due(CATALOG["vllm"])
    s.repo.commit(
        {REGISTRY: registry_source("LlamaForCausalLM", "ExampleMoeForCausalLM")},
        at=SUPPORT_AT,
        message="[Model] Add Example MoE (#4242)",
    )
    s.clock.advance(timedelta(seconds=s.settings.watch_interval_seconds))  # type: ignore[attr-defined]
    s.loop.scan_if_due(CATALOG["vllm"])
    assert [d.watch_id for d in _deliveries(s)] == [live]
    assert revoked != live

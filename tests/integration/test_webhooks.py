"""POST /hooks/huggingface with the fake Hub behind it, on both databases."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.api.deps import get_now, get_session
from app.api.routes import hooks
from app.config import Settings
from app.models.gap import GapRecord
from app.models.model import Model
from app.models.publisher import Publisher
from app.models.webhook_delivery import WebhookDelivery
from app.services.hub.poll import poll_publishers
from app.services.jobs import webhook_queue
from app.services.releases.publishers import sync_publishers
from app.sources.hub import HubClient
from tests.fakes.fake_hub import FakeHub

SAMPLES = Path(__file__).resolve().parents[1] / "unit" / "sources" / "hub" / "samples"
NOW = datetime(2025, 10, 1, 12, 0, tzinfo=UTC)
OLD = datetime(2025, 9, 1, tzinfo=UTC)
SECRET = "s3cret-value-42"


def payload(name: str, **changes: Any) -> dict[str, Any]:
    body = json.loads((SAMPLES / name).read_text())
    body.pop("_comment", None)
    body = copy.deepcopy(body)
    for key, value in changes.items():
        if key == "repo":
            body["repo"].update(value)
        else:
            body[key] = value
    return body


@pytest.fixture
def factory(session: Session) -> sessionmaker[Session]:
    return sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with FakeHub() as fake:
        fake.add_model("acme", "Acme-1", architectures=["AcmeForCausalLM"], model_type="acme", created_at=OLD)
        fake.add_model(
            "acme",
            "Acme-2",
            architectures=["Acme2ForCausalLM"],
            model_type="acme2",
            created_at=OLD,
            private=True,
        )
        yield fake


def make_app(factory: sessionmaker[Session], hub: FakeHub, secret: str | None) -> TestClient:
    app = FastAPI()
    app.include_router(hooks.router)
    app.state.session_factory = factory
    app.state.settings = Settings(hub_endpoint=hub.url, hub_webhook_secret=secret, hub_timeout_seconds=2)
    app.state.webhook_queue = webhook_queue(factory, app.state.settings)

    def session_dep() -> Iterator[Session]:
        db = factory()
        try:
            yield db
        finally:
            db.close()

    app.dependency_overrides[get_session] = session_dep
    app.dependency_overrides[get_now] = lambda: NOW
    return TestClient(app)


@pytest.fixture
def api(session: Session, factory: sessionmaker[Session], hub: FakeHub) -> TestClient:
    with factory() as db:
        sync_publishers(db, None)
        db.commit()
    with HubClient(hub.url, None, 2.0, backoff_seconds=0) as client:
        poll_publishers(factory, client, ["acme"], NOW - timedelta(hours=1))
    return make_app(factory, hub, SECRET)


def post(api: TestClient, body: Any, secret: str | None = SECRET) -> Any:
    headers = {"X-Webhook-Secret": secret} if secret is not None else {}
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = api.post("/hooks/huggingface", content=content, headers=headers)
    # Processing runs on the webhook queue's own thread: wait for it, so the test reads what it did.
    assert api.app.state.webhook_queue.wait_until_idle(30)  # type: ignore[attr-defined]
    return response


def model(session: Session, repo_id: str) -> Model | None:
    session.expire_all()
    return session.execute(select(Model).where(Model.repo_id == repo_id)).scalar_one_or_none()


def test_no_secret_configured_is_404(factory: sessionmaker[Session], hub: FakeHub) -> None:
    client = make_app(factory, hub, None)
    assert post(client, payload("webhook.repo_created.assembled_from_docs.json")).status_code == 404


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", SECRET.upper()])
def test_wrong_secret_is_401_and_changes_nothing(
    api: TestClient, session: Session, secret: str | None
) -> None:
    response = post(api, payload("webhook.repo_created.assembled_from_docs.json"), secret=secret)
    assert response.status_code == 401
    assert session.execute(select(func.count()).select_from(WebhookDelivery)).scalar() == 0


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        json.dumps({"event": {"action": "create"}}).encode(),
        json.dumps({"repo": {}}).encode(),
    ],
)
def test_bad_bodies_are_400_with_a_reason(api: TestClient, body: bytes) -> None:
    response = post(api, body)
    assert response.status_code == 400
    assert response.json()["detail"]


def test_made_public_webhook_records_an_observed_release_and_a_replay_is_a_duplicate(
    api: TestClient, session: Session, hub: FakeHub
) -> None:
    assert model(session, "acme/Acme-2") is None
    hub.make_public("acme/Acme-2")
    body = payload(
        "webhook.repo_made_public.assembled_from_docs.json",
        repo={"name": "acme/Acme-2", "id": hub.hub_id("acme/Acme-2")},
        unknownNewField={"x": 1},
    )
    first = post(api, body)
    assert first.status_code == 202, first.json()
    row = model(session, "acme/Acme-2")
    assert row is not None
    assert (row.release_at, row.release_at_source) == (NOW, "observed")
    assert row.new_architecture
    # The gap rows follow at once (webhooks are for latency), one per runtime at least: unknown, since no
    # runtime has been observed in this database (never "pending" for a runtime not scanned).
    gap_rows = session.execute(select(GapRecord).where(GapRecord.model_id == row.id)).scalars().all()
    assert gap_rows and {g.status for g in gap_rows if g.stage == "merged"} == {"unknown"}
    requests_before = len(hub.requests)
    replay = post(api, body)
    assert replay.status_code == 200 and replay.json()["status"] == "duplicate"
    assert len(hub.requests) == requests_before  # a replay triggers no refresh
    assert session.execute(select(func.count()).select_from(WebhookDelivery)).scalar() == 1
    assert session.execute(select(WebhookDelivery.outcome)).scalar_one().startswith("refreshed")


def test_private_again_and_delete_mark_gone(api: TestClient, session: Session, hub: FakeHub) -> None:
    hub_id = hub.hub_id("acme/Acme-1")
    flip = payload(
        "webhook.repo_made_public.assembled_from_docs.json",
        repo={"name": "acme/Acme-1", "id": hub_id, "private": True},
        updatedConfig={"private": True},
    )
    assert post(api, flip).status_code == 202
    row = model(session, "acme/Acme-1")
    assert row is not None and row.visibility == "gone" and row.gone_at == NOW
    deleted = payload(
        "webhook.repo_created.assembled_from_docs.json",
        event={"action": "delete", "scope": "repo"},
        repo={"name": "acme/Acme-1", "id": hub_id},
    )
    assert post(api, deleted).status_code == 202
    assert model(session, "acme/Acme-1") is not None  # kept, never dropped


def test_move_is_followed(api: TestClient, session: Session, hub: FakeHub) -> None:
    hub_id = hub.hub_id("acme/Acme-1")
    before = model(session, "acme/Acme-1")
    assert before is not None
    hub.rename("acme/Acme-1", "acme/Acme-One")
    moved = payload(
        "webhook.repo_created.assembled_from_docs.json",
        event={"action": "move", "scope": "repo"},
        repo={"name": "acme/Acme-1", "id": hub_id},
        movedTo={"name": "acme/Acme-One"},
    )
    assert post(api, moved).status_code == 202
    after = model(session, "acme/Acme-One")
    assert after is not None and after.id == before.id and after.release_at == before.release_at


def test_content_push_refreshes_and_unwatched_or_other_repo_types_are_ignored(
    api: TestClient, session: Session, hub: FakeHub
) -> None:
    push = payload(
        "webhook.repo_content_push.assembled_from_docs.json",
        repo={"name": "acme/Acme-1", "id": hub.hub_id("acme/Acme-1")},
    )
    assert post(api, push).status_code == 202
    other = payload("webhook.repo_content_push.assembled_from_docs.json")  # some-user/some-repo: not watched
    assert post(api, other).status_code == 202
    dataset = payload(
        "webhook.repo_created.assembled_from_docs.json", repo={"type": "dataset", "name": "acme/d"}
    )
    assert post(api, dataset).status_code == 202
    outcomes = list(session.execute(select(WebhookDelivery.outcome).order_by(WebhookDelivery.id)).scalars())
    assert outcomes[0].startswith("refreshed")
    assert outcomes[1].startswith("ignored") and outcomes[2].startswith("ignored")


def test_hub_failure_during_processing_is_recorded(api: TestClient, session: Session, hub: FakeHub) -> None:
    hub.fail_next(403, path_contains="/api/models/acme")
    push = payload(
        "webhook.repo_content_push.assembled_from_docs.json",
        repo={"name": "acme/Acme-1", "id": hub.hub_id("acme/Acme-1"), "headSha": "f" * 40},
    )
    assert post(api, push).status_code == 202
    outcome = session.execute(select(WebhookDelivery.outcome)).scalar_one()
    assert outcome.startswith("error:") and "403" in outcome


def delivery_outcomes(session: Session) -> list[str]:
    session.expire_all()
    return list(session.execute(select(WebhookDelivery.outcome).order_by(WebhookDelivery.id)).scalars())


def config_flip(hub: FakeHub, repo_id: str, private: bool) -> dict[str, Any]:
    return payload(
        "webhook.repo_made_public.assembled_from_docs.json",
        repo={"name": repo_id, "id": hub.hub_id(repo_id), "private": private},
        updatedConfig={"private": private},
    )


def test_public_again_by_webhook_is_not_a_new_release(
    api: TestClient, session: Session, hub: FakeHub
) -> None:
    row = model(session, "acme/Acme-1")
    assert row is not None and row.release_at_source == "created_at_estimate"
    hub.make_private("acme/Acme-1")
    assert post(api, config_flip(hub, "acme/Acme-1", True)).status_code == 202
    assert model(session, "acme/Acme-1").visibility == "gone"  # type: ignore[union-attr]
    hub.make_public("acme/Acme-1")
    assert post(api, config_flip(hub, "acme/Acme-1", False)).status_code == 202
    again = model(session, "acme/Acme-1")
    assert again is not None and again.visibility == "public" and again.gone_at is None
    assert (again.release_at, again.release_at_source) == (OLD, "created_at_estimate")
    assert again.first_seen_public_at == NOW - timedelta(hours=1)


def test_webhook_received_before_the_poller_saw_the_repo_wins(
    api: TestClient, session: Session, factory: sessionmaker[Session], hub: FakeHub
) -> None:
    hub.make_public("acme/Acme-2")
    polled_at = NOW + timedelta(minutes=10)
    with HubClient(hub.url, None, 2.0, backoff_seconds=0) as client:
        poll_publishers(factory, client, ["acme"], polled_at)
    row = model(session, "acme/Acme-2")
    assert row is not None and (row.release_at, row.release_at_source) == (polled_at, "observed")
    # The delivery was received at NOW (before the poll) but processed after it.
    assert post(api, config_flip(hub, "acme/Acme-2", False)).status_code == 202
    row = model(session, "acme/Acme-2")
    assert row is not None and (row.release_at, row.first_seen_public_at) == (NOW, NOW)
    assert row.release_source_detail and "webhook" in row.release_source_detail


def test_created_public_webhook_records_an_observed_release(
    api: TestClient, session: Session, hub: FakeHub
) -> None:
    hub.add_model("acme", "Acme-3", architectures=["Acme3ForCausalLM"], model_type="acme3", created_at=NOW)
    created = payload(
        "webhook.repo_created.assembled_from_docs.json",
        repo={"name": "acme/Acme-3", "id": hub.hub_id("acme/Acme-3"), "private": False},
    )
    assert post(api, created).status_code == 202
    row = model(session, "acme/Acme-3")
    assert row is not None and (row.release_at, row.release_at_source) == (NOW, "observed")
    assert row.new_architecture and row.new_model_type and row.family == "acme/Acme-3"


def test_move_webhook_to_another_org_follows_the_repo(
    api: TestClient, session: Session, hub: FakeHub
) -> None:
    before = model(session, "acme/Acme-1")
    assert before is not None
    hub.rename("acme/Acme-1", "Qwen/Acme-1")
    moved = payload(
        "webhook.repo_created.assembled_from_docs.json",
        event={"action": "move", "scope": "repo"},
        repo={"name": "acme/Acme-1", "id": hub.hub_id("Qwen/Acme-1")},
        movedTo={"name": "Qwen/Acme-1"},
    )
    assert post(api, moved).status_code == 202
    assert delivery_outcomes(session) == ["refreshed (renamed)"]
    after = model(session, "Qwen/Acme-1")
    assert after is not None and after.id == before.id and after.release_at == before.release_at
    assert (
        after.publisher_id
        == session.execute(select(Publisher.id).where(Publisher.hub_org == "Qwen")).scalar()
    )
    assert after.family == "Qwen/Acme-1" and after.new_architecture
    assert model(session, "acme/Acme-1") is None


@pytest.mark.parametrize("name", ["acme/bad name", "acme/../etc", "acme"])
def test_webhook_for_an_invalid_repo_id_is_recorded_and_asks_the_hub_nothing(
    api: TestClient, session: Session, hub: FakeHub, name: str
) -> None:
    requests_before = len(hub.requests)
    assert (
        post(
            api, payload("webhook.repo_content_push.assembled_from_docs.json", repo={"name": name})
        ).status_code
        == 202
    )
    (outcome,) = delivery_outcomes(session)
    assert outcome.startswith("error:") and "invalid Hub repo id" in outcome
    assert len(hub.requests) == requests_before
    assert session.execute(select(func.count()).select_from(Model)).scalar() == 1


def test_webhooks_keep_families_and_new_architecture_flags_right(
    api: TestClient, session: Session, hub: FakeHub
) -> None:
    # Another watched publisher releases a model of acme's architecture: not new, acme's stays new.
    hub.add_model("Qwen", "Q-1", architectures=["AcmeForCausalLM"], model_type="acme", created_at=NOW)
    created = payload(
        "webhook.repo_created.assembled_from_docs.json",
        repo={"name": "Qwen/Q-1", "id": hub.hub_id("Qwen/Q-1"), "private": False},
    )
    assert post(api, created).status_code == 202
    acme, qwen = model(session, "acme/Acme-1"), model(session, "Qwen/Q-1")
    assert acme is not None and qwen is not None
    assert (acme.family, acme.new_architecture, acme.new_model_type) == ("acme/Acme-1", True, True)
    assert (qwen.family, qwen.new_architecture, qwen.new_model_type) == ("Qwen/Q-1", False, False)
    # acme's repo turns out to be a fine-tune of someone else's model: it leaves the statistics, and
    # Qwen's release is now the first of the architecture.
    hub.model("acme/Acme-1").base_models = [("finetune", "other-org/Base")]
    hub.model("acme/Acme-1").sha = "1" * 40
    push = payload(
        "webhook.repo_content_push.assembled_from_docs.json",
        repo={"name": "acme/Acme-1", "id": hub.hub_id("acme/Acme-1"), "headSha": "1" * 40},
    )
    assert post(api, push).status_code == 202
    acme, qwen = model(session, "acme/Acme-1"), model(session, "Qwen/Q-1")
    assert acme is not None and qwen is not None
    assert acme.is_derivative and (acme.family, acme.new_architecture, acme.new_model_type) == (
        None,
        False,
        False,
    )
    assert (qwen.family, qwen.new_architecture, qwen.new_model_type) == ("Qwen/Q-1", True, True)


def test_a_watched_publisher_is_found_whatever_the_case_of_its_org_name(
    api: TestClient, session: Session, hub: FakeHub
) -> None:
    # The publishers file spells the org "Zeta-Labs"; the Hub's repo name spells it "zeta-labs". Hub org names
    # are case-insensitive, so the webhook is about a watched publisher's model and is processed.
    session.add(Publisher(hub_org="Zeta-Labs", name="Zeta Labs", watched=True))
    session.commit()
    hub.add_model("zeta-labs", "Zeta-1", architectures=["ZetaForCausalLM"], model_type="zeta", created_at=NOW)
    created = payload(
        "webhook.repo_created.assembled_from_docs.json",
        repo={"name": "zeta-labs/Zeta-1", "id": hub.hub_id("zeta-labs/Zeta-1"), "private": False},
    )
    assert post(api, created).status_code == 202
    row = model(session, "zeta-labs/Zeta-1")
    assert row is not None and (row.release_at, row.release_at_source) == (NOW, "observed")
    publisher = session.get(Publisher, row.publisher_id)
    assert publisher is not None and publisher.hub_org == "Zeta-Labs"  # the existing row, not a second one
    assert (
        session.execute(select(func.count()).select_from(Publisher)).scalar()
        == session.execute(
            select(func.count()).select_from(Publisher).where(func.lower(Publisher.hub_org) != "zeta-labs")
        ).scalar()
        + 1
    )

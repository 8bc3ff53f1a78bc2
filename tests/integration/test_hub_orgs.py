"""Publishers named by an operator (``watch hub --org``, ``LAUNCHGAP_HUB_ORGS``) are watched and classified;
``serve``/``watch`` honour ``LAUNCHGAP_HUB_ORGS``, and ``[]`` polls no org."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.models.model import Model
from app.models.publisher import Publisher
from app.services.hub.poll import poll_publishers
from app.services.operations.watcher_loop import WatcherLoop
from app.services.releases.publishers import sync_publishers
from app.sources.hub import HubClient
from tests.fakes.fake_hub import FakeHub
from tests.support.hub import quiet_client, savepoint_sessions

NOW = datetime(2025, 10, 1, 12, 0, tzinfo=UTC)
OLD = datetime(2024, 3, 1, tzinfo=UTC)


@pytest.fixture
def factory(session: Session) -> sessionmaker[Session]:
    return savepoint_sessions(session)


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with FakeHub() as fake:
        # an org the bundled publishers file does not list
        fake.add_model(
            "gammalab", "Gamma-1", architectures=["GammaForCausalLM"], model_type="gamma", created_at=OLD
        )
        fake.add_model(
            "gammalab", "Gamma-1-Chat", architectures=["GammaForCausalLM"], model_type="gamma",
            created_at=OLD + timedelta(hours=2), base_models=["gammalab/Gamma-1"],
        )  # fmt: skip
        yield fake


@pytest.fixture
def client(hub: FakeHub) -> Iterator[HubClient]:
    with quiet_client(hub.url) as hub_client:
        yield hub_client


def _gamma(session: Session) -> dict[str, Model]:
    session.expire_all()
    return {
        m.repo_id: m for m in session.execute(select(Model).where(Model.repo_id.like("gammalab/%"))).scalars()
    }


def test_an_org_named_with_org_is_watched_and_its_releases_classified_across_restarts(
    session: Session, factory: sessionmaker[Session], client: HubClient
) -> None:
    sync_publishers(session, None)
    for cycle in range(2):
        poll_publishers(factory, client, ["gammalab"], NOW + timedelta(hours=cycle))
        rows = _gamma(session)
        assert {r.family for r in rows.values()} == {"gammalab/Gamma-1"}
        assert all(r.new_architecture for r in rows.values())
        # a restart re-reads the publishers file, which does not list gammalab: it stays watched
        sync_publishers(session, None)
        session.expire_all()
        publisher = session.execute(select(Publisher).where(Publisher.hub_org == "gammalab")).scalar_one()
        assert publisher.watched and publisher.named


def test_an_unwatched_publisher_named_later_gets_its_releases_classified(
    session: Session, factory: sessionmaker[Session], client: HubClient
) -> None:
    sync_publishers(session, None)
    session.add(Publisher(hub_org="gammalab", name="Gamma", watched=False))
    session.flush()
    poll_publishers(factory, client, ["gammalab"], NOW)
    assert {r.family for r in _gamma(session).values()} == {"gammalab/Gamma-1"}


def test_watcher_polls_only_hub_orgs_and_none_for_an_empty_list(
    session: Session, factory: sessionmaker[Session], hub: FakeHub
) -> None:
    sync_publishers(session, None)
    base = {"database_url": "sqlite://", "hub_endpoint": hub.url, "hub_max_retry_wait_seconds": 0}
    WatcherLoop(Settings(**base, hub_orgs=[]), factory, clock=lambda: NOW).hub_cycle()
    assert hub.requests == []
    WatcherLoop(Settings(**base, hub_orgs=["gammalab"]), factory, clock=lambda: NOW).hub_cycle()
    assert {r.path for r in hub.requests} == {"/api/models"}
    assert {r.family for r in _gamma(session).values()} == {"gammalab/Gamma-1"}


def test_an_invalid_org_in_the_setting_is_a_clear_error() -> None:
    with pytest.raises(ValidationError, match="invalid Hub org name"):
        Settings(hub_orgs=["bad org!"])

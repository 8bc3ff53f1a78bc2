"""poll_publishers against the fake Hub on both databases: storing, release times, renames, deletions,
rate limits and recovery."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.domain.vocabulary import ReleaseSource
from app.models.model import Model
from app.models.publisher import Publisher
from app.models.source_state import SourceState
from app.services.hub import apply as hub_apply
from app.services.hub.poll import poll_publishers
from app.sources.hub import HubClient
from app.sources.hub.budget import RequestBudget
from app.sources.hub.types import created_at_from_object_id
from tests.fakes.fake_hub import FakeHub
from tests.support.hub import closed_port_url, quiet_client, savepoint_sessions

NOW = datetime(2025, 10, 1, 12, 0, tzinfo=UTC)
OLD = datetime(2024, 3, 1, tzinfo=UTC)


@pytest.fixture
def factory(session: Session) -> sessionmaker[Session]:
    return savepoint_sessions(session)


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with FakeHub(page_size=2) as fake:
        fake.add_model("acme", "Acme-1-Base", architectures=["AcmeForCausalLM"], model_type="acme",
                       created_at=OLD, parameters=7_000_000_000)  # fmt: skip
        fake.add_model("acme", "Acme-1-Instruct", architectures=["AcmeForCausalLM"], model_type="acme",
                       created_at=OLD + timedelta(hours=3), base_models=["acme/Acme-1-Base"])  # fmt: skip
        fake.add_model("acme", "Acme-0", architectures=["LlamaForCausalLM"], model_type="llama",
                       created_at=OLD - timedelta(days=300))  # fmt: skip
        fake.add_model("beta", "Beta-7B", architectures=["BetaForCausalLM"], model_type="beta",
                       created_at=OLD + timedelta(days=10), auto_map=True)  # fmt: skip
        fake.add_model("beta", "Acme-1-Instruct-AWQ", architectures=["AcmeForCausalLM"], model_type="acme",
                       created_at=OLD + timedelta(days=2), base_models=[("quantized", "acme/Acme-1-Instruct")])  # fmt: skip
        yield fake


@pytest.fixture
def client(hub: FakeHub) -> Iterator[HubClient]:
    with quiet_client(hub.url) as hub_client:
        yield hub_client


def models(session: Session) -> dict[str, Model]:
    session.expire_all()
    return {m.repo_id: m for m in session.execute(select(Model)).scalars()}


def state(session: Session, org: str) -> SourceState:
    session.expire_all()
    return session.execute(
        select(SourceState).where(SourceState.kind == "hub_publisher", SourceState.name == org)
    ).scalar_one()


def test_first_cycle_stores_models_with_created_at_estimates(
    session: Session, factory: sessionmaker[Session], hub: FakeHub, client: HubClient
) -> None:
    report = poll_publishers(factory, client, ["acme", "beta"], NOW)
    assert report.ok, report.results
    assert [r.new for r in report.results] == [3, 2]
    rows = models(session)
    assert set(rows) == {
        "acme/Acme-1-Base",
        "acme/Acme-1-Instruct",
        "acme/Acme-0",
        "beta/Beta-7B",
        "beta/Acme-1-Instruct-AWQ",
    }
    base = rows["acme/Acme-1-Base"]
    assert base.hub_id == hub.hub_id("acme/Acme-1-Base")
    assert (base.release_at, base.release_at_source) == (OLD, ReleaseSource.CREATED_AT_ESTIMATE)
    assert base.first_seen_public_at == NOW and base.parameters == 7_000_000_000
    assert (
        base.publisher_id == session.execute(select(Publisher.id).where(Publisher.hub_org == "acme")).scalar()
    )
    instruct = rows["acme/Acme-1-Instruct"]
    assert not instruct.is_derivative and instruct.family == base.family == "acme/Acme-1-Base"
    assert base.new_architecture and instruct.new_architecture
    assert rows["beta/Acme-1-Instruct-AWQ"].is_derivative and rows["beta/Acme-1-Instruct-AWQ"].family is None
    assert rows["beta/Beta-7B"].uses_remote_code
    assert rows["acme/Acme-0"].new_architecture  # the first LlamaForCausalLM LaunchGap knows of
    st = state(session, "acme")
    assert st.last_success_at == NOW and st.last_error is None and st.cursor["complete_listing_at"]


def test_second_cycle_is_idempotent_and_new_repo_is_observed_whatever_its_created_at(
    session: Session, factory: sessionmaker[Session], hub: FakeHub, client: HubClient
) -> None:
    poll_publishers(factory, client, ["acme"], NOW)
    report = poll_publishers(factory, client, ["acme"], NOW + timedelta(minutes=15))
    assert report.results[0].new == 0 and report.results[0].updated == 0
    assert len(models(session)) == 3
    # Created long ago (privately), made public now: it sorts deep in the list but is still seen.
    hub.add_model(
        "acme",
        "Acme-2",
        architectures=["Acme2ForCausalLM"],
        model_type="acme2",
        created_at=OLD - timedelta(days=30),
        private=True,
    )
    poll_publishers(factory, client, ["acme"], NOW + timedelta(minutes=30))
    assert "acme/Acme-2" not in models(session)
    hub.make_public("acme/Acme-2")
    seen_at = NOW + timedelta(minutes=45)
    poll_publishers(factory, client, ["acme"], seen_at)
    row = models(session)["acme/Acme-2"]
    assert (row.release_at, row.release_at_source, row.release_at_precision) == (
        seen_at,
        ReleaseSource.OBSERVED,
        "second",
    )
    assert row.new_architecture


def test_cycle_cut_short_by_rate_limit_does_not_make_old_repos_look_new(
    session: Session, factory: sessionmaker[Session], hub: FakeHub
) -> None:
    budget_client = HubClient(hub.url, None, 2.0, budget=RequestBudget(1), backoff_seconds=0)
    with budget_client:
        report = poll_publishers(factory, budget_client, ["acme", "beta"], NOW)
    assert report.rate_limited
    assert [r.status for r in report.results] == ["partial", "deferred"]
    assert state(session, "acme").last_error and "rate limit" in state(session, "acme").last_error
    assert "complete_listing_at" not in state(session, "acme").cursor
    assert len([m for m in models(session).values() if m.repo_id.startswith("acme/")]) == 2
    # Next cycle (fresh budget) completes: the rest are still first-listing estimates, not "observed".
    with HubClient(hub.url, None, 2.0, backoff_seconds=0) as fresh:
        report = poll_publishers(factory, fresh, ["acme", "beta"], NOW + timedelta(minutes=15))
    assert report.ok
    rows = models(session)
    assert all(m.release_at_source == ReleaseSource.CREATED_AT_ESTIMATE for m in rows.values())
    assert state(session, "acme").last_error is None


def test_rename_deletion_private_again_and_back(
    session: Session, factory: sessionmaker[Session], hub: FakeHub, client: HubClient
) -> None:
    poll_publishers(factory, client, ["acme"], NOW)
    before = models(session)
    hub.rename("acme/Acme-1-Instruct", "acme/Acme-1-Chat")
    hub.delete("acme/Acme-0")
    hub.make_private("acme/Acme-1-Base")
    later = NOW + timedelta(hours=1)
    report = poll_publishers(factory, client, ["acme"], later)
    assert report.ok
    assert (report.results[0].renamed, report.results[0].gone) == (1, 2)
    rows = models(session)
    chat = rows["acme/Acme-1-Chat"]
    assert chat.id == before["acme/Acme-1-Instruct"].id and "acme/Acme-1-Instruct" not in rows
    assert chat.release_at == before["acme/Acme-1-Instruct"].release_at
    assert rows["acme/Acme-0"].visibility == "gone" and rows["acme/Acme-0"].gone_at == later
    assert rows["acme/Acme-1-Base"].visibility == "gone"
    hub.make_public("acme/Acme-1-Base")
    poll_publishers(factory, client, ["acme"], later + timedelta(hours=1))
    base = models(session)["acme/Acme-1-Base"]
    assert base.visibility == "public" and base.gone_at is None
    assert base.release_at == OLD  # made public again is not a new release


def test_moved_to_another_org_follows_the_repo(
    session: Session, factory: sessionmaker[Session], hub: FakeHub, client: HubClient
) -> None:
    poll_publishers(factory, client, ["acme"], NOW)
    hub.rename("acme/Acme-0", "acme-legacy/Acme-0")
    poll_publishers(factory, client, ["acme"], NOW + timedelta(hours=1))
    row = models(session)["acme-legacy/Acme-0"]
    assert row.visibility == "public"
    assert (
        row.publisher_id
        == session.execute(select(Publisher.id).where(Publisher.hub_org == "acme-legacy")).scalar()
    )


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (lambda hub: hub.fail_next(500, times=10), "500"),
        (lambda hub: hub.malformed_next(), "malformed JSON"),
        (lambda hub: hub.fail_next(401), "401"),
        (lambda hub: hub.fail_next(403), "403"),
        (lambda hub: hub.fail_next(404, path_contains="/api/models"), "not found"),
        (lambda hub: hub.rate_limit_next(reset=120), "rate limit"),
        (lambda hub: hub.oversized_next(2_000_000), "cap"),
    ],
)
def test_faults_are_recorded_and_the_next_cycle_recovers(
    session: Session,
    factory: sessionmaker[Session],
    hub: FakeHub,
    fault,
    expected: str,  # type: ignore[no-untyped-def]
) -> None:
    with quiet_client(hub.url, max_retries=1, max_body_bytes=1_000_000) as client:
        poll_publishers(factory, client, ["acme"], NOW)
        fault(hub)
        report = poll_publishers(factory, client, ["acme"], NOW + timedelta(minutes=15))
        assert not report.ok and expected in (report.results[0].error or "")
        st = state(session, "acme")
        assert expected in (st.last_error or "") and st.consecutive_errors == 1 and st.next_check_at
        assert len(models(session)) == 3 and all(m.visibility == "public" for m in models(session).values())
        hub.clear_faults()
        client.budget._blocked_until = 0.0  # the Hub's wait is over by the next cycle
        assert poll_publishers(factory, client, ["acme"], NOW + timedelta(hours=1)).ok
    assert state(session, "acme").last_error is None and len(models(session)) == 3


def test_unknown_org_is_reported(session: Session, factory: sessionmaker[Session], client: HubClient) -> None:
    report = poll_publishers(factory, client, ["acme", "ghost-org", "bad/name"], NOW)
    statuses = {r.org: r.status for r in report.results}
    assert statuses == {"acme": "ok", "ghost-org": "not_found"}
    assert report.problems and "bad/name" in report.problems[0]
    assert "does not exist" in (state(session, "ghost-org").last_error or "")


def test_rejected_items_are_reported_and_the_rest_kept(
    session: Session, factory: sessionmaker[Session], hub: FakeHub, client: HubClient
) -> None:
    poll_publishers(factory, client, ["acme"], NOW)
    listing = [
        {"_id": "6698d8a0653e4babe21e1e7d", "id": "acme/Good", "createdAt": "2024-07-18T08:56:00.000Z"},
        {"id": "acme/No-Id"},
        {"_id": "not-an-object-id", "id": "acme/Bad-Id"},
        {"_id": "6698d8a0653e4babe21e1e70", "id": "acme/../etc"},
        {"_id": "6698d8a0653e4babe21e1e71", "id": "acme/bad name"},
        {"_id": "6698d8a0653e4babe21e1e72", "id": "acme/a/b"},
        {"_id": "6698d8a0653e4babe21e1e73"},
        "not an object",
        # Keyable, with fields of unexpected types: kept, the odd fields dropped with a note.
        {
            "_id": "6698d8a0653e4babe21e1e74",
            "id": "acme/Odd",
            "createdAt": "yesterday",
            "config": ["not", "a", "dict"],
            "tags": "text-generation",
            "safetensors": {"total": "many"},
            "brandNewField": {"x": 1},
        },
    ]
    hub.fail_next(200, path_contains="/api/models", body=json.dumps(listing))
    report = poll_publishers(factory, client, ["acme"], NOW + timedelta(minutes=15))
    result = report.results[0]
    assert result.status == "partial" and "7 listing item(s) rejected" in (result.error or "")
    assert "acme/../etc" in (result.error or "") and "not-an-object-id" in (result.error or "")
    st = state(session, "acme")
    assert "rejected" in (st.last_error or "") and st.consecutive_errors == 1
    rows = models(session)
    assert {"acme/Good", "acme/Odd"} <= set(rows) and not any(".." in r or " " in r for r in rows)
    odd = rows["acme/Odd"]
    assert odd.architectures == [] and odd.tags == [] and odd.parameters is None
    assert odd.created_at == created_at_from_object_id(
        "6698d8a0653e4babe21e1e74"
    )  # the _id's time, createdAt unusable
    assert len(odd.hub_extra["problems"]) >= 3
    # The listing was not trusted to say what vanished: acme's real models are untouched.
    assert all(rows[r].visibility == "public" for r in ("acme/Acme-0", "acme/Acme-1-Base"))
    assert poll_publishers(factory, client, ["acme"], NOW + timedelta(minutes=30)).ok
    assert state(session, "acme").last_error is None


def _imported_acme(repo_id: str, release_at: datetime, **columns: str) -> Model:
    """A row the release-facts import made (day precision, no Hub id yet) for an AcmeForCausalLM repo."""
    return Model(
        repo_id=repo_id,
        architectures=["AcmeForCausalLM"],
        model_type="acme",
        release_at=release_at,
        release_at_source="imported",
        release_at_precision="day",
        hub_extra={"imported": {"architecture": "AcmeForCausalLM", "model_type": "acme"}},
        **columns,
    )


def test_imported_placeholder_takes_its_hub_id(
    session: Session, factory: sessionmaker[Session], hub: FakeHub, client: HubClient
) -> None:
    session.add(_imported_acme("acme/Acme-1-Base", OLD + timedelta(days=3)))
    session.flush()  # same connection: the poller's sessions see it; the test's rollback removes it
    poll_publishers(factory, client, ["acme"], NOW)
    row = models(session)["acme/Acme-1-Base"]
    assert row.hub_id == hub.hub_id("acme/Acme-1-Base")
    assert (row.release_at_source, row.release_at_precision) == ("imported", "day")
    assert row.release_conflict is None
    assert len([m for m in models(session).values() if m.repo_id == "acme/Acme-1-Base"]) == 1


# -- renames and names taken over within one cycle (matched in memory, flushed in a batch) ---------------


@pytest.mark.parametrize("newcomer_created", [NOW - timedelta(days=1), OLD - timedelta(days=900)])
def test_a_new_repo_takes_the_name_of_one_renamed_in_the_same_cycle(
    session: Session,
    factory: sessionmaker[Session],
    hub: FakeHub,
    client: HubClient,
    newcomer_created: datetime,
) -> None:
    # The newcomer sorts first (newest) or last (oldest): both orders of matching must give the same rows.
    poll_publishers(factory, client, ["acme"], NOW)
    old = models(session)["acme/Acme-1-Instruct"]
    old_id, old_hub_id, old_release = old.id, old.hub_id, old.release_at
    hub.rename("acme/Acme-1-Instruct", "acme/Acme-1-Chat")
    hub.add_model(
        "acme",
        "Acme-1-Instruct",
        architectures=["Acme3ForCausalLM"],
        model_type="acme3",
        created_at=newcomer_created,
    )
    later = NOW + timedelta(hours=1)
    report = poll_publishers(factory, client, ["acme"], later)
    assert report.ok, report.results
    assert (report.results[0].new, report.results[0].renamed, report.results[0].gone) == (1, 1, 0)
    rows = models(session)
    assert len(rows) == 4 and not [r for r in rows if "#" in r]
    chat = rows["acme/Acme-1-Chat"]
    assert (chat.id, chat.hub_id, chat.release_at, chat.visibility) == (
        old_id,
        old_hub_id,
        old_release,
        "public",
    )
    newcomer = rows["acme/Acme-1-Instruct"]
    assert newcomer.id != old_id and newcomer.hub_id == hub.hub_id("acme/Acme-1-Instruct")
    assert (newcomer.release_at, newcomer.release_at_source) == (later, ReleaseSource.OBSERVED)
    # The next cycle changes nothing.
    again = poll_publishers(factory, client, ["acme"], later + timedelta(minutes=15)).results[0]
    assert (again.new, again.updated, again.renamed, again.gone) == (0, 0, 0, 0)


def test_two_repos_swapping_names_keep_their_rows(
    session: Session, factory: sessionmaker[Session], hub: FakeHub, client: HubClient
) -> None:
    poll_publishers(factory, client, ["acme"], NOW)
    before = {m.hub_id: m.id for m in models(session).values()}
    hub.rename("acme/Acme-1-Base", "acme/tmp")
    hub.rename("acme/Acme-1-Instruct", "acme/Acme-1-Base")
    hub.rename("acme/tmp", "acme/Acme-1-Instruct")
    report = poll_publishers(factory, client, ["acme"], NOW + timedelta(hours=1))
    assert report.ok and report.results[0].renamed == 2
    rows = models(session)
    assert {m.hub_id: m.id for m in rows.values()} == before
    assert rows["acme/Acme-1-Base"].hub_id == hub.hub_id("acme/Acme-1-Base")
    assert rows["acme/Acme-1-Instruct"].hub_id == hub.hub_id("acme/Acme-1-Instruct")
    assert all(m.visibility == "public" for m in rows.values())


def test_repo_moved_in_from_another_watched_org_is_matched_by_hub_id(
    session: Session,
    factory: sessionmaker[Session],
    hub: FakeHub,
    client: HubClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Tiny IN lists: the rows outside the org are found across several chunked queries.
    monkeypatch.setattr(hub_apply, "_IN_CHUNK", 1)
    poll_publishers(factory, client, ["acme", "beta"], NOW)
    moved = models(session)["beta/Beta-7B"]
    moved_id, release = moved.id, moved.release_at
    hub.rename("beta/Beta-7B", "acme/Beta-7B")
    report = poll_publishers(factory, client, ["acme"], NOW + timedelta(hours=1))
    assert report.ok and report.results[0].renamed == 1 and report.results[0].new == 0
    row = models(session)["acme/Beta-7B"]
    assert (row.id, row.release_at, row.visibility) == (moved_id, release, "public")
    assert (
        row.publisher_id == session.execute(select(Publisher.id).where(Publisher.hub_org == "acme")).scalar()
    )
    # beta's next complete listing no longer has it, and must not call it gone: it belongs to acme now.
    report = poll_publishers(factory, client, ["beta"], NOW + timedelta(hours=2))
    assert report.ok and report.results[0].gone == 0
    assert models(session)["acme/Beta-7B"].visibility == "public"


def test_rename_onto_an_imported_row_merges_the_imported_fact(
    session: Session, factory: sessionmaker[Session], hub: FakeHub, client: HubClient
) -> None:
    poll_publishers(factory, client, ["acme"], NOW)
    instruct = models(session)["acme/Acme-1-Instruct"]
    instruct_id = instruct.id
    imported_at = OLD + timedelta(days=1)
    session.add(
        _imported_acme("acme/Acme-1-Chat", imported_at, release_source_detail="https://example.org/blog")
    )
    session.flush()
    hub.rename("acme/Acme-1-Instruct", "acme/Acme-1-Chat")
    report = poll_publishers(factory, client, ["acme"], NOW + timedelta(hours=1))
    assert report.ok and report.results[0].renamed == 1
    rows = models(session)
    assert len(rows) == 3
    chat = rows["acme/Acme-1-Chat"]
    assert chat.id == instruct_id  # the Hub row is kept, the imported placeholder folded into it
    assert (chat.release_at, chat.release_at_source, chat.release_at_precision) == (
        imported_at,
        "imported",
        "day",
    )
    assert chat.hub_extra["imported"]["model_type"] == "acme"


def test_imported_rows_of_a_large_org_are_matched_across_chunks(
    session: Session,
    factory: sessionmaker[Session],
    hub: FakeHub,
    client: HubClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(hub_apply, "_IN_CHUNK", 2)
    for i in range(5):
        hub.add_model("gamma", f"G-{i}", architectures=["GForCausalLM"], model_type="g", created_at=OLD)
    for i in (0, 4):  # imported before any poll, without hub_id or publisher
        session.add(Model(repo_id=f"gamma/G-{i}", release_at=OLD, release_at_source="imported"))
    session.flush()
    report = poll_publishers(factory, client, ["gamma"], NOW)
    assert report.ok and report.results[0].new == 3 and report.results[0].updated == 2
    rows = models(session)
    assert sorted(rows) == [f"gamma/G-{i}" for i in range(5)]
    assert all(r.hub_id == hub.hub_id(r.repo_id) for r in rows.values())
    assert [rows[f"gamma/G-{i}"].release_at_source for i in range(5)] == [
        "imported",
        ReleaseSource.CREATED_AT_ESTIMATE,
        ReleaseSource.CREATED_AT_ESTIMATE,
        ReleaseSource.CREATED_AT_ESTIMATE,
        "imported",
    ]


# -- faults at the cycle level -------------------------------------------------------------------------


def test_timeout_is_recorded_and_the_next_cycle_recovers(
    session: Session, factory: sessionmaker[Session], hub: FakeHub
) -> None:
    with quiet_client(hub.url, 0.5, max_retries=1) as client:
        hub.slow_next(1.5, times=2, path_contains="/api/models")
        report = poll_publishers(factory, client, ["acme"], NOW)
        assert report.results[0].status == "error" and "timed out" in (report.results[0].error or "")
        st = state(session, "acme")
        assert "timed out" in (st.last_error or "") and st.consecutive_errors == 1 and st.next_check_at
        assert models(session) == {}
        assert poll_publishers(factory, client, ["acme"], NOW + timedelta(minutes=5)).ok
    assert len(models(session)) == 3 and state(session, "acme").last_error is None
    # Never completely listed before the timeout: the first complete listing gives estimates, not "observed".
    assert all(m.release_at_source == ReleaseSource.CREATED_AT_ESTIMATE for m in models(session).values())


def test_connection_refused_is_recorded_and_nothing_is_lost(
    session: Session, factory: sessionmaker[Session], hub: FakeHub, client: HubClient
) -> None:
    poll_publishers(factory, client, ["acme"], NOW)
    with quiet_client(closed_port_url(), 1.0, max_retries=1) as down:
        report = poll_publishers(factory, down, ["acme"], NOW + timedelta(minutes=15))
    assert report.results[0].status == "error" and "cannot reach" in (report.results[0].error or "")
    assert "cannot reach" in (state(session, "acme").last_error or "")
    assert len(models(session)) == 3 and all(m.visibility == "public" for m in models(session).values())
    assert poll_publishers(factory, client, ["acme"], NOW + timedelta(minutes=30)).ok
    assert state(session, "acme").last_error is None and state(session, "acme").consecutive_errors == 0


def test_an_unreachable_hub_ends_the_cycle_instead_of_waiting_for_every_org(
    session: Session, factory: sessionmaker[Session]
) -> None:
    with quiet_client(closed_port_url(), 1.0, max_retries=1) as down:
        report = poll_publishers(factory, down, ["acme", "beta", "gamma"], NOW)
        assert down.requests_sent <= 2  # the first org's attempts only
    assert [r.status for r in report.results] == ["error", "deferred", "deferred"]
    assert "could not be reached" in (report.results[1].error or "")
    assert "cannot reach" in (state(session, "acme").last_error or "")


def test_failed_confirmation_of_a_vanished_repo_marks_nothing_gone_until_it_succeeds(
    session: Session, factory: sessionmaker[Session], hub: FakeHub
) -> None:
    with quiet_client(hub.url, max_retries=1) as client:
        poll_publishers(factory, client, ["acme"], NOW)
        hub.delete("acme/Acme-0")
        hub.fail_next(500, times=2, path_contains="/api/models/acme/Acme-0")
        report = poll_publishers(factory, client, ["acme"], NOW + timedelta(minutes=15))
        assert report.results[0].status == "partial" and "500" in (report.results[0].error or "")
        assert "500" in (state(session, "acme").last_error or "")
        assert models(session)["acme/Acme-0"].visibility == "public"
        later = NOW + timedelta(minutes=30)
        report = poll_publishers(factory, client, ["acme"], later)
    assert report.ok and report.results[0].gone == 1
    row = models(session)["acme/Acme-0"]
    assert (row.visibility, row.gone_at) == ("gone", later)


def test_a_name_freed_by_a_newer_row_is_taken_by_an_older_one_in_the_same_cycle(
    session: Session, factory: sessionmaker[Session], hub: FakeHub, client: HubClient
) -> None:
    # The newer row (higher primary key, listed first) leaves a name the older row then takes: the
    # database must see the first rename before the second, whatever order UPDATEs are flushed in.
    poll_publishers(factory, client, ["acme"], NOW)
    hub.add_model("acme", "Acme-3", architectures=["Acme3ForCausalLM"], created_at=NOW - timedelta(days=1))
    poll_publishers(factory, client, ["acme"], NOW + timedelta(minutes=15))
    ids = {m.repo_id: m.id for m in models(session).values()}
    assert ids["acme/Acme-3"] > ids["acme/Acme-0"]
    hub.rename("acme/Acme-3", "acme/Acme-3-Preview")
    hub.rename("acme/Acme-0", "acme/Acme-3")
    report = poll_publishers(factory, client, ["acme"], NOW + timedelta(minutes=30))
    assert report.ok and report.results[0].renamed == 2
    rows = models(session)
    assert rows["acme/Acme-3-Preview"].id == ids["acme/Acme-3"]
    assert rows["acme/Acme-3"].id == ids["acme/Acme-0"]


def test_remote_code_at_launch_is_kept_when_the_repo_drops_it_later(
    session: Session, factory: sessionmaker[Session], hub: FakeHub, client: HubClient
) -> None:
    poll_publishers(factory, client, ["beta"], NOW)
    assert models(session)["beta/Beta-7B"].uses_remote_code
    hub.model("beta/Beta-7B").auto_map = False  # Transformers gained the architecture; the repo followed
    report = poll_publishers(factory, client, ["beta"], NOW + timedelta(days=30))
    assert report.ok and report.results[0].updated == 1  # its tags lost custom_code
    row = models(session)["beta/Beta-7B"]
    assert row.uses_remote_code and row.hub_extra["auto_map_now"] is False

"""HubClient against the fake Hub over real HTTP on 127.0.0.1: pagination, expand, faults."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from app.sources.hub import (
    HubBadResponse,
    HubClient,
    HubError,
    HubPublisherNotFound,
    HubRateLimited,
    HubRepoNotFound,
    HubUnavailable,
)
from app.sources.hub.budget import RequestBudget
from app.sources.hub.types import EXPAND_FIELDS, InvalidName
from tests.fakes.fake_hub import FakeHub

T0 = datetime(2025, 6, 1, tzinfo=UTC)


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with FakeHub(page_size=2) as fake:
        for i in range(5):
            fake.add_model(
                "acme",
                f"Model-{i}",
                architectures=["AcmeForCausalLM"],
                model_type="acme",
                created_at=T0 + timedelta(days=i),
                parameters=1000 + i,
            )
        yield fake


_open: list[HubClient] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _open:
        _open.pop().close()


def client_for(url: str, token: str | None = None, timeout: float = 2.0, **kwargs: object) -> HubClient:
    options: dict[str, object] = {"backoff_seconds": 0.0, "sleep": lambda _s: None}
    options.update(kwargs)
    client = HubClient(url, token, timeout, **options)  # type: ignore[arg-type]
    _open.append(client)
    return client


def make_client(hub: FakeHub, **kwargs: object) -> HubClient:
    return client_for(hub.url, **kwargs)


def test_lists_every_page_with_expand_and_absolute_links(hub: FakeHub) -> None:
    listing = make_client(hub).list_publisher_models("acme")
    assert listing.complete and listing.pages == 3
    assert sorted(m.repo_id for m in listing.models) == [f"acme/Model-{i}" for i in range(5)]
    first = hub.requests_to("/api/models")[0]
    assert first.param("author") == ["acme"]
    assert first.param("expand") == list(EXPAND_FIELDS)
    assert first.param("limit") == ["1000"]  # a page size on the raw API, not a total cap
    assert all(r.param("expand") == list(EXPAND_FIELDS) for r in hub.requests_to("/api/models"))


def test_no_token_means_no_authorization_header(hub: FakeHub) -> None:
    make_client(hub).list_publisher_models("acme")
    assert all("authorization" not in r.headers for r in hub.requests)


def test_token_goes_only_to_the_endpoint(hub: FakeHub) -> None:
    with FakeHub() as elsewhere:
        # A listing whose Link points to another host must not get our token (nor be followed).
        hub.fail_next(
            200,
            body=b"[]",
            headers={"Link": f'<{elsewhere.url}/api/models?cursor=1>; rel="next"'},
            path_contains="/api/models",
        )
        client = client_for(hub.url, "hf_secret")
        with pytest.raises(HubBadResponse, match="leaves the endpoint"):
            client.list_publisher_models("acme")
        assert hub.requests[-1].headers["authorization"] == "Bearer hf_secret"
        assert elsewhere.requests == []


def test_unknown_org_is_reported_not_treated_as_empty(hub: FakeHub) -> None:
    with pytest.raises(HubPublisherNotFound):
        make_client(hub).list_publisher_models("no-such-org")
    hub.add_org("empty-org")
    listing = make_client(hub).list_publisher_models("empty-org")
    assert listing.complete and listing.models == ()


def test_model_info_follows_a_rename(hub: FakeHub) -> None:
    hub.rename("acme/Model-1", "acme/Model-1-renamed")
    info = make_client(hub).model_info("acme/Model-1")
    assert info.repo_id == "acme/Model-1-renamed"
    assert info.hub_id == hub.hub_id("acme/Model-1-renamed")


@pytest.mark.parametrize("status", [401, 403])
def test_auth_refusals_are_clear(hub: FakeHub, status: int) -> None:
    hub.fail_next(status, path_contains="/api/models")
    with pytest.raises(HubUnavailable, match=f"HTTP {status}"):
        make_client(hub).list_publisher_models("acme")


def test_404_and_private_repos_are_not_found(hub: FakeHub) -> None:
    hub.make_private("acme/Model-2")
    client = make_client(hub)
    with pytest.raises(HubRepoNotFound):
        client.model_info("acme/Model-2")
    with pytest.raises(HubRepoNotFound):
        client.model_info("acme/nothing-here")


def test_server_errors_are_retried_then_succeed(hub: FakeHub) -> None:
    hub.fail_next(500, times=2, path_contains="/api/models/acme")
    info = make_client(hub).model_info("acme/Model-0")
    assert info.repo_id == "acme/Model-0"
    assert len(hub.requests_to("/api/models/acme/Model-0")) == 3


def test_server_errors_give_up_after_the_retries(hub: FakeHub) -> None:
    hub.fail_next(503, times=10, path_contains="/api/models/acme")
    with pytest.raises(HubUnavailable, match="503"):
        make_client(hub, max_retries=2).model_info("acme/Model-0")
    assert len(hub.requests_to("/api/models/acme/Model-0")) == 3


def test_short_rate_limit_is_waited_out_in_model_info(hub: FakeHub) -> None:
    waits: list[float] = []
    hub.rate_limit_next(reset=1, path_contains="/api/models/acme")
    info = make_client(hub, sleep=waits.append).model_info("acme/Model-0")
    assert info.repo_id == "acme/Model-0" and waits == [2.0]


def test_long_rate_limit_raises_with_retry_after_and_blocks_the_budget(hub: FakeHub) -> None:
    hub.rate_limit_next(reset=55)
    client = make_client(hub)
    with pytest.raises(HubRateLimited) as info:
        client.model_info("acme/Model-0")
    assert info.value.retry_after == 56
    count = len(hub.requests)
    with pytest.raises(HubRateLimited):
        client.model_info("acme/Model-0")
    assert len(hub.requests) == count  # the budget refused without asking the Hub


def test_retry_after_header_is_honoured(hub: FakeHub) -> None:
    hub.fail_next(429, headers={"Retry-After": "120"})
    with pytest.raises(HubRateLimited) as info:
        make_client(hub).model_info("acme/Model-0")
    assert info.value.retry_after == 121


def test_rate_limit_mid_listing_keeps_the_pages_read(hub: FakeHub) -> None:
    client = make_client(hub)
    client.list_publisher_models("acme")
    hub.requests.clear()
    # Let page one through, then limit page two (a later page's URL carries the Hub's cursor).
    hub.rate_limit_next(reset=100, query_contains="cursor=")
    listing = client.list_publisher_models("acme")
    assert not listing.complete and listing.pages == 1 and len(listing.models) == 2
    assert isinstance(listing.error, HubRateLimited)


def test_own_budget_stops_before_the_hub_does(hub: FakeHub) -> None:
    client = make_client(hub, budget=RequestBudget(2))
    listing = client.list_publisher_models("acme")
    assert not listing.complete and listing.pages == 2
    assert isinstance(listing.error, HubRateLimited)
    assert len(hub.requests) == 2


def test_malformed_json_is_a_clear_error(hub: FakeHub) -> None:
    hub.malformed_next(path_contains="/api/models")
    with pytest.raises(HubBadResponse, match="malformed JSON"):
        make_client(hub).list_publisher_models("acme")


def test_listing_that_is_not_an_array(hub: FakeHub) -> None:
    hub.fail_next(200, body=b'{"error": "surprise"}', path_contains="/api/models")
    with pytest.raises(HubBadResponse, match="not a JSON array"):
        make_client(hub).list_publisher_models("acme")


def test_oversized_body_is_refused(hub: FakeHub) -> None:
    hub.oversized_next(50_000)
    with pytest.raises(HubBadResponse, match="cap"):
        make_client(hub, max_body_bytes=10_000).list_publisher_models("acme")


def test_slow_response_times_out_and_retry_recovers(hub: FakeHub) -> None:
    hub.slow_next(1.5, path_contains="/api/models/acme")
    client = client_for(hub.url, timeout=0.5)
    assert client.model_info("acme/Model-0").repo_id == "acme/Model-0"
    hub.slow_next(1.5, times=5, path_contains="/api/models/acme")
    with pytest.raises(HubUnavailable, match="timed out"):
        client_for(hub.url, timeout=0.5, max_retries=1).model_info("acme/Model-0")


def test_connection_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = client_for(f"http://127.0.0.1:{port}", timeout=1.0)
    with pytest.raises(HubUnavailable, match="cannot reach"):
        client.list_publisher_models("acme")


def test_unknown_expand_value_is_a_hub_error(hub: FakeHub) -> None:
    client = make_client(hub)
    with pytest.raises(HubError, match="400"):
        client._get(f"{hub.url}/api/models", [("expand", "nonsense")])


@pytest.mark.parametrize("bad", ["a/b/c", "../../etc", "", "a b/c"])
def test_invalid_repo_ids_never_reach_the_hub(hub: FakeHub, bad: str) -> None:
    with pytest.raises(InvalidName):
        make_client(hub).model_info(bad)
    assert hub.requests == []

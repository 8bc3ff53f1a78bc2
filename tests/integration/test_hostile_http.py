"""Hostile input, round two, on the HTTP surface (issue 23): slow receivers, invented request methods,
unknown page parameters, revoked tokens' watches, what the SSRF guard says and embedded IPv4 addresses."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from app.api.deps import get_session
from app.db.session import session_factory, session_scope
from app.domain.vocabulary import AttemptOutcome
from app.main import create_app
from app.metrics import REGISTRY
from app.models import ApiToken, Watch
from app.services.tokens import revoke_token
from app.services.watches.sender import DeliverySender
from app.sources.outbound.client import post_json
from app.sources.outbound.guard import RefusedTarget, resolve_target
from tests.integration.test_dashboard_pages import client as dashboard  # noqa: F401  (seeded dashboard)
from tests.integration.test_watch_sender import T0, Clock, _delivery, _owe, _watch, engine  # noqa: F401
from tests.integration.test_watches_api import BODY, _auth
from tests.integration.test_watches_api import client as watches_api  # noqa: F401

from ..support.receiver import drip_receiver, receiver

# --- 3. one total deadline per delivery; one receiver never delays another's ------------------------------

SLOW_HEADERS = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
SLOW_BODY_HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"


@pytest.mark.parametrize(
    ("head", "answer", "outcome"),
    [(b"", SLOW_HEADERS, AttemptOutcome.FAILED), (SLOW_BODY_HEAD, b"x" * 100000, AttemptOutcome.DELIVERED)],
    ids=["dripping-headers", "dripping-body"],
)
def test_a_dripping_receiver_is_cut_off_at_the_total_deadline(
    head: bytes, answer: bytes, outcome: AttemptOutcome
) -> None:
    """Each byte arrives 0.1 s after the last (every read well inside the timeout): the attempt still ends at
    its deadline. Headers that never finish are a failure; a 2xx whose body drips is delivered, body cut."""
    with drip_receiver(answer, head=head, interval=0.1, give_up_after=12) as slow:
        began = time.monotonic()
        result = post_json(slow.url, b"{}", {}, allow_private=True, timeout=1.0)
        elapsed = time.monotonic() - began
    assert elapsed < 3.0, f"the attempt took {elapsed:.1f} s for a 1 s deadline"  # (before: 10 s and more)
    assert result.outcome == outcome, result
    if outcome == AttemptOutcome.FAILED:
        assert result.status_code is None and "Timeout" in (result.error or "")
    else:
        assert result.status_code == 200 and result.excerpt and set(result.excerpt) == {"x"}


def test_a_slow_receiver_does_not_delay_another_receivers_delivery(engine: Engine) -> None:  # noqa: F811
    factory = session_factory(engine)
    with drip_receiver(SLOW_HEADERS, interval=0.2) as slow, receiver() as healthy:
        _owe(factory, _watch(factory, slow.url), count=3)  # due first
        [healthy_id] = _owe(factory, _watch(factory, healthy.url), at=T0 + timedelta(seconds=1))
        sender = DeliverySender(
            factory, owner="p", allow_private=True, clock=Clock(T0 + timedelta(minutes=1)), timeout=3.0
        )
        began = time.monotonic()
        done: list[int] = []
        worker = threading.Thread(target=lambda: done.append(sender.run_once()))
        worker.start()
        while not healthy.received and time.monotonic() - began < 10:
            time.sleep(0.02)
        healthy_after = time.monotonic() - began
        worker.join(timeout=30)
        total = time.monotonic() - began
    # In turn it would wait a whole 3 s deadline behind each slow delivery.
    assert healthy_after < 2.5, f"the healthy receiver waited {healthy_after:.1f} s behind the slow one"
    assert _delivery(factory, healthy_id)[0].state == "delivered"
    # The slow receiver cost one deadline, not one per delivery: its other deliveries wait for the next run.
    assert slow.connections == 1 and done == [2] and total < 8.0


# --- 4. what a receiver answers is stored cleaned; a failed recording still backs off -------------------


def test_a_receivers_nul_answer_is_stored_cleaned_and_backs_off(engine: Engine) -> None:  # noqa: F811
    factory = session_factory(engine)
    with receiver([500], answer=b"bad\x00answer\x07") as rec:
        [delivery_id] = _owe(factory, _watch(factory, rec.url))
        sender = DeliverySender(factory, owner="p", allow_private=True, clock=Clock(T0))
        assert sender.run_once() == 1
        assert sender.run_once() == 0  # backed off: not resent a minute later by an expired claim
    row, attempts = _delivery(factory, delivery_id)
    assert (row.state, row.attempts, row.claimed_by) == ("pending", 1, None)
    assert row.next_attempt_at == T0 + timedelta(minutes=1)
    assert [a.response_excerpt for a in attempts] == ["bad\ufffdanswer\ufffd"]
    assert len(rec.received) == 1


def test_a_delivery_backs_off_even_when_its_attempt_cannot_be_recorded(engine: Engine) -> None:  # noqa: F811
    """The attempt log refuses the row (a trigger stands in for any database refusal): the delivery still
    leaves its claim and waits its backoff instead of being resent every minute."""
    factory = session_factory(engine)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_attempts BEFORE INSERT ON watch_delivery_attempts "
                    "BEGIN SELECT RAISE(ABORT, 'attempt log refused'); END"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE FUNCTION refuse_attempts() RETURNS trigger AS $$ BEGIN "
                    "RAISE EXCEPTION 'attempt log refused'; END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_attempts BEFORE INSERT ON watch_delivery_attempts "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_attempts()"
                )
            )
    clock = Clock(T0)
    with receiver([500]) as rec:
        [delivery_id] = _owe(factory, _watch(factory, rec.url))
        sender = DeliverySender(factory, owner="p", allow_private=True, clock=clock)
        assert sender.run_once() == 1
        clock.advance(timedelta(seconds=59))
        assert sender.run_once() == 0
    row, attempts = _delivery(factory, delivery_id)
    assert (row.state, row.attempts, row.claimed_by, attempts) == ("pending", 1, None, [])
    assert row.next_attempt_at == T0 + timedelta(minutes=1)
    assert "recording the attempt failed" in (row.last_error or "") and "HTTP 500" in (row.last_error or "")


# --- 6. the metrics' method label is bounded ------------------------------------------------------------


def test_invented_request_methods_do_not_grow_the_metrics(session: Session) -> None:
    app = create_app(start_watchers=False)
    app.dependency_overrides[get_session] = lambda: session
    client = TestClient(app)
    for n in range(1, 41):
        client.request(f"M{n}", "/healthz")
    client.request("X" * 5000, "/api/v1/gaps")
    client.request("get", "/healthz")
    methods = {
        sample.labels["method"]
        for family in REGISTRY.collect()
        if family.name == "launchgap_http_request_duration_seconds"
        for sample in family.samples
    }
    assert methods <= {
        "GET",
        "HEAD",
        "POST",
        "PUT",
        "DELETE",
        "PATCH",
        "OPTIONS",
        "CONNECT",
        "TRACE",
        "other",
    }
    assert "other" in methods


# --- 10. pages refuse unknown parameters and cache on validated ones -------------------------------------


def test_pages_refuse_unknown_query_parameters(dashboard: TestClient) -> None:  # noqa: F811
    for path, name in (("/?cb=1", "cb"), ("/?stage=merged&cb=2", "cb"), ("/glossary?x=1", "x"),
                       ("/releases/acme/Model-01?utm=a", "utm")):  # fmt: skip
        response = dashboard.get(path, headers={"accept": "text/html"})
        assert response.status_code == 422, path
        assert response.headers["content-type"].startswith("text/html")
        assert f"unknown query parameter &#39;{name}&#39;" in response.text, response.text


def test_the_main_page_is_cached_once_whatever_the_spelling(dashboard: TestClient) -> None:  # noqa: F811
    cache = dashboard.app.state.page_cache  # type: ignore[attr-defined]
    cache.clear()
    bodies = {
        dashboard.get(path).text
        for path in ("/", "/?stage=merged", "/?view=runtimes&stage=merged", "/?page=1&publisher=")
    }
    assert len(bodies) == 1 and len(cache) == 1
    assert dashboard.get("/?stage=released").status_code == 200 and len(cache) == 2


# --- 11. a revoked token's watches send nothing ----------------------------------------------------------


def test_a_revoked_tokens_watch_sends_nothing(engine: Engine) -> None:  # noqa: F811
    factory = session_factory(engine)
    with receiver() as rec:
        kept = _watch(factory, rec.url + "/kept")
        revoked = _watch(factory, rec.url + "/revoked")
        [kept_id] = _owe(factory, kept)
        [revoked_id] = _owe(factory, revoked)
        with session_scope(factory) as session:
            token_id = session.scalars(select(Watch.token_id).where(Watch.id == revoked)).one()
            revoke_token(session, token_id, now=T0)
        sender = DeliverySender(factory, owner="p", allow_private=True, clock=Clock(T0))
        pk = _delivery(factory, revoked_id)[0].id
        assert sender.claim(pk) is None  # not even when named directly
        assert sender.run_once() == 1
    assert [r.path for r in rec.received] == ["/hook/kept"]
    assert _delivery(factory, kept_id)[0].state == "delivered"
    assert _delivery(factory, revoked_id)[0].state == "pending"
    with factory() as session:
        assert session.get(ApiToken, token_id).revoked_at is not None  # type: ignore[union-attr]


# --- 12. the guard names no resolved address; embedded IPv4 is checked ----------------------------------


def test_a_refused_name_does_not_reveal_what_it_resolves_to() -> None:
    with pytest.raises(RefusedTarget) as refused:
        resolve_target(
            "https://db.corp.test/hook", allow_private=False, resolver=lambda _host, _port: ["10.1.2.3"]
        )
    message = str(refused.value)
    assert "not allowed" in message and "10.1.2.3" not in message and "private" not in message.split(";")[0]


@pytest.mark.parametrize(
    "url",
    [
        "http://[2002:7f00:1::]/hook",  # 6to4 for 127.0.0.1
        "http://[2002:a01:203::1]/hook",  # 6to4 for 10.1.2.3
        "http://[2002:a9fe:a9fe::]/hook",  # 6to4 for 169.254.169.254
        "http://[::7f00:1]/hook",  # IPv4-compatible 127.0.0.1
        "http://[64:ff9b::a9fe:a9fe]/hook",  # NAT64 for 169.254.169.254
    ],
)
def test_ipv6_addresses_embedding_a_non_public_ipv4_are_refused(
    watches_api: TestClient,  # noqa: F811
    session: Session,
    url: str,
) -> None:
    response = watches_api.post("/api/v1/watches", json={**BODY, "url": url}, headers=_auth(session, "v6"))
    assert response.status_code == 422, response.text
    assert "receivers must be public" in response.json()["error"]["message"]


def test_6to4_of_a_public_ipv4_is_allowed() -> None:
    target = resolve_target("http://[2002:5db8:d70e::1]/hook", allow_private=False)
    assert target.addresses == ("2002:5db8:d70e::1",)

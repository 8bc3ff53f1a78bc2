"""`/api/v1/watches`: a token's own watches, filters checked like /api/v1/gaps, and the SSRF guard at creation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.api.deps import get_now, get_session, get_settings_dep
from app.config import Settings
from app.main import create_app
from app.services.tokens import create_token, revoke_token

NOW = datetime(2025, 10, 1, tzinfo=UTC)
PUBLIC_URL = "http://93.184.215.14/launchgap"  # a public literal address: nothing is resolved or called
BODY = {"url": PUBLIC_URL, "secret": "0123456789abcdef", "filter": {"vendor": "amd", "stage": "verified"}}


def _client(session: Session, *, allow_private: bool) -> TestClient:
    app = create_app(Settings(webhook_allow_private=allow_private), start_watchers=False)
    app.dependency_overrides[get_session] = lambda: session
    app.dependency_overrides[get_now] = lambda: NOW
    app.dependency_overrides[get_settings_dep] = lambda: Settings(webhook_allow_private=allow_private)
    return TestClient(app)


@pytest.fixture
def client(session: Session) -> Iterator[TestClient]:
    yield _client(session, allow_private=False)


def _auth(session: Session, name: str) -> dict[str, str]:
    _token, secret = create_token(session, name, now=NOW)
    return {"Authorization": f"Bearer {secret}"}


def test_watches_need_a_token_and_belong_to_it(client: TestClient, session: Session) -> None:
    assert client.post("/api/v1/watches", json=BODY).status_code == 401
    # Without a token the body is not even read: not JSON, still 401 (not 422).
    assert client.post("/api/v1/watches", content=b"{not json").status_code == 401
    assert client.get("/api/v1/watches").status_code == 401
    assert (
        client.post("/api/v1/watches", json=BODY, headers={"Authorization": "Bearer lg_no"}).status_code
        == 401
    )
    alice, bob = _auth(session, "alice"), _auth(session, "bob")

    created = client.post("/api/v1/watches", json=BODY, headers=alice)
    assert created.status_code == 201, created.text
    watch = created.json()
    assert watch["url"] == PUBLIC_URL and "secret" not in watch
    assert watch["filter"] == {
        "repo_id": None, "publisher": None, "vendor": "amd", "runtime": None, "stage": "verified", "sku": None,
    }  # fmt: skip
    second = client.post("/api/v1/watches", json={**BODY, "filter": {}}, headers=alice).json()
    assert second["filter"]["stage"] == "merged"  # the default of /api/v1/gaps

    listed = client.get("/api/v1/watches", headers=alice).json()
    assert [w["id"] for w in listed["items"]] == [watch["id"], second["id"]] and listed["total"] == 2
    csv_text = client.get("/api/v1/watches", params={"format": "csv"}, headers=alice).text
    assert csv_text.splitlines()[0] == (
        "id,url,filter.repo_id,filter.publisher,filter.vendor,filter.runtime,filter.stage,filter.sku,created_at"
    )
    # Bob sees none of Alice's watches and cannot touch them.
    assert client.get("/api/v1/watches", headers=bob).json() == {"items": [], "total": 0, "next_cursor": None}
    assert client.delete(f"/api/v1/watches/{watch['id']}", headers=bob).status_code == 404
    assert client.get(f"/api/v1/watches/{watch['id']}/deliveries", headers=bob).status_code == 404

    empty = client.get(f"/api/v1/watches/{watch['id']}/deliveries", headers=alice)
    assert empty.status_code == 200 and empty.json()["items"] == []
    assert client.delete(f"/api/v1/watches/{watch['id']}", headers=alice).status_code == 204
    assert client.delete(f"/api/v1/watches/{watch['id']}", headers=alice).status_code == 404
    assert [w["id"] for w in client.get("/api/v1/watches", headers=alice).json()["items"]] == [second["id"]]


def test_a_revoked_token_loses_access(client: TestClient, session: Session) -> None:
    token, secret = create_token(session, "carol", now=NOW)
    auth = {"Authorization": f"Bearer {secret}"}
    assert client.post("/api/v1/watches", json=BODY, headers=auth).status_code == 201
    revoke_token(session, token.id, now=NOW)
    assert client.get("/api/v1/watches", headers=auth).status_code == 401


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"filter": {"runtime": "no-such-runtime"}}, "unknown runtime"),
        ({"filter": {"sku": "Z9000"}}, "unknown sku"),
        ({"filter": {"vendor": "acme"}}, "invalid request parameters"),
        ({"filter": {"stage": "shipped"}}, "invalid request parameters"),
        ({"filter": {"family": "x"}}, "invalid request parameters"),  # a typo must not widen the watch
        ({"secret": "short"}, "invalid request parameters"),
        ({"url": "http://93.184.215.14/\x00"}, "invalid request parameters"),
        ({"unexpected": 1}, "invalid request parameters"),
    ],
)
def test_bad_watches_are_422(client: TestClient, session: Session, change: dict, message: str) -> None:
    response = client.post("/api/v1/watches", json={**BODY, **change}, headers=_auth(session, "dave"))
    assert response.status_code == 422, response.text
    assert message in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:8080/hook", "loopback"),
        ("http://10.0.0.7/hook", "private"),
        ("http://172.16.5.4/hook", "private"),
        ("http://192.168.1.20/hook", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::1]:8080/hook", "loopback"),
        ("http://[fe80::1]/hook", "link-local"),
        ("http://[fd00::5]/hook", "private"),
        ("http://[::ffff:10.1.1.1]/hook", "private"),
        ("http://224.0.0.251/hook", "multicast"),
        ("http://240.0.0.1/hook", "reserved"),
        ("http://0.0.0.0:8080/hook", "unspecified"),
        # A name that resolves to one of them: refused without saying what it resolves to (issue 23).
        ("http://localhost:8080/hook", "the address of localhost is not allowed"),
        ("ftp://93.184.215.14/hook", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("http://user:pw@93.184.215.14/hook", "credentials"),
        ("http:///hook", "no host"),
    ],
)
def test_ssrf_guard_refuses_non_public_receivers(
    client: TestClient, session: Session, url: str, reason: str
) -> None:
    response = client.post("/api/v1/watches", json={**BODY, "url": url}, headers=_auth(session, "eve"))
    assert response.status_code == 422, response.text
    assert reason in response.json()["error"]["message"]
    assert client.get("/api/v1/watches", headers=_auth(session, "eve2")).json()["total"] == 0


def test_private_receivers_allowed_when_configured(session: Session) -> None:
    client = _client(session, allow_private=True)
    auth = _auth(session, "on-premise")
    for url in ("http://127.0.0.1:8080/hook", "http://[::1]:8080/hook", "http://localhost/hook"):
        assert client.post("/api/v1/watches", json={**BODY, "url": url}, headers=auth).status_code == 201
    # The scheme rule stays: only http and https.
    assert (
        client.post("/api/v1/watches", json={**BODY, "url": "gopher://127.0.0.1/"}, headers=auth).status_code
        == 422
    )

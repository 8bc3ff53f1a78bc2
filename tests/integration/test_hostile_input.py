"""Hostile input (issue 13): bodies are capped and anonymous ones never read, edge values are 4xx not 500,
the empty webhook secret refuses to start, CSV cells are inert, every HTML page carries security headers."""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.api.middleware import DEFAULT_MAX_BODY_BYTES
from app.config import Settings
from app.db.migrate import upgrade
from app.main import create_app
from app.services.tokens import create_token
from tests.integration.test_api_endpoints import NOW, client  # noqa: F401  (the API over a seeded database)
from tests.integration.test_webhooks import api, factory, hub, payload, post  # noqa: F401  (webhook app)

from ..support.server import serve_in_thread

CLAIM = {
    "repo_id": "acme/New-MoE",
    "vendor": "huawei",
    "runtime": "vllm-ascend",
    "stage": "released",
    "at": "2025-09-01T00:00:00Z",
    "url": "https://example.test/announcement",
}


@pytest.fixture
def auth(session: Session) -> dict[str, str]:
    _token, secret = create_token(session, "tester", now=NOW)
    return {"Authorization": f"Bearer {secret}"}


# -- 1. bodies --------------------------------------------------------------------------------------------
@pytest.fixture
def live_server(tmp_path: Path, scratch_databases) -> Iterator[str]:  # type: ignore[no-untyped-def]
    url = scratch_databases.new_url("sqlite")
    upgrade(url)
    settings = Settings(database_url=url, data_dir=tmp_path / "data", seed_release_facts=False)
    with serve_in_thread(create_app(settings, start_watchers=False)) as base:
        yield base


def _raw_request(base: str, head: str, body: bytes = b"", timeout: float = 10.0) -> bytes:
    """Send raw HTTP/1.1 bytes to the live server and read its whole answer."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_a_huge_declared_body_is_refused_before_it_is_read(live_server: str) -> None:
    # 200 MB announced, not one byte sent: the answer can only come from the headers.
    for path in ("/api/v1/claims", "/hooks/huggingface", "/", "/api/v1/gaps"):
        answer = _raw_request(
            live_server,
            f"POST {path} HTTP/1.1\nHost: x\nContent-Type: application/json\n"
            "Content-Length: 200000000\nConnection: close\n",
        )
        status_line = answer.split(b"\r\n", 1)[0]
        assert status_line.endswith(b"413 Request Entity Too Large"), (path, answer[:300])
        assert b"request body over" in answer


def test_streamed_claim_over_the_cap_is_413(client: TestClient, auth: dict[str, str]) -> None:  # noqa: F811
    # A generator body goes out chunked, without Content-Length: the cap counts the bytes as they arrive.
    def stream() -> Iterator[bytes]:
        yield b'{"note": "'
        for _ in range(DEFAULT_MAX_BODY_BYTES // 1024 + 2):
            yield b"a" * 1024
        yield b'"}'

    response = client.post("/api/v1/claims", content=stream(), headers=auth)
    assert response.status_code == 413
    assert "request body over" in response.json()["error"]["message"]


def test_the_token_is_checked_before_the_body_is_parsed(client: TestClient, auth: dict[str, str]) -> None:  # noqa: F811
    garbage = b"{ not json" * 100
    anonymous = client.post("/api/v1/claims", content=garbage, headers={"Content-Type": "application/json"})
    assert anonymous.status_code == 401  # a parse error (422) would mean the body was read first
    with_token = client.post(
        "/api/v1/claims", content=garbage, headers={**auth, "Content-Type": "application/json"}
    )
    assert with_token.status_code == 422


# -- 3. the empty webhook secret ---------------------------------------------------------------------------
@pytest.mark.parametrize("secret", ["", "   "])
def test_an_empty_webhook_secret_refuses_to_start(secret: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAUNCHGAP_HUB_WEBHOOK_SECRET", secret)
    with pytest.raises(ValidationError, match="LAUNCHGAP_HUB_WEBHOOK_SECRET is empty"):
        Settings()


# -- 4. edge values get a 4xx --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"url": "https://example.test/" + "a" * 1100}, "longer than 1000"),
        ({"url": "https://example.test/" + "a" * 2050}, "longer than 1000"),
        ({"note": "fine\x00not"}, "NUL"),
        ({"repo_id": "acme/New\x00MoE"}, "NUL"),
        ({"sku": "910\x00C"}, "NUL"),
        ({"at": "0001-01-01T00:00:00+14:00"}, "out of range"),
    ],
)
def test_bad_claim_values_are_422(
    client: TestClient,  # noqa: F811
    auth: dict[str, str],
    change: dict[str, object],
    message: str,
) -> None:
    response = client.post("/api/v1/claims", json={**CLAIM, **change}, headers=auth)
    assert response.status_code == 422, response.text
    assert message in json.dumps(response.json()["error"])


def test_deeply_nested_claim_json_is_4xx(client: TestClient, auth: dict[str, str]) -> None:  # noqa: F811
    deep = b'{"note": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    response = client.post(
        "/api/v1/claims", content=deep, headers={**auth, "Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/claims?since=0001-01-01T00:00:00%2B14:00",
        "/api/v1/claims?until=0001-01-01T00:00:00%2B14:00",
        "/api/v1/gaps?since=0001-01-01T00:00:00%2B14:00",
        "/api/v1/gaps?until=9999-12-31T23:59:59-14:00",
        "/api/v1/models?since=0001-01-01T00:00:00%2B14:00",
        "/api/v1/events?since=0001-01-01T00:00:00%2B14:00",
        "/api/v1/stats/vendors?until=0001-01-01T00:00:00%2B14:00",
    ],
)
def test_times_outside_the_utc_range_are_422(client: TestClient, path: str) -> None:  # noqa: F811
    response = client.get(path)
    assert response.status_code == 422, response.text
    assert "out of range" in json.dumps(response.json())


# -- 5. CSV and headers ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "formula", ['=HYPERLINK("http://x","y")', "+1+1", "-1+cmd|' /C calc'!A0", "@SUM(A1)"]
)
def test_csv_cells_that_look_like_formulas_are_inert(
    client: TestClient,  # noqa: F811
    auth: dict[str, str],
    formula: str,
) -> None:
    created = client.post("/api/v1/claims", json={**CLAIM, "note": formula}, headers=auth)
    assert created.status_code == 201
    exported = client.get("/api/v1/claims", params={"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["note"] for r in rows] == ["'" + formula]
    # Numbers stay numbers: a negative gap is data, not a formula.
    gaps = list(csv.DictReader(io.StringIO(client.get("/api/v1/gaps", params={"format": "csv"}).text)))
    assert any(r["gap_hours"].startswith("-") and not r["gap_hours"].startswith("'") for r in gaps)


@pytest.mark.parametrize("path", ["/", "/releases/acme/New-MoE", "/runtimes/vllm", "/docs", "/redoc"])
def test_every_html_page_has_security_headers_and_host_free_asset_urls(client: TestClient, path: str) -> None:  # noqa: F811
    response = client.get(path, headers={"Host": "evil.example"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["x-content-type-options"] == "nosniff"
    policy = response.headers["content-security-policy"]
    assert (
        "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    )
    assert "evil.example" not in response.text
    assert 'src="/static/' in response.text or 'href="/static/' in response.text
    assert "<script>" not in response.text and "onchange=" not in response.text


def test_json_answers_are_nosniff_too(client: TestClient) -> None:  # noqa: F811
    response = client.get("/api/v1/gaps")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in response.headers


# -- 4. webhook edge values --------------------------------------------------------------------------------
def test_nul_in_a_webhook_repo_name_is_400(api: TestClient, session: Session) -> None:  # noqa: F811
    body = payload("webhook.repo_created.assembled_from_docs.json", repo={"name": "acme/Acme\x00-3"})
    response = post(api, body)
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


@pytest.mark.parametrize("depth", [40, 5_000, 200_000])
def test_deeply_nested_webhook_json_is_400(api: TestClient, depth: int) -> None:  # noqa: F811
    base = payload("webhook.repo_created.assembled_from_docs.json")
    nested = json.dumps(base)[:-1] + ', "extra": ' + "[" * depth + "]" * depth + "}"
    response = post(api, nested.encode())
    assert response.status_code == 400
    assert "nests" in response.json()["detail"]


def test_serve_refuses_to_start_with_an_empty_webhook_secret(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "LAUNCHGAP_HUB_WEBHOOK_SECRET": "",
        "LAUNCHGAP_DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
    }
    done = subprocess.run(
        [sys.executable, "-m", "app", "serve"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "LAUNCHGAP_HUB_WEBHOOK_SECRET" in done.stderr and "empty" in done.stderr
    assert "Traceback" not in done.stderr

"""`launchgap tokens create|list|revoke` through the real command group, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from app.cli.main import cli
from app.config import get_settings
from app.db.session import create_db_engine, session_factory
from app.models import ApiToken
from app.services.tokens import TOKEN_PREFIX, authenticate


@pytest.fixture
def database(fresh_database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("LAUNCHGAP_DATABASE_URL", fresh_database_url)
    get_settings.cache_clear()
    yield fresh_database_url
    get_settings.cache_clear()


def _authenticates(url: str, secret: str) -> bool:
    engine = create_db_engine(url)
    try:
        with session_factory(engine)() as session:
            return authenticate(session, secret, now=datetime.now(UTC)) is not None
    finally:
        engine.dispose()


def _stored(url: str) -> list[tuple[int, str, str, str]]:
    engine = create_db_engine(url)
    try:
        with session_factory(engine)() as session:
            return [
                (t.id, t.name, t.prefix, t.token_hash)
                for t in session.scalars(select(ApiToken).order_by(ApiToken.id))
            ]
    finally:
        engine.dispose()


def test_create_list_revoke(database: str) -> None:
    runner = CliRunner()
    created = runner.invoke(cli, ["tokens", "create", "ci bot"])
    assert created.exit_code == 0, created.output
    secret = created.output.strip().splitlines()[-1]
    assert secret.startswith(TOKEN_PREFIX) and len(secret) > 30
    [(token_id, name, prefix, token_hash)] = _stored(database)
    # Stored hashed: the secret itself is nowhere in the row, only its first characters to recognise it.
    assert name == "ci bot" and secret.startswith(prefix) and secret not in (token_hash, prefix)
    assert f"token {token_id} created for 'ci bot'" in created.output
    assert _authenticates(database, secret)

    second = runner.invoke(cli, ["tokens", "create", "dashboard"])
    assert second.exit_code == 0
    listed = runner.invoke(cli, ["tokens", "list"])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.strip().splitlines()
    assert [line.split("\t")[:2] for line in lines] == [
        [str(token_id), "ci bot"],
        [str(token_id + 1), "dashboard"],
    ]
    assert all(line.endswith("active") and "used never" in line for line in lines)
    assert secret not in listed.output and f"{prefix}…" in lines[0]

    revoked = runner.invoke(cli, ["tokens", "revoke", str(token_id)])
    assert revoked.exit_code == 0 and f"token {token_id} revoked" in revoked.output
    assert not _authenticates(database, secret)
    lines = runner.invoke(cli, ["tokens", "list"]).output.strip().splitlines()
    assert "revoked" in lines[0] and lines[1].endswith("active")
    # Revoking again is harmless; an unknown id or an empty name is a clear error with its own exit code.
    assert runner.invoke(cli, ["tokens", "revoke", str(token_id)]).exit_code == 0
    unknown = runner.invoke(cli, ["tokens", "revoke", "9999"])
    assert unknown.exit_code == 1 and "no token with id 9999" in unknown.output
    blank = runner.invoke(cli, ["tokens", "create", "  "])
    assert blank.exit_code == 2 and "needs a name" in blank.output
    assert len(_stored(database)) == 2

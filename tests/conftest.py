"""Shared fixtures: real databases (SQLite and PostgreSQL), migrated once, each test rolled back.

PostgreSQL tests run when ``LAUNCHGAP_TEST_POSTGRES_URL`` points at a server (a URL whose database the
tests may use to CREATE and DROP scratch databases). Without it they are skipped with a reason, unless
``LAUNCHGAP_REQUIRE_ALL_TESTS=1`` (set by .ci/run), in which case a skip of that kind is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.db.migrate import upgrade
from app.db.session import create_db_engine

from .fakes.fake_hub import fake_hub  # noqa: F401  (a fixture shared by many tests)

POSTGRES_URL_ENV = "LAUNCHGAP_TEST_POSTGRES_URL"
REQUIRE_ALL = os.environ.get("LAUNCHGAP_REQUIRE_ALL_TESTS") == "1"
DIALECTS = ["sqlite", "postgresql"]


def skip_or_fail(reason: str) -> None:
    """Skip on a developer's machine; fail in CI, where every test must really run."""
    if REQUIRE_ALL:
        pytest.fail(f"required test cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


def _postgres_admin_url() -> str:
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url:
        skip_or_fail(
            f"PostgreSQL tests need {POSTGRES_URL_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1/postgres)"
        )
    assert url is not None
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


class ScratchDatabases:
    """Creates empty databases on demand and drops them at the end of the session."""

    def __init__(self, tmp_dir: Path) -> None:
        self.tmp_dir = tmp_dir
        self._postgres_created: list[str] = []

    def new_url(self, dialect: str) -> str:
        name = f"launchgap_test_{uuid.uuid4().hex[:10]}"
        if dialect == "sqlite":
            return f"sqlite:///{self.tmp_dir / (name + '.db')}"
        admin_url = _postgres_admin_url()
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:  # the server is configured but unreachable or refuses us
            skip_or_fail(f"PostgreSQL at {POSTGRES_URL_ENV} is unusable: {exc}")
        finally:
            admin.dispose()
        self._postgres_created.append(name)
        return make_url(admin_url).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if not self._postgres_created:
            return
        admin = create_engine(_postgres_admin_url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for name in self._postgres_created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def scratch_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScratchDatabases]:
    databases = ScratchDatabases(tmp_path_factory.mktemp("databases"))
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session", params=DIALECTS)
def migrated_engine(request: pytest.FixtureRequest, scratch_databases: ScratchDatabases) -> Iterator[Engine]:
    """One database per dialect, migrated to head once per test session."""
    url = scratch_databases.new_url(request.param)
    upgrade(url)
    engine = create_db_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(migrated_engine: Engine) -> Iterator[Session]:
    """A session inside an outer transaction that is rolled back after the test (commits become savepoints)."""
    connection = migrated_engine.connect()
    outer = connection.begin()
    db_session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield db_session
    finally:
        db_session.close()
        outer.rollback()
        connection.close()


@pytest.fixture(params=DIALECTS)
def fresh_database_url(request: pytest.FixtureRequest, scratch_databases: ScratchDatabases) -> str:
    """An empty, migrated database of each dialect for tests that need several connections or processes."""
    url = scratch_databases.new_url(request.param)
    upgrade(url)
    return url

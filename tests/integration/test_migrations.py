"""Migrations: upgrade to head, downgrade to base, upgrade again, and `db check` clean, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from app.db.migrate import check, downgrade, upgrade
from app.db.session import create_db_engine

from ..conftest import DIALECTS, ScratchDatabases


@pytest.mark.parametrize("dialect", DIALECTS)
def test_round_trip_and_check(dialect: str, scratch_databases: ScratchDatabases) -> None:
    url = scratch_databases.new_url(dialect)
    upgrade(url)
    engine = create_db_engine(url)
    tables = set(inspect(engine).get_table_names())
    assert {"models", "support_events", "source_states", "runtimes"} <= tables
    assert check(url) is None

    downgrade(url, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

    upgrade(url)
    assert check(url) is None
    engine.dispose()

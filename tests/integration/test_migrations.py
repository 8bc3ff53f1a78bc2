"""Migrations: upgrade to head, downgrade to base, upgrade again, and `db check` clean, on both databases;
data migrations on rows written before them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, inspect, select

from app.db.migrate import check, downgrade, upgrade
from app.db.session import create_db_engine
from app.models import Runtime, SourceState, SupportEvent, SupportKey

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


@pytest.mark.parametrize("dialect", DIALECTS)
def test_respelled_sku_events_are_re_derived_by_the_next_scan(
    dialect: str, scratch_databases: ScratchDatabases
) -> None:
    """3e8b1c6d2f47: events stored under a SKU spelling the hardware table changes (a count, a case) are
    deleted and their runtime's cursor cleared; the rest stays as it was."""
    url = scratch_databases.new_url(dialect)
    upgrade(url, "9a3c5e7d1b20")
    engine = create_db_engine(url)
    at = datetime(2026, 8, 6, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(Runtime.__table__),
            [
                {
                    "id": 1,
                    "name": "vllm-recipes",
                    "display_name": "R",
                    "repo_url": "u",
                    "default_branch": "main",
                },
                {"id": 2, "name": "vllm", "display_name": "V", "repo_url": "u", "default_branch": "main"},
            ],
        )
        conn.execute(insert(SupportKey.__table__), [{"id": 1, "key_kind": "repo_id", "key": "a/b"}])
        base = {"runtime_id": 1, "support_key_id": 1, "stage": "verified", "event": "added", "at": at,
                "commit": "c1", "tag": "", "branch": "", "signal": "hardware", "recorded_at": at}  # fmt: skip
        conn.execute(
            insert(SupportEvent.__table__),
            [
                {**base, "sku": sku}
                for sku in ("H200", "xeon6", "rtx_pro_6000_8x", "a100", "mi350x", "zx_9000")
            ]
            + [{**base, "runtime_id": 2, "stage": "merged", "sku": "", "signal": "registry"}],
        )
        conn.execute(
            insert(SourceState.__table__),
            [
                {"kind": "runtime_repo", "name": "vllm-recipes", "cursor": {"main": {"head": "c1"}}},
                {"kind": "runtime_repo", "name": "vllm", "cursor": {"main": {"head": "c9"}}},
            ],
        )
    upgrade(url)
    with engine.connect() as conn:
        kept = conn.execute(select(SupportEvent.__table__.c.sku).order_by(SupportEvent.__table__.c.sku))
        assert [row[0] for row in kept] == ["", "H200", "xeon6", "zx_9000"]
        cursors = dict(
            conn.execute(select(SourceState.__table__.c.name, SourceState.__table__.c.cursor)).all()
        )
    assert cursors == {"vllm-recipes": {}, "vllm": {"main": {"head": "c9"}}}
    engine.dispose()

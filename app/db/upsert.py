"""Dialect-aware idempotent inserts (``INSERT … ON CONFLICT DO NOTHING``) for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignoring_conflicts(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], conflict_columns: Sequence[str]
) -> int:
    """Insert ``rows``; rows that clash with the unique constraint on ``conflict_columns`` are skipped.

    Returns the number of rows actually inserted, so a retry can tell it added nothing.
    """
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    primary_key = next(iter(table.primary_key.columns))
    statement = (
        insert(table)
        .values(list(rows))
        .on_conflict_do_nothing(index_elements=list(conflict_columns))
        # RETURNING lists only the rows really inserted; rowcount is not reliable for this on every driver.
        .returning(primary_key)
    )
    return len(session.execute(statement).all())

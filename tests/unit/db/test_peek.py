"""The standard-library read a command makes before SQLAlchemy loads (``app/db/peek.py``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from app.db.peek import read_row, sqlite_path


def test_only_sqlite_files_are_named() -> None:
    assert sqlite_path("sqlite:///./var/launchgap.db") == Path("./var/launchgap.db")
    assert sqlite_path("sqlite:////tmp/x.db?timeout=5") == Path("/tmp/x.db")
    assert sqlite_path("sqlite+pysqlite:////tmp/x.db") == Path("/tmp/x.db")
    for other in (
        "sqlite://",
        "sqlite:///:memory:",
        "postgresql+psycopg://u@h/db",
        "sqlite:///file:x?mode=ro",
    ):
        assert sqlite_path(other) is None, other


def test_read_row_answers_none_rather_than_creating_or_failing(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    assert read_row(f"sqlite:///{missing}", "SELECT 1", ()) is None
    assert not missing.exists()  # read-only: nothing is created
    database = tmp_path / "x.db"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE t (a TEXT, b INTEGER)")
        connection.execute("INSERT INTO t VALUES ('one', 1)")
    url = f"sqlite:///{database}"
    assert read_row(url, "SELECT a, b FROM t WHERE b = ?", (1,)) == ("one", 1)
    assert read_row(url, "SELECT a FROM t WHERE b = ?", (2,)) is None
    assert read_row(url, "SELECT a FROM no_such_table", ()) is None  # an older schema: the ordinary path
    assert read_row("postgresql+psycopg://u@h/db", "SELECT 1", ()) is None

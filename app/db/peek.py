"""One read of a SQLite database with the standard library, for a command that must answer before
SQLAlchemy is loaded (``launchgap scan`` with nothing new: docs/operations.md, "The command line").

Only SQLite files are read this way, read-only (``mode=ro``: nothing is created, no write lock is taken, a
WAL database is read consistently beside its writers); any other database, a file that does not exist, or a
schema without the table asked for answers None, and the caller takes its ordinary path.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

_SQLITE_PREFIXES = ("sqlite:///", "sqlite+pysqlite:///")


def sqlite_path(database_url: str) -> Path | None:
    """The file a ``sqlite:///PATH`` URL names (relative to the working directory, as SQLAlchemy reads it);
    None for another database, an in-memory one or a URI-style file name."""
    prefix = next((p for p in _SQLITE_PREFIXES if database_url.startswith(p)), None)
    if prefix is None:
        return None
    path = database_url[len(prefix) :].partition("?")[0]
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return Path(path).expanduser()


def read_row(database_url: str, sql: str, params: tuple[object, ...]) -> tuple[object, ...] | None:
    """The first row ``sql`` selects from the SQLite database at ``database_url``, or None (no such file, not
    SQLite, no such table, no row)."""
    path = sqlite_path(database_url)
    if path is None or not path.is_file():
        return None
    try:
        connection = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return None
    try:
        row = connection.execute(sql, params).fetchone()
    except sqlite3.Error:
        return None  # an older schema, a locked or damaged file: the ordinary path will say what it is
    finally:
        connection.close()
    return tuple(row) if row is not None else None

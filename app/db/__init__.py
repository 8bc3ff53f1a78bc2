"""Database plumbing: declarative base, engine and sessions.

Names are loaded on first use (PEP 562), so ``app.db.peek`` — the standard-library read a command makes
before SQLAlchemy is needed — does not load SQLAlchemy with the package (docs/operations.md, "The command
line")."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.db.base import Base, UTCDateTime
    from app.db.session import create_db_engine, session_factory, session_scope

__all__ = ["Base", "UTCDateTime", "create_db_engine", "session_factory", "session_scope"]
_HOMES = {
    "Base": "app.db.base",
    "UTCDateTime": "app.db.base",
    "create_db_engine": "app.db.session",
    "session_factory": "app.db.session",
    "session_scope": "app.db.session",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(home), name)

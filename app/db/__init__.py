"""Database plumbing: declarative base, engine and sessions."""

from app.db.base import Base, UTCDateTime
from app.db.session import create_db_engine, session_factory, session_scope

__all__ = ["Base", "UTCDateTime", "create_db_engine", "session_factory", "session_scope"]

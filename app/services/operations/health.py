"""Readiness checks."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def check_database(session: Session) -> None:
    """Raise if the database does not answer a trivial query."""
    session.execute(text("SELECT 1"))

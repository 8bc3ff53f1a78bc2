"""FastAPI dependencies, declared once and reused by every route and view."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.config import Settings


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session(request: Request) -> Iterator[Session]:
    """One session per request, from the factories the app built at startup: a read-only one for GET/HEAD
    (on SQLite it never waits for a writer), a writing one otherwise.

    Declared with ``scope="function"`` below: the session is closed (its connection back in the pool) as soon
    as the route returns, before the response is serialised and sent to a slow client. Holding it until the
    last byte was sent let 40 worker threads starve a pool of 15 connections under load.
    """
    read_only = request.method in SAFE_METHODS
    factory = request.app.state.read_session_factory if read_only else request.app.state.session_factory
    session = factory()
    try:
        yield session
    finally:
        session.close()


def get_now() -> datetime:
    """The request's notion of "now" (the one place routes read the clock; services take it as an argument)."""
    return datetime.now(UTC)


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
NowDep = Annotated[datetime, Depends(get_now)]

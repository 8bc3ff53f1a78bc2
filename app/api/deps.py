"""FastAPI dependencies, declared once and reused by every route and view."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from app.config import Settings


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request, from the factories the app built at startup: a read-only one for GET/HEAD
    (on SQLite it never waits for a writer), a writing one otherwise.

    Declared with ``scope="function"`` below: the session is closed (its connection back in the pool) as soon
    as the route returns, before the response is serialised and sent to a slow client. Holding it until the
    last byte was sent let 40 worker threads starve a pool of 15 connections under load.

    An async dependency on purpose: opening a session touches no connection, and closing one only hands its
    connection back to the pool, so both run on the event loop. Were the close to wait for a worker thread,
    50 requests could deadlock: every thread inside a route waiting for a connection, every connection held
    by a finished route whose close waits for a thread.
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


_KNOWN_QUERY: dict[int, frozenset[str]] = {}


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def _declared_query(route: APIRoute) -> frozenset[str]:
    """The query parameters ``route`` declares, its dependencies' included (computed once per route)."""
    known = _KNOWN_QUERY.get(id(route))
    if known is None:
        known = frozenset(_query_names(route.dependant))
        _KNOWN_QUERY[id(route)] = known
    return known


def known_query_only(request: Request) -> None:
    """Refuse a query parameter the route does not declare (422), rather than silently ignoring it: a
    mistyped ``?repo_ids=`` must not return every row as if it were an answer."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = _declared_query(route)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        raise HTTPException(
            422, f"unknown query parameter {names}; known: {', '.join(sorted(known)) or 'none'}"
        )


KnownQueryOnly = Depends(known_query_only)

"""FastAPI dependencies, declared once and reused by every route and view."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from app.clock import utcnow
from app.config import Settings
from app.services.tokens import authenticate, record_use, use_is_due


# The dependencies that do no I/O are ``async def``: FastAPI runs a plain ``def`` dependency in a worker
# thread, and those hops cost the hot list about a tenth of its server time (docs/operations.md).
async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITE_SLOTS = 4
"""Requests that may write at once in one server process: fewer than its worker threads
(``app.main.REQUEST_THREADS``), so writers waiting for each other (on SQLite, for the one write lock) never
take every thread and reads are always served."""
WRITE_SLOT_WAIT_SECONDS = 10.0
RETRY_AFTER_SECONDS = 5
"""What a 503 for a busy database tells the client to wait (``Retry-After``)."""


def busy(message: str) -> HTTPException:
    """A 503 with ``Retry-After``: the write was not made, nothing was lost, try again shortly."""
    return HTTPException(503, message, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


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

    A request that may write first waits (on the event loop, holding no thread) for one of ``WRITE_SLOTS``;
    after ``WRITE_SLOT_WAIT_SECONDS`` it is answered 503 with ``Retry-After`` instead.
    """
    read_only = request.method in SAFE_METHODS
    slots: asyncio.Semaphore | None = None if read_only else getattr(request.app.state, "write_slots", None)
    if slots is not None:
        try:
            await asyncio.wait_for(slots.acquire(), WRITE_SLOT_WAIT_SECONDS)
        except TimeoutError:
            raise busy(f"too many writes at once; retry in {RETRY_AFTER_SECONDS} s") from None
    try:
        factory = request.app.state.read_session_factory if read_only else request.app.state.session_factory
        session = factory()
        try:
            yield session
        finally:
            session.close()
    finally:
        if slots is not None:
            slots.release()


async def get_now() -> datetime:
    """The request's notion of "now" (the one place routes read the clock; services take it as an argument)."""
    return utcnow()


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


async def known_query_only(request: Request) -> None:
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


bearer = HTTPBearer(auto_error=False, description="An API token from `launchgap tokens create`.")


_USE_RECORDED: dict[int, float] = {}
_USE_LOCK = threading.Lock()


def _claim_use_recording(token_id: int) -> bool:
    """Whether this process should record ``token_id``'s use now: once a minute at most, whatever the burst."""
    now = time.monotonic()
    with _USE_LOCK:
        if now - _USE_RECORDED.get(token_id, -1e9) < 60:
            return False
        _USE_RECORDED[token_id] = now
        return True


def require_token(
    request: Request,
    session: SessionDep,
    now: NowDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> int:
    """The id of the request's live token; 401 without one, with a wrong one, or with a revoked one.

    The token is checked in a read-only session of its own, ended before the route runs: on SQLite the
    check never takes (nor waits for) the write lock, and a writing route takes it only in its own thread,
    for its own statements. Its last use is recorded apart, at most once a minute, never waiting more than
    a moment (``tokens.record_use``). An app started without its lifespan (tests handing in their own
    session) checks in the request's session.
    """
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "an API token is required (Authorization: Bearer <token>)")
    reader = getattr(request.app.state, "read_session_factory", None)
    if reader is None:
        token = authenticate(session, credentials.credentials, now=now)
    else:
        with reader() as read_session:
            token = authenticate(read_session, credentials.credentials, now=now)
    if token is None:
        raise HTTPException(401, "invalid or revoked API token")
    writer = getattr(request.app.state, "session_factory", None)
    if writer is not None and use_is_due(token, now) and _claim_use_recording(token.id):
        record_use(writer, token.id, now=now)
    return token.id


TokenDep = Annotated[int, Depends(require_token)]
"""The id of the request's live API token."""

BodyT = TypeVar("BodyT", bound=BaseModel)


def body_after_token(model: type[BodyT]) -> Callable[..., Awaitable[BodyT]]:
    """A dependency giving the request body as ``model``, read only once the token is known good.

    FastAPI reads a declared body before any dependency runs, so such routes declare no body parameter:
    an anonymous post is refused unread. Pair it with ``openapi_extra=body_openapi(model)``.
    """

    async def read(request: Request, _token: TokenDep) -> BodyT:
        body = await request.body()
        try:
            return model.model_validate_json(body)
        except ValidationError as exc:
            raise RequestValidationError(
                [{**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)]
            ) from exc

    return read


BODY_MODELS: list[type[BaseModel]] = []


def body_openapi(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI request body of a route whose body ``body_after_token`` reads (FastAPI lists only the
    schemas of declared parameters; ``add_body_schemas`` adds this one's)."""
    BODY_MODELS.append(model)
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}},
        }
    }


def add_body_schemas(app: FastAPI) -> None:
    """Put the models of ``body_openapi`` into the app's OpenAPI components, where their routes point."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in BODY_MODELS:
            schemas.setdefault(
                model.__name__, model.model_json_schema(ref_template="#/components/schemas/{model}")
            )
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

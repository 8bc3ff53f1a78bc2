"""Errors as JSON with a clear message and the right status (422 for bad filters, never a bare 500)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from app.api.deps import RETRY_AFTER_SECONDS
from app.db.session import is_busy

logger = logging.getLogger(__name__)


# Paths whose answers are data (JSON, CSV, Atom, the OpenAPI document, files): their errors stay JSON.
# Everything else is a page a person opened, and gets an HTML error with the way back.
CLIENT_CLOSED_REQUEST = 499
"""The status recorded (in the metrics and the access log) for a request whose client hung up before its body
was read; no client is left to receive it (nginx's code for the same case)."""

DATA_PREFIXES = ("/api/", "/hooks/", "/feeds/", "/healthz", "/openapi.json", "/static/")

HtmlErrorRenderer = Callable[[Request, int, str, list[str]], Response]


def wants_html(request: Request) -> bool:
    """Whether an error on this request should be a page: not a data path, and not asked for as JSON."""
    path = request.url.path
    if any(path == p.rstrip("/") or path.startswith(p) for p in DATA_PREFIXES):
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept or "application/json" not in accept


def install_error_handlers(app: FastAPI, *, html_error: HtmlErrorRenderer | None = None) -> None:
    """JSON errors for data routes; with ``html_error``, pages for the dashboard's routes."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if html_error is not None and wants_html(request):
            message = (
                exc.detail
                if exc.status_code != 404 or exc.detail != "Not Found"
                else (f"There is no page at {request.url.path}.")
            )
            return html_error(request, exc.status_code, str(message), [])
        return JSONResponse(
            {"error": {"status": exc.status_code, "message": exc.detail}},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(OperationalError)
    async def database_unavailable(request: Request, exc: OperationalError) -> Response:
        # Another writer held the lock past the busy timeout, or the database does not answer: the request
        # changed nothing and may be sent again, which a 503 with Retry-After says (a 500 would not).
        if is_busy(exc):
            message = "the database is busy with another write; nothing was changed, retry shortly"
        else:
            logger.error("database error: %s", exc)
            message = "the database is not answering; retry shortly"
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        if html_error is not None and wants_html(request):
            page = html_error(request, 503, message, [])
            page.headers.update(headers)
            return page
        return JSONResponse({"error": {"status": 503, "message": message}}, status_code=503, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {"location": ".".join(str(p) for p in error["loc"]), "message": error["msg"]}
            for error in exc.errors()
        ]
        if html_error is not None and wants_html(request):
            details = [f"{p['location'].removeprefix('query.')}: {p['message']}" for p in problems]
            return html_error(request, 422, "The address has a value this page cannot use.", details)
        return JSONResponse(
            {"error": {"status": 422, "message": "invalid request parameters", "details": problems}},
            status_code=422,
        )

    @app.exception_handler(ClientDisconnect)
    async def client_disconnected(request: Request, exc: ClientDisconnect) -> Response:
        # A client that closes its connection while its request waits (a POST queued for a write slot, whose
        # body is read only once its token is checked) is routine, not a server error. Unhandled, each one
        # left uvicorn's "Exception in ASGI application" and a 5 KB traceback on stderr, written from the
        # event loop: a load benchmark's end dropping a dozen queued posts wrote enough to fill an unread
        # stderr pipe, and the loop then blocked on the write, every request after it stalled
        # (docs/operations.md). Nothing was read, so nothing was changed: a line at debug level is enough.
        logger.debug(
            "%s %s: the client closed the connection before sending its body",
            request.method,
            request.url.path,
        )
        return Response(status_code=CLIENT_CLOSED_REQUEST)

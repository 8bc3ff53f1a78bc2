"""Errors as JSON with a clear message and the right status (422 for bad filters, never a bare 500)."""

from __future__ import annotations

import logging
from urllib.parse import unquote_plus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger(__name__)


def _has_nul(request: Request) -> bool:
    raw = request.scope.get("query_string", b"").decode("latin-1")
    return "\x00" in unquote_plus(raw) or "\x00" in request.url.path


def install_error_handlers(app: FastAPI) -> None:
    @app.middleware("http")
    async def refuse_nul_bytes(request: Request, call_next):  # type: ignore[no-untyped-def]
        # No text column accepts NUL (PostgreSQL raises on it): refuse it up front, the same on both databases.
        if _has_nul(request):
            return JSONResponse(
                {"error": {"status": 422, "message": "NUL characters are not allowed in the URL"}},
                status_code=422,
            )
        return await call_next(request)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"error": {"status": exc.status_code, "message": exc.detail}}, status_code=exc.status_code
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"location": ".".join(str(p) for p in error["loc"]), "message": error["msg"]}
            for error in exc.errors()
        ]
        return JSONResponse(
            {"error": {"status": 422, "message": "invalid request parameters", "details": problems}},
            status_code=422,
        )

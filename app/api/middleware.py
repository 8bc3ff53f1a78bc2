"""ASGI middleware that must run before any route reads a byte: body size caps and security headers.

Both are plain ASGI (not ``@app.middleware("http")``): a body cap has to see the request *before* a route
reads it and count bytes as they stream in, which a ``BaseHTTPMiddleware`` cannot do without buffering.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import unquote_plus

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No route takes more than a claim (a few kilobytes); routes that take more are named in ``limits``.
DEFAULT_MAX_BODY_BYTES = 64 * 1024

# Pages load scripts and styles from LaunchGap only. Styles allow inline because Swagger UI and Redoc set
# style attributes and inject <style> tags; Redoc's search runs in a worker built from a blob: URL.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class BodyTooLarge(StarletteHTTPException):
    """Raised from ``receive`` when a streamed body passes the cap. An HTTPException, so a route (or FastAPI's
    own body reading) lets it through to the JSON error handler as a 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body over {limit} bytes")


async def _refuse(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": {"status": status, "message": message}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodySizeLimit:
    """Refuse request bodies over the route's cap: by ``Content-Length`` before anything is read, and by
    counting the bytes of a streamed (chunked) body as they arrive, so no route ever holds more than the cap.
    """

    def __init__(
        self, app: ASGIApp, *, default: int = DEFAULT_MAX_BODY_BYTES, limits: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.default = default
        self.limits = dict(limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(scope["path"], self.default)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await _refuse(send, 400, "Content-Length is not a number")
                return
            if int(declared) > limit:
                await _refuse(send, 413, f"request body over {limit} bytes")
                return
        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge as exc:
            if response_started:  # too late for a status; the connection is dropped instead
                raise
            await _refuse(send, 413, str(exc.detail))


class SecurityHeaders:
    """``X-Content-Type-Options: nosniff`` on every response; a Content-Security-Policy on HTML ones."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if b"x-content-type-options" not in names:
                    headers.append((b"x-content-type-options", b"nosniff"))
                content_type = dict(headers).get(b"content-type", b"")
                if content_type.startswith(b"text/html") and b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))
                    headers.append((b"referrer-policy", b"same-origin"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class RefuseNulBytes:
    """422 for a URL with a NUL character (raw or percent-encoded): no text column accepts NUL (PostgreSQL
    raises on it), so it is refused up front, the same on both databases. Plain ASGI: the
    ``@app.middleware("http")`` form it replaces cost every request a task group and a streamed copy of its
    body (docs/operations.md, "The hot list")."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _has_nul(scope):
            response = JSONResponse(
                {"error": {"status": 422, "message": "NUL characters are not allowed in the URL"}},
                status_code=422,
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _has_nul(scope: Scope) -> bool:
    raw = scope.get("query_string", b"").decode("latin-1")
    return "\x00" in unquote_plus(raw) or "\x00" in scope.get("path", "")

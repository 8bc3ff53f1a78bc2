"""HTTP request latency per route template (``/api/v1/watches/{watch_id}``, never the raw path) and per
standard method (anything else is ``other``), so the number of series stays bounded whatever clients send."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.metrics import HTTP_REQUEST_DURATION

UNMATCHED = "unmatched"
STANDARD_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"})
OTHER_METHOD = "other"


class RequestMetrics:
    """Pure ASGI middleware: observes each request's duration once the router has named its route."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            HTTP_REQUEST_DURATION.labels(
                method=method_label(scope["method"]), route=route_template(scope), status=str(status)
            ).observe(time.perf_counter() - started)


def method_label(method: str) -> str:
    """The request method as a label: one of the standard methods, else ``other`` (a client can send any
    token as a method; each would otherwise become a series of its own)."""
    return method if method in STANDARD_METHODS else OTHER_METHOD


def route_template(scope: Scope) -> str:
    """The matched route's template with its router prefix (``/api/v1/watches/{watch_id}``), or
    ``unmatched``.

    The router writes the matched route into the (shared) scope. Depending on the FastAPI version, an
    included route's own ``path`` may lack its router's prefix; prefixes hold no parameters, so the prefix is
    the part of the request path before where the route's own pattern matches.
    """
    route = scope.get("route")
    pattern = getattr(route, "path_regex", None)
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    if route is None or pattern is None or template is None:
        return UNMATCHED
    path: str = scope.get("path", "")
    for start, char in enumerate(path):
        if char == "/" and pattern.match(path[start:]):
            return path[:start] + template
    return template

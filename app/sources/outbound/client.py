"""One signed POST to a checked receiver, with hard limits: no redirects, one wall-clock deadline (10 s) over
connecting, sending, the answer's headers and its body, and a few KB read.

The request goes to the address the guard checked (the URL's host is kept in the ``Host`` header and, for
https, as the TLS server name, so certificates are verified against the name), never to a second
resolution of the name.

The deadline is total, not per read: every socket operation waits at most for what is left of it, so a
receiver dripping one byte at a time (each read well inside any per-read timeout) is cut off when the
deadline passes. The request is made with httpcore (httpx's transport layer), whose network backend can be
replaced: that is where the remaining time is applied.
"""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlunsplit

import httpcore
import httpx

from app.domain.vocabulary import AttemptOutcome
from app.sources.outbound.guard import RefusedTarget, Resolver, Target, resolve_target, system_resolver

TIMEOUT_SECONDS = 10.0
"""The whole attempt (connect, TLS, request, answer headers and the capped body), wall clock."""
MAX_RESPONSE_BYTES = 4096
USER_AGENT = "LaunchGap-Watch/1"

# What httpcore raises for the receiver's faults (a refused connection, a timeout, a broken answer).
_RECEIVER_FAULTS = (
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
)


@dataclass(frozen=True)
class PostResult:
    """What one attempt gave: ``outcome`` is ``delivered`` (a 2xx), ``failed`` or ``refused`` (address)."""

    outcome: AttemptOutcome
    status_code: int | None = None
    error: str | None = None
    excerpt: str | None = None


def _time_left(deadline: float, timeout: float | None, expired: type[Exception]) -> float:
    """What is left before ``deadline`` (time.monotonic()), capped by the operation's own ``timeout``;
    ``expired`` is raised once the deadline has passed."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise expired("the delivery's deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every read and write waits at most until ``deadline`` (time.monotonic())."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: float) -> None:
        self._stream = stream
        self._deadline = deadline

    def _left(self, timeout: float | None, expired: type[Exception]) -> float:
        return _time_left(self._deadline, timeout, expired)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        wrapped = self._stream.start_tls(
            ssl_context, server_hostname, self._left(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(wrapped, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own socket backend, with every operation bounded by one shared deadline."""

    def __init__(self, deadline: float) -> None:
        self._backend = httpcore.SyncBackend()
        self._deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        left = _time_left(self._deadline, timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, left, local_address, socket_options)
        return _DeadlineStream(stream, self._deadline)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def _address_url(target: Target, address: str) -> str:
    literal = f"[{address}]" if ":" in address else address
    # raw_path is the path with its query string, exactly as given.
    path_and_query = httpx.URL(target.url).raw_path.decode()
    return urlunsplit((target.scheme, f"{literal}:{target.port}", path_and_query, "", ""))


def _host_header(target: Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"


def post_json(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    allow_private: bool,
    timeout: float = TIMEOUT_SECONDS,
    max_response_bytes: int = MAX_RESPONSE_BYTES,
    resolver: Resolver = system_resolver,
) -> PostResult:
    """POST ``body`` to ``url`` after checking every address of its host (unless ``allow_private``).

    Never raises for the receiver's faults: a refused address, a network error, a timeout or a non-2xx
    answer are results. The attempt ends within ``timeout`` seconds of starting to connect, whatever the
    receiver does; at most ``max_response_bytes`` of the answer are read.
    """
    try:
        target = resolve_target(url, allow_private=allow_private, resolver=resolver)
    except RefusedTarget as exc:
        return PostResult(AttemptOutcome.REFUSED, error=str(exc))
    request_headers = {
        **headers,
        "Host": _host_header(target),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        # Raw bytes only: a compressed answer could expand far beyond what we mean to read.
        "Accept-Encoding": "identity",
    }
    extensions: dict[str, Any] = {
        "timeout": {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}
    }
    if target.scheme == "https":
        extensions["sni_hostname"] = target.host
    deadline = time.monotonic() + timeout
    last_error = "no address to connect to"
    # httpcore never reads proxy settings from the environment: the request goes to the checked address.
    with httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(), network_backend=_DeadlineBackend(deadline), retries=0
    ) as pool:
        for address in target.addresses:
            try:
                with pool.stream(
                    "POST",
                    _address_url(target, address),
                    headers=list(request_headers.items()),
                    content=body,
                    extensions=extensions,
                ) as response:
                    status = response.status
                    location = _header(response, b"location")
                    try:
                        excerpt = _read_some(response, max_response_bytes, deadline)
                    except _RECEIVER_FAULTS as exc:
                        return PostResult(
                            AttemptOutcome.FAILED, status, f"reading the answer: {_describe(exc)}"
                        )
            except httpcore.ConnectError as exc:  # this address is down: try the host's next one
                last_error = f"cannot connect to {address}: {exc}"
                continue
            except _RECEIVER_FAULTS as exc:
                return PostResult(AttemptOutcome.FAILED, error=_describe(exc))
            if 200 <= status < 300:
                return PostResult(AttemptOutcome.DELIVERED, status, excerpt=excerpt)
            if 300 <= status < 400:
                return PostResult(
                    AttemptOutcome.FAILED, status, f"redirect to {location!r} not followed", excerpt
                )
            return PostResult(AttemptOutcome.FAILED, status, f"HTTP {status}", excerpt)
    return PostResult(AttemptOutcome.FAILED, error=last_error)


def _describe(exc: Exception) -> str:
    name = type(exc).__name__
    return f"{name}: {exc}" if str(exc) else name


def _header(response: httpcore.Response, name: bytes) -> str:
    for key, value in response.headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


def _read_some(response: httpcore.Response, limit: int, deadline: float) -> str:
    """The first ``limit`` bytes of the answer as text; stops at the limit or the deadline (a read never
    waits past the deadline: the stream's own bound). The status is the receiver's answer: a body still
    arriving at the deadline is cut, not a failure."""
    data = bytearray()
    try:
        for chunk in response.iter_stream():
            data.extend(chunk)
            if len(data) >= limit or time.monotonic() > deadline:
                break
    except httpcore.TimeoutException:
        pass
    return bytes(data[:limit]).decode("utf-8", errors="replace")

"""One signed POST to a checked receiver, with hard limits: no redirects, a 10 s timeout, a few KB read.

The request goes to the address the guard checked (the URL's host is kept in the ``Host`` header and, for
https, as the TLS server name, so certificates are verified against the name), never to a second
resolution of the name.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlunsplit

import httpx

from app.domain.vocabulary import AttemptOutcome
from app.sources.outbound.guard import RefusedTarget, Resolver, Target, resolve_target, system_resolver

TIMEOUT_SECONDS = 10.0
MAX_RESPONSE_BYTES = 4096
USER_AGENT = "LaunchGap-Watch/1"


@dataclass(frozen=True)
class PostResult:
    """What one attempt gave: ``outcome`` is ``delivered`` (a 2xx), ``failed`` or ``refused`` (address)."""

    outcome: AttemptOutcome
    status_code: int | None = None
    error: str | None = None
    excerpt: str | None = None


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
    answer are results. At most ``max_response_bytes`` of the answer are read.
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
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    deadline = time.monotonic() + timeout
    last_error = "no address to connect to"
    # trust_env=False: a proxy from the environment would make the request from elsewhere, past the guard.
    with httpx.Client(follow_redirects=False, timeout=httpx.Timeout(timeout), trust_env=False) as client:
        for address in target.addresses:
            request = client.build_request(
                "POST", _address_url(target, address), content=body, headers=request_headers
            )
            request.extensions.update(extensions)
            try:
                response = client.send(request, stream=True)
            except httpx.ConnectError as exc:  # this address is down: try the host's next one
                last_error = f"cannot connect to {address}: {exc}"
                continue
            except httpx.HTTPError as exc:
                return PostResult(AttemptOutcome.FAILED, error=f"{type(exc).__name__}: {exc}")
            try:
                excerpt = _read_some(response, max_response_bytes, deadline)
            except httpx.HTTPError as exc:
                return PostResult(
                    AttemptOutcome.FAILED,
                    response.status_code,
                    f"reading the answer: {type(exc).__name__}: {exc}",
                )
            finally:
                response.close()
            status = response.status_code
            if 200 <= status < 300:
                return PostResult(AttemptOutcome.DELIVERED, status, excerpt=excerpt)
            if 300 <= status < 400:
                where = response.headers.get("location", "")
                return PostResult(
                    AttemptOutcome.FAILED, status, f"redirect to {where!r} not followed", excerpt
                )
            return PostResult(AttemptOutcome.FAILED, status, f"HTTP {status}", excerpt)
    return PostResult(AttemptOutcome.FAILED, error=last_error)


def _read_some(response: httpx.Response, limit: int, deadline: float) -> str:
    """The first ``limit`` bytes of the answer as text; stops at the limit or the deadline."""
    data = bytearray()
    for chunk in response.iter_raw(chunk_size=1024):
        data.extend(chunk)
        if len(data) >= limit or time.monotonic() > deadline:
            break
    return bytes(data[:limit]).decode("utf-8", errors="replace")

"""``HubClient``: lists a publisher's models and reads one model, with timeouts, retries and a budget.

Why not ``HfApi.list_models`` / ``HfApi.model_info`` directly:
- ``list_models`` hides its responses, so the ``RateLimit`` headers cannot feed our budget, and it sleeps
  ``t + 1`` seconds up to five times on a 429 (minutes on the real Hub) where we want to end the cycle and
  resume next time; it also sends the token to whatever host a ``Link`` header names.
- ``model_info`` does not retry at all.
- Neither caps the body size.
So the requests go through an ``httpx2.Client`` built by ``make_http_client`` (huggingface_hub's request
hook, redirects followed as the Hub's renames need, a timeout), with huggingface_hub's own headers
(``build_hf_headers``), error mapping (``hf_raise_for_status``) and rate-limit parsing
(``parse_ratelimit_headers``). Only this package imports huggingface_hub or httpx2.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import httpx2
from huggingface_hub import errors as hf_errors
from huggingface_hub.utils import build_hf_headers, hf_raise_for_status, parse_ratelimit_headers
from huggingface_hub.utils._http import hf_request_event_hook  # private module; the notes say so too

from app.metrics import HUB_REQUESTS
from app.sources.hub.budget import RequestBudget
from app.sources.hub.errors import (
    HubBadResponse,
    HubError,
    HubPublisherNotFound,
    HubRateLimited,
    HubRepoNotFound,
    HubUnavailable,
)
from app.sources.hub.types import (
    EXPAND_FIELDS,
    HubListing,
    HubModel,
    ListingPage,
    check_org,
    check_repo_id,
)

if TYPE_CHECKING:
    from app.config import Settings

log = logging.getLogger(__name__)

USER_AGENT_LIBRARY = "launchgap"
DEFAULT_PAGE_SIZE = 1000  # the largest page the Hub is known to serve
DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
RETRY_STATUSES = frozenset({408, 500, 502, 503, 504})


def _outcome(status: int) -> str:
    """The ``launchgap_hub_requests_total`` outcome of an HTTP answer."""
    if status < 400:
        return "ok"
    return {404: "not_found", 429: "rate_limited"}.get(status, "http_error")


def make_http_client(timeout: float) -> httpx2.Client:
    """The client factory: huggingface_hub's request hook (offline mode, request ids), redirects, a timeout.

    huggingface_hub's default factory has ``timeout=None``, so a stalled Hub would hang a cycle forever.
    """
    return httpx2.Client(
        event_hooks={"request": [hf_request_event_hook]},
        follow_redirects=True,
        timeout=httpx2.Timeout(timeout),
    )


_BUDGETS: dict[tuple[str, int], RequestBudget] = {}
_BUDGETS_LOCK = threading.Lock()


def shared_budget(endpoint: str, limit: int) -> RequestBudget:
    """One budget per endpoint for the whole process, so clients built per cycle or per webhook share it."""
    with _BUDGETS_LOCK:
        return _BUDGETS.setdefault((endpoint.rstrip("/"), limit), RequestBudget(limit))


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


class HubClient:
    """Reads public model metadata from one Hub endpoint.

    ``budget`` is shared by every request (pass one to share it between clients); ``max_retry_wait`` is the
    longest Retry-After we sleep through inside one call, longer waits raise ``HubRateLimited`` so the
    caller can end its cycle. ``sleep`` is injectable so tests do not wait.
    """

    def __init__(
        self,
        endpoint: str,
        token: str | None,
        timeout: float,
        *,
        budget: RequestBudget | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_retries: int = 3,
        backoff_seconds: float = 1.0,
        max_retry_wait: float = 10.0,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        http_client: httpx2.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout
        self.budget = budget or RequestBudget(400)
        self.page_size = page_size
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self.max_retry_wait = max_retry_wait
        self.max_body_bytes = max_body_bytes
        self._sleep = sleep
        self._http = http_client or make_http_client(timeout)
        self._origin = _origin(self.endpoint)
        self._headers_anonymous = build_hf_headers(token=False, library_name=USER_AGENT_LIBRARY)
        self._headers_auth = (
            build_hf_headers(token=token, library_name=USER_AGENT_LIBRARY)
            if token
            else self._headers_anonymous
        )
        self.requests_sent = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> HubClient:
        """A client for ``settings.hub_endpoint`` with the configured token, timeout and budget."""
        token = settings.hub_token.get_secret_value() if settings.hub_token else None
        return cls(
            settings.hub_endpoint,
            token,
            settings.hub_timeout_seconds,
            budget=shared_budget(settings.hub_endpoint, settings.hub_request_budget),
            page_size=settings.hub_page_size,
            max_retry_wait=settings.hub_max_retry_wait_seconds,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public calls -----------------------------------------------------------------------------------

    def list_publisher_models(self, org: str) -> HubListing:
        """Every public model of ``org``, following pagination, with the ``expand`` fields we store.

        Raises ``HubPublisherNotFound`` when the org does not exist (an empty listing is checked), and any
        ``HubError`` met on the first page. An error on a later page returns the pages read so far with
        ``complete=False`` and the error, so a rate limit mid-listing loses nothing.
        """
        check_org(org)
        params: list[tuple[str, str]] = [
            ("author", org),
            ("sort", "createdAt"),
            ("limit", str(self.page_size)),
        ]
        params += [("expand", field) for field in EXPAND_FIELDS]
        url: str | None = f"{self.endpoint}/api/models"
        models: dict[str, HubModel] = {}
        rejected: list[str] = []
        pages = 0
        error: Exception | None = None
        first = True
        while url is not None:
            try:
                response, body = self._get(url, params if first else None)
            except HubError as exc:
                if first:
                    raise
                error = exc
                break
            first = False
            pages += 1
            items = self._json(body, response)
            if not isinstance(items, list):
                exc = HubBadResponse(f"listing page for {org} is not a JSON array", url=str(response.url))
                if pages == 1:
                    raise exc
                error = exc
                break
            for item in items:
                try:
                    model = HubModel.from_api(item)
                except HubBadResponse as exc:
                    rejected.append(str(exc))
                    continue
                models.setdefault(model.hub_id, model)
            url = self._next_link(response)
        if error is None and not models and not rejected:
            self._check_namespace_exists(org)
        return HubListing(
            org=org,
            models=tuple(models.values()),
            complete=error is None,
            pages=pages,
            error=error,
            rejected=tuple(rejected),
        )

    def firehose_page(self, sort: str, url: str | None = None) -> ListingPage:
        """One page of every public model on the Hub, newest first by ``sort`` (``createdAt`` or
        ``lastModified``), with the ``expand`` fields we store: the first page when ``url`` is None, else the
        page a previous one's ``next_url`` names (the Hub's own cursor, kept across restarts by the caller).

        Items that cannot be parsed are counted in ``rejected``; any ``HubError`` is raised (nothing of the
        page is returned, so the caller resumes from the same ``url``).
        """
        if sort not in ("createdAt", "lastModified"):
            raise ValueError(f"the firehose reads the listing by createdAt or lastModified, not {sort!r}")
        params: list[tuple[str, str]] | None = None
        if url is None:
            url = f"{self.endpoint}/api/models"
            params = [("sort", sort), ("limit", str(self.page_size))]
            params += [("expand", field) for field in EXPAND_FIELDS]
        elif _origin(url) != self._origin:
            raise HubBadResponse(f"pagination link leaves the endpoint: {url}", url=url)
        response, body = self._get(url, params)
        items = self._json(body, response)
        if not isinstance(items, list):
            raise HubBadResponse("firehose listing page is not a JSON array", url=str(response.url))
        models: list[tuple[HubModel, dict[str, Any]]] = []
        rejected = 0
        for item in items:
            try:
                models.append((HubModel.from_api(item), item))
            except HubBadResponse:
                rejected += 1
        return ListingPage(items=tuple(models), next_url=self._next_link(response), rejected=rejected)

    def model_info(self, repo_id: str) -> HubModel:
        """One model by repo id (renames are followed: the returned ``repo_id`` may differ).

        Raises ``HubRepoNotFound`` for a missing or private repo; retries 5xx, timeouts and short 429s.
        """
        check_repo_id(repo_id)
        url = f"{self.endpoint}/api/models/{quote(repo_id, safe='/')}"
        response, body = self._get(url, [("expand", field) for field in EXPAND_FIELDS], repo_id=repo_id)
        item = self._json(body, response)
        return HubModel.from_api(item)

    # -- plumbing ---------------------------------------------------------------------------------------

    def _check_namespace_exists(self, org: str) -> None:
        for kind in ("organizations", "users"):
            try:
                self._get(f"{self.endpoint}/api/{kind}/{quote(org)}/overview", None, repo_id=org)
                return
            except HubRepoNotFound:
                continue
        raise HubPublisherNotFound(f"no Hub org or user named {org!r}", status=404)

    def _next_link(self, response: httpx2.Response) -> str | None:
        link = response.links.get("next", {}).get("url")
        if not link:
            return None
        if _origin(link) != self._origin:
            # A Link elsewhere would get our headers (and token); the Hub never does this.
            raise HubBadResponse(f"pagination link leaves the endpoint: {link}", url=str(response.url))
        return link

    def _json(self, body: bytes, response: httpx2.Response) -> Any:
        try:
            return json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise HubBadResponse(
                f"malformed JSON from {response.url}: {exc}",
                status=response.status_code,
                url=str(response.url),
            ) from exc

    def _headers_for(self, url: str) -> dict[str, str]:
        # The token goes only to the configured endpoint (httpx2 also drops it on cross-origin redirects).
        return self._headers_auth if _origin(url) == self._origin else self._headers_anonymous

    def _get(
        self, url: str, params: Iterable[tuple[str, str]] | None, *, repo_id: str | None = None
    ) -> tuple[httpx2.Response, bytes]:
        """GET with our retry policy; returns the response and its (size-capped) body."""
        params = list(params) if params is not None else None
        attempt = 0
        while True:
            self.budget.take()
            self.requests_sent += 1
            failure: HubError
            try:
                response, body = self._send(url, params)
            except HubBadResponse:  # an answer too large to read
                HUB_REQUESTS.labels(outcome="bad_response").inc()
                raise
            except httpx2.TimeoutException as exc:
                HUB_REQUESTS.labels(outcome="timeout").inc()
                failure = HubUnavailable(f"timed out after {self.timeout:g}s: GET {url}", url=url)
                failure.__cause__ = exc
            except httpx2.TransportError as exc:
                HUB_REQUESTS.labels(outcome="unreachable").inc()
                failure = HubUnavailable(
                    f"cannot reach the Hub ({type(exc).__name__}: {exc}): GET {url}", url=url
                )
                failure.__cause__ = exc
            else:
                self._note_rate_limit(response)
                status = response.status_code
                HUB_REQUESTS.labels(outcome=_outcome(status)).inc()
                if status < 400:
                    return response, body
                if status == 429:
                    wait = self._retry_after(response)
                    if wait <= self.max_retry_wait and attempt < self.max_retries:
                        log.info("Hub rate limit on %s; waiting %.1fs (retry %d)", url, wait, attempt + 1)
                        self._sleep(wait)
                        attempt += 1
                        continue
                    # Nothing more goes to the Hub until it said we may: the next cycle resumes then.
                    self.budget.block_for(wait)
                    raise HubRateLimited(
                        f"Hub rate limit reached; retry after {wait:.0f}s (GET {url})",
                        retry_after=wait,
                        status=429,
                        url=url,
                    )
                failure = self._map_error(response, body, repo_id)
                if status not in RETRY_STATUSES:
                    raise failure
            if attempt >= self.max_retries:
                raise failure
            delay = min(self.backoff_seconds * (2**attempt), 8.0)
            # At debug level: what the cycle ends with is logged once per change of the publisher's state
            # (``source_state.record_failure``), not every retry of every cycle.
            log.debug("Hub request failed (%s); retrying in %.1fs", failure, delay)
            self._sleep(delay)
            attempt += 1

    def _send(self, url: str, params: list[tuple[str, str]] | None) -> tuple[httpx2.Response, bytes]:
        deadline = time.monotonic() + self.timeout
        with self._http.stream("GET", url, params=params, headers=self._headers_for(url)) as response:
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > self.max_body_bytes:
                raise HubBadResponse(
                    f"response body of {declared} bytes exceeds the {self.max_body_bytes}-byte cap: GET {url}",
                    status=response.status_code,
                    url=url,
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_body_bytes:
                    raise HubBadResponse(
                        f"response body exceeds the {self.max_body_bytes}-byte cap: GET {url}",
                        status=response.status_code,
                        url=url,
                    )
                if time.monotonic() > deadline:
                    # The read timeout is per chunk; a server dripping bytes must not hold a cycle forever.
                    raise httpx2.ReadTimeout("body not received within the timeout", request=response.request)
                chunks.append(chunk)
            return response, b"".join(chunks)

    def _note_rate_limit(self, response: httpx2.Response) -> None:
        info = parse_ratelimit_headers(response.headers)
        if info is not None and info.remaining == 0 and response.status_code != 429:
            self.budget.block_for(info.reset_in_seconds)

    @staticmethod
    def _retry_after(response: httpx2.Response) -> float:
        info = parse_ratelimit_headers(response.headers)
        if info is not None and info.remaining == 0:
            return float(info.reset_in_seconds) + 1.0
        retry_after = response.headers.get("retry-after", "").strip()
        if retry_after.isdigit():
            return float(retry_after) + 1.0
        return 60.0  # no usable hint: be conservative rather than hammer the Hub

    def _map_error(self, response: httpx2.Response, body: bytes, repo_id: str | None) -> HubError:
        status = response.status_code
        url = str(response.url)
        replay = httpx2.Response(status, headers=response.headers, content=body, request=response.request)
        message = f"HTTP {status}"
        try:
            hf_raise_for_status(replay)
        except hf_errors.RepositoryNotFoundError as exc:
            return HubRepoNotFound(
                f"{repo_id or url}: not found or private ({exc.server_message or status})",
                status=status,
                url=url,
            )
        except hf_errors.HfHubHTTPError as exc:
            message = f"HTTP {status}: {exc.server_message or response.reason_phrase}"
        if status == 404:
            return HubRepoNotFound(f"{repo_id or url}: not found ({message})", status=status, url=url)
        if status in (401, 403):
            return HubUnavailable(
                f"the Hub refused the request ({message}); check the token: GET {url}", status=status, url=url
            )
        if status >= 500 or status == 408:
            return HubUnavailable(f"Hub server error ({message}): GET {url}", status=status, url=url)
        return HubError(f"Hub request failed ({message}): GET {url}", status=status, url=url)

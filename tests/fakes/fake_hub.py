"""A fake Hugging Face Hub served over real HTTP on 127.0.0.1, for tests, benchmarks and demos.

Bodies are shaped like the recorded ones (../shared/data/hf-samples): ``_id`` (an ObjectId whose first four
bytes are the creation time), ``id``, ``createdAt`` with milliseconds and ``Z``, a ``config`` summary,
``safetensors``, ``tags`` including ``base_model:*``. With ``expand`` only ``_id``, ``id`` and the asked
fields come back; an unknown expand value is a 400, as on the Hub. Listings paginate with an absolute
``Link`` next URL that keeps the original query string.

Fluent use::

    with FakeHub(page_size=2) as hub:
        hub.add_model("acme", "Big-Base", architectures=["BigForCausalLM"], model_type="big",
                      created_at=datetime(2025, 1, 1, tzinfo=UTC))
        hub.fail_next(429, headers={"RateLimit": '"api";r=0;t=30'})
        client = HubClient(hub.url, None, 5)

Standalone: ``python -m tests.fakes.fake_hub --port 8765 --seed demo``.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

KNOWN_EXPAND = frozenset(
    [
        "author",
        "baseModels",
        "cardData",
        "childrenModelCount",
        "config",
        "createdAt",
        "disabled",
        "downloads",
        "downloadsAllTime",
        "evalResults",
        "gated",
        "gguf",
        "inference",
        "inferenceProviderMapping",
        "lastModified",
        "library_name",
        "likes",
        "mask_token",
        "model-index",
        "pipeline_tag",
        "private",
        "resourceGroup",
        "safetensors",
        "sha",
        "siblings",
        "spaces",
        "tags",
        "transformersInfo",
        "trendingScore",
        "usedStorage",
        "widgetData",
    ]
)
DEFAULT_LIST_FIELDS = (
    "likes",
    "trendingScore",
    "private",
    "downloads",
    "tags",
    "pipeline_tag",
    "library_name",
    "createdAt",
)


def hub_time(value: datetime) -> str:
    """The Hub's timestamp format: ``2024-07-18T08:56:00.000Z``."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


@dataclass
class FakeModel:
    hub_id: str
    org: str
    name: str
    created_at: datetime
    architectures: list[str]
    model_type: str | None
    private: bool = False
    gated: bool | str = False
    base_models: list[tuple[str, str]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    parameters: int | None = None
    auto_map: bool = False
    quant_method: str | None = None
    library_name: str | None = "transformers"
    pipeline_tag: str | None = "text-generation"
    last_modified: datetime | None = None
    sha: str = "0" * 40
    deleted: bool = False
    downloads: int = 0
    likes: int = 0
    old_names: list[str] = field(default_factory=list)

    @property
    def repo_id(self) -> str:
        return f"{self.org}/{self.name}"

    def body(self) -> dict[str, Any]:
        """The full default payload, in the Hub's key order."""
        config: dict[str, Any] = {}
        if self.architectures:
            config["architectures"] = list(self.architectures)
        if self.model_type:
            config["model_type"] = self.model_type
        if self.auto_map:
            config["auto_map"] = {
                "AutoConfig": "configuration_x.XConfig",
                "AutoModelForCausalLM": "modeling_x.XModel",
            }
        if self.quant_method:
            config["quantization_config"] = {"quant_method": self.quant_method}
        config["tokenizer_config"] = {"bos_token": "<s>", "eos_token": "</s>"}
        tags = ["transformers", "safetensors"]
        if self.model_type:
            tags.append(self.model_type)
        tags += ["text-generation", *self.tags]
        if self.auto_map:
            tags.append("custom_code")
        for relation, repo in self.base_models:
            tags.append(f"base_model:{repo}")
            tags.append(f"base_model:{relation}:{repo}" if relation else f"base_model:{repo}")
        tags = [*dict.fromkeys(tags), "region:us"]
        body: dict[str, Any] = {
            "_id": self.hub_id,
            "id": self.repo_id,
            "private": self.private,
            "pipeline_tag": self.pipeline_tag,
            "library_name": self.library_name,
            "tags": tags,
            "downloads": self.downloads,
            "likes": self.likes,
            "modelId": self.repo_id,
            "author": self.org,
            "sha": self.sha,
            "lastModified": hub_time(self.last_modified or self.created_at),
            "gated": self.gated,
            "disabled": False,
            "config": config,
            "createdAt": hub_time(self.created_at),
            "trendingScore": 0,
        }
        if self.parameters is not None:
            body["safetensors"] = {"parameters": {"BF16": self.parameters}, "total": self.parameters}
        return body


@dataclass
class Fault:
    """One queued misbehaviour, used by the next request whose path contains ``path_contains``."""

    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    delay: float = 0.0
    path_contains: str = ""
    passthrough: bool = False
    """Serve the real answer after ``delay`` instead of an error."""
    query_contains: str = ""
    """Only a request whose query string contains this (e.g. ``cursor=``: a listing's later page)."""


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: dict[str, str]

    def param(self, name: str) -> list[str]:
        return [v for k, v in self.query if k == name]


class FakeHub:
    """A fake Hub on a free loopback port; see the module docstring."""

    def __init__(self, *, page_size: int = 1000, host: str = "127.0.0.1", port: int = 0) -> None:
        self.page_size = page_size
        self.models: dict[str, FakeModel] = {}
        self.orgs: set[str] = set()
        self.requests: list[RecordedRequest] = []
        self._faults: list[Fault] = []
        self._lock = threading.RLock()
        self._counter = itertools.count(1)
        self._server = _QuietServer((host, port), _make_handler(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeHub:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="fake-hub",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- content ---------------------------------------------------------------------------------------

    def add_org(self, org: str) -> FakeHub:
        with self._lock:
            self.orgs.add(org)
        return self

    def add_model(
        self,
        org: str,
        name: str,
        *,
        architectures: Sequence[str] = (),
        model_type: str | None = None,
        created_at: datetime,
        hub_id: str | None = None,
        private: bool = False,
        gated: bool | str = False,
        base_models: Sequence[str | tuple[str, str]] = (),
        tags: Sequence[str] = (),
        parameters: int | None = None,
        auto_map: bool = False,
        quant_method: str | None = None,
        library_name: str | None = "transformers",
        pipeline_tag: str | None = "text-generation",
    ) -> FakeHub:
        """Add a repo. ``base_models`` items are repo ids or ``(relation, repo_id)`` pairs."""
        if hub_id is None:
            hub_id = f"{int(created_at.timestamp()):08x}{next(self._counter):016x}"
        lineage = [item if isinstance(item, tuple) else ("finetune", item) for item in base_models]
        with self._lock:
            self.orgs.add(org)
            self.models[hub_id] = FakeModel(
                hub_id=hub_id,
                org=org,
                name=name,
                created_at=created_at.astimezone(UTC),
                architectures=list(architectures),
                model_type=model_type,
                private=private,
                gated=gated,
                base_models=lineage,
                tags=list(tags),
                parameters=parameters,
                auto_map=auto_map,
                quant_method=quant_method,
                library_name=library_name,
                pipeline_tag=pipeline_tag,
            )
        return self

    def model(self, repo_id: str) -> FakeModel:
        with self._lock:
            for model in self.models.values():
                if model.repo_id == repo_id and not model.deleted:
                    return model
        raise KeyError(repo_id)

    def hub_id(self, repo_id: str) -> str:
        return self.model(repo_id).hub_id

    def rename(self, repo_id: str, new_repo_id: str) -> FakeHub:
        """Move a repo; the old name answers 307 to the new one, as on the Hub."""
        with self._lock:
            model = self.model(repo_id)
            model.old_names.append(repo_id)
            model.org, model.name = new_repo_id.split("/", 1)
            self.orgs.add(model.org)
        return self

    def delete(self, repo_id: str) -> FakeHub:
        with self._lock:
            self.model(repo_id).deleted = True
        return self

    def make_private(self, repo_id: str) -> FakeHub:
        with self._lock:
            self.model(repo_id).private = True
        return self

    def make_public(self, repo_id: str, *, at: datetime | None = None) -> FakeHub:
        """Turn a repo public; ``at`` is its new ``lastModified`` (the firehose finds it by that)."""
        with self._lock:
            model = self.model(repo_id)
            model.private = False
            if at is not None:
                model.last_modified = at.astimezone(UTC)
        return self

    # -- faults ----------------------------------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        *,
        headers: dict[str, str] | None = None,
        body: bytes | str | None = None,
        path_contains: str = "",
        times: int = 1,
        query_contains: str = "",
    ) -> FakeHub:
        """Answer the next ``times`` matching requests with ``status`` (and headers such as RateLimit)."""
        if isinstance(body, str):
            body = body.encode()
        with self._lock:
            for _ in range(times):
                self._faults.append(
                    Fault(
                        status=status,
                        headers=dict(headers or {}),
                        body=body,
                        path_contains=path_contains,
                        query_contains=query_contains,
                    )
                )
        return self

    def rate_limit_next(
        self, *, reset: int = 30, times: int = 1, path_contains: str = "", query_contains: str = ""
    ) -> FakeHub:
        """A 429 with the Hub's ``RateLimit`` headers (``r=0;t=reset``)."""
        return self.fail_next(
            429,
            headers={
                "RateLimit": f'"api";r=0;t={reset}',
                "RateLimit-Policy": '"fixed window";"api";q=500;w=300',
            },
            body=b'{"error":"Too Many Requests"}',
            path_contains=path_contains,
            times=times,
            query_contains=query_contains,
        )

    def malformed_next(self, *, path_contains: str = "", times: int = 1) -> FakeHub:
        """A 200 whose body is not JSON."""
        return self.fail_next(
            200, body=b'[{"_id": "68db90fc", "id": ', path_contains=path_contains, times=times
        )

    def oversized_next(self, size: int, *, path_contains: str = "") -> FakeHub:
        """A 200 with a ``size``-byte body (valid JSON padding)."""
        return self.fail_next(200, body=b"[" + b" " * max(size - 2, 0) + b"]", path_contains=path_contains)

    def slow_next(self, seconds: float, *, path_contains: str = "", times: int = 1) -> FakeHub:
        """Answer normally, but only after ``seconds``."""
        with self._lock:
            for _ in range(times):
                self._faults.append(Fault(delay=seconds, path_contains=path_contains, passthrough=True))
        return self

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_fault(self, path: str, query: str = "") -> Fault | None:
        with self._lock:
            for i, fault in enumerate(self._faults):
                if fault.path_contains in path and fault.query_contains in query:
                    return self._faults.pop(i)
        return None

    def requests_to(self, path_prefix: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.startswith(path_prefix)]

    # -- answers ---------------------------------------------------------------------------------------

    def _visible(self) -> list[FakeModel]:
        return [m for m in self.models.values() if not m.deleted and not m.private]

    def answer(
        self, method: str, raw_path: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(raw_path)
        query = parse_qsl(parts.query, keep_blank_values=True)
        with self._lock:
            self.requests.append(RecordedRequest(method, parts.path, tuple(query), headers))
        fault = self._take_fault(parts.path, parts.query)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if not fault.passthrough:
                body = (
                    fault.body
                    if fault.body is not None
                    else json.dumps({"error": f"fake {fault.status}"}).encode()
                )
                return (
                    fault.status,
                    {"Content-Type": "application/json; charset=utf-8", **fault.headers},
                    body,
                )
        with self._lock:
            return self._route(parts.path, query)

    def _route(self, path: str, query: list[tuple[str, str]]) -> tuple[int, dict[str, str], bytes]:
        if path == "/api/models":
            return self._list(query)
        if path.startswith("/api/models/"):
            return self._info(path.removeprefix("/api/models/"), query)
        for kind in ("organizations", "users"):
            prefix = f"/api/{kind}/"
            if path.startswith(prefix) and path.endswith("/overview"):
                name = path[len(prefix) : -len("/overview")]
                if name in self.orgs:
                    return _json(200, {"name": name, "type": "org" if kind == "organizations" else "user"})
                return _not_found()
        return _json(404, {"error": "Sorry, we can't find the page you are looking for."})

    def _expand(self, query: list[tuple[str, str]]) -> list[str] | None:
        fields = [v for k, v in query if k in ("expand", "expand[]")]
        return fields or None

    def _shape(
        self, model: FakeModel, expand: list[str] | None, default: Sequence[str] | None
    ) -> dict[str, Any]:
        body = model.body()
        keep = expand if expand is not None else default
        if keep is None:
            return body
        return {k: v for k, v in body.items() if k in ("_id", "id") or k in keep}

    def _list(self, query: list[tuple[str, str]]) -> tuple[int, dict[str, str], bytes]:
        expand = self._expand(query)
        if expand and (bad := [f for f in expand if f not in KNOWN_EXPAND]):
            return _json(400, {"error": f'"expand" must be one of the allowed values, got {bad[0]}'})
        params = dict(query)
        models = self._visible()
        if "author" in params:
            models = [m for m in models if m.org == params["author"]]

        # The Hub sorts descending (by createdAt, or lastModified); the ObjectId breaks ties. Its cursor is
        # a position in that order (the last item's key), not an offset: repos created meanwhile shift no page.
        def key(m: FakeModel) -> tuple[str, str]:
            at = (m.last_modified or m.created_at) if params.get("sort") == "lastModified" else m.created_at
            return (hub_time(at) + f"{at.microsecond:06d}", m.hub_id)

        models.sort(key=key, reverse=True)
        limit = min(int(params.get("limit") or self.page_size), self.page_size)
        after = params.get("cursor")
        if after:
            at, _, hub_id = after.partition("|")
            models = [m for m in models if key(m) < (at, hub_id)]
        page = models[:limit]
        headers = {"RateLimit": '"api";r=499;t=300', "RateLimit-Policy": '"fixed window";"api";q=500;w=300'}
        if len(models) > limit:
            last = "|".join(key(page[-1]))
            next_query = [(k, v) for k, v in query if k != "cursor"] + [("cursor", last)]
            headers["Link"] = f'<{self.url}/api/models?{urlencode(next_query)}>; rel="next"'
        default = None if params.get("full") == "true" else DEFAULT_LIST_FIELDS
        return _json(200, [self._shape(m, expand, default) for m in page], headers)

    def _info(self, repo_id: str, query: list[tuple[str, str]]) -> tuple[int, dict[str, str], bytes]:
        expand = self._expand(query)
        if expand and (bad := [f for f in expand if f not in KNOWN_EXPAND]):
            return _json(400, {"error": f'"expand" must be one of the allowed values, got {bad[0]}'})
        live = [m for m in self.models.values() if not m.deleted]
        for model in live:
            if model.repo_id == repo_id:
                if model.private:
                    return _not_found()
                return _json(200, self._shape(model, expand, None))
        # Only a name no live repo holds redirects: a new repo may reuse the old name of a moved one.
        for model in live:
            if repo_id in model.old_names:
                location = f"/api/models/{model.repo_id}" + (f"?{urlencode(query)}" if query else "")
                return (
                    307,
                    {"Location": location, "Content-Type": "text/plain; charset=utf-8"},
                    (f"Temporary Redirect. Redirecting to /api/models/{model.repo_id}".encode()),
                )
        return _not_found()


def _json(
    status: int, payload: Any, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    return (
        status,
        {"Content-Type": "application/json; charset=utf-8", **(headers or {})},
        json.dumps(payload).encode(),
    )


def _not_found() -> tuple[int, dict[str, str], bytes]:
    return _json(
        404,
        {"error": "Repository not found"},
        {"X-Error-Code": "RepoNotFound", "X-Error-Message": "Repository not found"},
    )


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients that hang up early (timeouts, size caps) are part of the tests, not server errors.
        pass


def _make_handler(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            status, headers, body = hub.answer(
                "GET", self.path, {k.lower(): v for k, v in self.headers.items()}
            )
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Request-Id", "Root=1-00000000-000000000000000000000000")
            self.end_headers()
            # The client may give up first (a timeout or a size cap): that is what such a test wants.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def fake_hub() -> Iterator[FakeHub]:
    """A started ``FakeHub``, stopped after the test."""
    with FakeHub() as hub:
        yield hub


def seed_demo(hub: FakeHub) -> None:
    """A couple of publishers with a family, a derivative and an org with pagination."""
    day = datetime(2025, 9, 12, 17, 40, 2, tzinfo=UTC)
    hub.add_model(
        "example-org",
        "Example-MoE-100B-A10B-Base",
        architectures=["ExampleMoeForCausalLM"],
        model_type="example_moe",
        created_at=day,
        gated="manual",
        parameters=100_002_000_000,
        auto_map=True,
    )
    hub.add_model(
        "example-org",
        "Example-MoE-100B-A10B-Instruct",
        architectures=["ExampleMoeForCausalLM"],
        model_type="example_moe",
        created_at=day.replace(day=30),
        parameters=100_002_000_000,
        auto_map=True,
        base_models=["example-org/Example-MoE-100B-A10B-Base"],
    )
    hub.add_model(
        "other-lab",
        "Other-7B",
        architectures=["LlamaForCausalLM"],
        model_type="llama",
        created_at=day.replace(month=3),
        parameters=7_000_000_000,
    )
    hub.add_model(
        "other-lab",
        "Example-MoE-100B-A10B-Instruct-AWQ",
        architectures=["ExampleMoeForCausalLM"],
        model_type="example_moe",
        created_at=day.replace(month=10),
        quant_method="awq",
        base_models=[("quantized", "example-org/Example-MoE-100B-A10B-Instruct")],
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a fake Hugging Face Hub on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", choices=["none", "demo"], default="demo")
    parser.add_argument("--page-size", type=int, default=1000)
    args = parser.parse_args(argv)
    hub = FakeHub(page_size=args.page_size, port=args.port)
    if args.seed == "demo":
        seed_demo(hub)
    print(f"fake Hub listening on {hub.url}", flush=True)
    try:
        hub._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        hub._server.server_close()


if __name__ == "__main__":
    main()

"""Load benchmark: the real server under 50 concurrent connections (prints figures; not part of the test run).

Builds a synthetic history (``benchmarks.api_gaps.build``) on a fresh SQLite file and, when a PostgreSQL
server is named, on a scratch PostgreSQL database; starts ``launchgap serve --no-watch`` on a free loopback
port and drives it with ``wrk`` (Debian's package): 50 connections, DURATION seconds each on
``/api/v1/gaps?stage=merged&limit=50``, ``/`` and one release page, while a single connection polls
``/healthz`` the whole time. For comparison, datasette serves the same SQLite file and the same query
(``gap_rows.json?stage=merged&_size=50``) under the same load.

Then token-authenticated writers and readers at once (issue 23): WRITERS connections post claims with an API
token (each a new claim) while the other connections read ``/api/v1/gaps`` anonymously, then 20 connections
list ``/api/v1/watches`` with the token.

Goals (2 cores): zero errors, no request over 2 s, ``/healthz`` p99 < 100 ms under load, ``/`` ≥ 100 req/s,
``/api/v1/gaps`` at least as fast as datasette; with writers, no 5xx at all (a busy database answers 503
with ``Retry-After``, counted as an error here).

    .venv/bin/python -m benchmarks.load [--duration 15] [--connections 50] [--models 6000] [--releases 1500]
        [--events 60000] [--writers 12] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--no-sqlite]
        [--no-datasette]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import select

from app.db.migrate import upgrade
from app.db.session import create_db_engine, session_factory, session_scope
from app.models import Model
from app.services.gaps.refresh import refresh_gaps
from app.services.tokens import create_token
from benchmarks.api_gaps import build
from benchmarks.hub_cycle import postgres_url
from tests.support.server import free_port, wait_until_up

REPO_ROOT = Path(__file__).resolve().parent.parent
SERIAL: list[str] = []
"""The one-connection figures, printed with the others at the end."""


@dataclass
class Figures:
    label: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    requests: int

    def line(self) -> str:
        return (
            f"{self.label:<44} {self.requests_per_second:8.1f} req/s  p50 {self.p50_ms:7.1f} ms  "
            f"p99 {self.p99_ms:7.1f} ms  max {self.max_ms:7.1f} ms  errors {self.errors} / {self.requests}"
        )


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"unreadable wrk duration {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(label: str, output: str) -> Figures:
    """Read wrk's ``--latency`` report: throughput, percentiles, max, and every kind of error."""
    latency = re.search(r"^\s+Latency\s+\S+\s+\S+\s+(\S+)", output, re.MULTILINE)
    p50 = re.search(r"^\s+50%\s+(\S+)\s*$", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)\s*$", output, re.MULTILINE)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    if not (latency and p50 and p99 and rps and total):
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    errors = 0
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        errors += int(non_2xx.group(1))
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return Figures(
        label,
        float(rps.group(1)),
        _ms(p50.group(1)),
        _ms(p99.group(1)),
        _ms(latency.group(1)),
        errors,
        int(total.group(1)),
    )


def wrk(url: str, label: str, *, connections: int, duration: int) -> Figures:
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "--latency", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return parse_wrk(label, output)


@contextmanager
def background_wrk(url: str, label: str, duration: int) -> Iterator[list[Figures]]:
    """One connection on ``url`` for the whole load run (``/healthz`` while the server is busy)."""
    process = subprocess.Popen(
        ["wrk", "-t1", "-c1", f"-d{duration}s", "--timeout", "10s", "--latency", url],
        stdout=subprocess.PIPE,
        text=True,
    )
    result: list[Figures] = []
    try:
        yield result
    finally:
        output, _ = process.communicate()
        result.append(parse_wrk(label, output))


@contextmanager
def server(command: list[str], url: str, env: dict[str, str]) -> Iterator[None]:
    """Run ``command`` while the block runs. Its stderr goes to a file, never to an unread pipe: once a pipe's
    64 KB fill, the server's next log line blocks its event loop and every request stalls (a dozen
    tracebacks did it, docs/operations.md). The errors it logged are reported when it stops."""
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(command, env=env, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=log)
        try:
            wait_until_up(url, timeout=600)  # a big database is migrated and analysed at startup
            yield
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
            log.seek(0)
            errors = [line.rstrip() for line in log if line.startswith(("ERROR", "CRITICAL"))]
            if errors:
                print(f"  the server logged {len(errors)} errors, first: {errors[0]}")


def prepare(url: str, *, models: int, releases: int, events: int) -> tuple[str, str]:
    """Migrate and fill the database; returns one release's repo id (for the release page and the claims)
    and an API token's secret."""
    upgrade(url)
    engine = create_db_engine(url)
    factory = session_factory(engine)
    started = time.perf_counter()
    with session_scope(factory) as session:
        build(session, models=models, releases=releases, events=events)
        refresh_gaps(session)
    with session_scope(factory) as session:
        repo_id = session.scalars(select(Model.repo_id).where(Model.family.is_not(None)).limit(1)).one()
        _token, secret = create_token(session, "load benchmark", now=datetime.now(UTC))
    engine.dispose()
    print(
        f"  built {models} models, {releases} releases, {events} events in {time.perf_counter() - started:.0f} s"
    )
    return repo_id, secret


_DURATION_METRIC = re.compile(
    r'^launchgap_http_request_duration_seconds_(sum|count)\{[^}]*route="(?P<route>[^"]+)"[^}]*status="200"[^}]*\}'
    r"\s+(?P<value>\S+)$",
    re.MULTILINE,
)


def _server_seconds(base: str, route: str) -> tuple[float, float]:
    """(sum, count) of the server's own request durations for ``route`` (its Prometheus histogram)."""
    text = httpx.get(f"{base}/metrics", timeout=30).text
    found = {"sum": 0.0, "count": 0.0}
    for match in _DURATION_METRIC.finditer(text):
        if match.group("route") == route:
            found[match.group(1)] += float(match.group("value"))
    return found["sum"], found["count"]


def one_connection(base: str, path: str, route: str, label: str, requests: int = 200) -> str:
    """``requests`` requests one after another on one connection: the latency without queueing, and the
    server's own time per request (from its metrics) — what a page costs."""
    before = _server_seconds(base, route)
    timings = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for _ in range(requests):
            started = time.perf_counter()
            client.get(path).raise_for_status()
            timings.append((time.perf_counter() - started) * 1000)
    after = _server_seconds(base, route)
    served = after[1] - before[1]
    server_ms = (after[0] - before[0]) / served * 1000 if served else float("nan")
    timings.sort()
    return (
        f"{label:<44} 1 connection, {requests} requests: p50 {timings[len(timings) // 2]:.1f} ms, "
        f"p99 {timings[int(len(timings) * 0.99)]:.1f} ms; server time {server_ms:.2f} ms per request (mean)"
    )


# Each request posts a new claim (its own URL), so every one is a real write.
CLAIMS_SCRIPT = """
counter = 0
request = function()
  counter = counter + 1
  local body = string.format(
    '{"repo_id":"%s","runtime":"vllm","stage":"merged","at":"2026-01-01T00:00:00Z","url":"https://example.com/%d/%d"}',
    REPO, math.random(1, 1000000000), counter)
  return wrk.format("POST", "/api/v1/claims", HEADERS, body)
end
"""


def wrk_script(url: str, label: str, script: str, *, connections: int, duration: int) -> Figures:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    try:
        output = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "--latency", "-s",
             lua.name, url],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
    finally:
        os.unlink(lua.name)
    return parse_wrk(label, output)


def _lua_headers(secret: str) -> str:
    return f'{{["Authorization"] = "Bearer {secret}", ["Content-Type"] = "application/json"}}'


def run_writers(base: str, label: str, repo_id: str, secret: str, args: argparse.Namespace) -> list[Figures]:
    """WRITERS connections posting claims with a token while the rest read /api/v1/gaps anonymously, then 20
    connections listing /api/v1/watches with the token."""
    writers = min(args.writers, args.connections - 1)
    script = f"REPO = {repo_id!r}\nHEADERS = {_lua_headers(secret)}\n" + CLAIMS_SCRIPT
    with ThreadPoolExecutor(max_workers=2) as pool:
        posting = pool.submit(
            wrk_script, base + "/", f"{label}: {writers} token writers (claims)", script,
            connections=writers, duration=args.duration,
        )  # fmt: skip
        reading = pool.submit(
            wrk, base + "/api/v1/gaps?stage=merged&limit=50",
            f"{label}: gaps beside the writers ({args.connections - writers} conn.)",
            connections=args.connections - writers, duration=args.duration,
        )  # fmt: skip
        figures = [posting.result(), reading.result()]
    watches = f"HEADERS = {_lua_headers(secret)}\n" + (
        'request = function() return wrk.format("GET", "/api/v1/watches", HEADERS) end\n'
    )
    figures.append(
        wrk_script(
            base + "/",
            f"{label}: token reads /watches (20 conn.)",
            watches,
            connections=20,
            duration=args.duration,
        )
    )
    return figures


def run_launchgap(label: str, url: str, repo_id: str, secret: str, args: argparse.Namespace) -> list[Figures]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = os.environ | {
        "LAUNCHGAP_DATABASE_URL": url,
        "LAUNCHGAP_SEED_RELEASE_FACTS": "false",
        "LAUNCHGAP_LOG_LEVEL": "WARNING",
        "LAUNCHGAP_DATA_DIR": tempfile.mkdtemp(prefix="launchgap-load-"),
    }
    command = [sys.executable, "-m", "app", "serve", "--no-watch", "--port", str(port)]
    figures: list[Figures] = []
    with server(command, f"{base}/healthz", env):
        SERIAL.append(
            one_connection(base, "/api/v1/gaps?stage=merged&limit=50", "/api/v1/gaps", f"{label}: gaps")
        )
        targets = [
            ("/api/v1/gaps?stage=merged&limit=50", "gaps"),
            ("/", "dashboard /"),
            (f"/releases/{repo_id}", "release page"),
        ]
        for path, name in targets:
            with background_wrk(
                f"{base}/healthz", f"{label}: /healthz during {name}", args.duration
            ) as health:
                figures.append(
                    wrk(base + path, f"{label}: {name}", connections=args.connections, duration=args.duration)
                )
            figures.extend(health)
        with background_wrk(f"{base}/healthz", f"{label}: /healthz during writers", args.duration) as health:
            figures.extend(run_writers(base, label, repo_id, secret, args))
        figures.extend(health)
    return figures


def run_datasette(path: Path, args: argparse.Namespace) -> list[Figures]:
    datasette = shutil.which("datasette") or str(Path(sys.executable).parent / "datasette")
    if not Path(datasette).exists():
        print("  datasette is not installed (pip install datasette): comparison skipped")
        return []
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    name = path.stem
    command = [datasette, "serve", str(path), "--port", str(port), "--setting", "sql_time_limit_ms", "5000"]
    with server(command, f"{base}/-/versions.json", dict(os.environ)):
        return [
            wrk(
                f"{base}/{name}/gap_rows.json?stage=merged&_size=50",
                "datasette: gap_rows.json",
                connections=args.connections,
                duration=args.duration,
            )
        ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--writers", type=int, default=12, help="token-authenticated writing connections")
    parser.add_argument("--models", type=int, default=6000)
    parser.add_argument("--releases", type=int, default=1500)
    parser.add_argument("--events", type=int, default=60_000)
    parser.add_argument("--postgres", default=os.environ.get("LAUNCHGAP_TEST_POSTGRES_URL"))
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-datasette", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed (Debian package wrk)")

    results: list[Figures] = []
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "launchgap.db"
            url = f"sqlite:///{path}"
            print("SQLite")
            repo_id, secret = prepare(url, models=args.models, releases=args.releases, events=args.events)
            results += run_launchgap("sqlite", url, repo_id, secret, args)
            if not args.no_datasette:
                results += run_datasette(path, args)
    if args.postgres:
        with postgres_url(args.postgres) as url:
            print("PostgreSQL")
            repo_id, secret = prepare(url, models=args.models, releases=args.releases, events=args.events)
            results += run_launchgap("postgresql", url, repo_id, secret, args)
    print("\nOne connection, before the load")
    for line in SERIAL:
        print(line)
    print(f"\n{args.connections} connections, {args.duration} s each (healthz: 1 connection alongside)")
    for figures in results:
        print(figures.line())


if __name__ == "__main__":
    main()

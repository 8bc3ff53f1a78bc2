"""Hostile input, round two, on ingestion (issue 23): hostile Hub fields, hostile snapshot files."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.api.deps import get_now, get_session
from app.cli.main import cli
from app.config import get_settings
from app.db.migrate import upgrade
from app.db.session import create_db_engine, session_factory, session_scope
from app.main import create_app
from app.models import GapRecord, Model, SupportEvent
from app.services.gaps.refresh import refresh_gaps
from app.services.runtimes.catalog_rows import sync_catalog
from app.services.snapshot import SnapshotError, read_snapshot
from app.services.snapshot import format as format_module
from app.services.snapshot.exchange import import_snapshot
from app.services.snapshot.format import MAX_ERRORS, MAX_LINE_BYTES, encode
from app.sources.hub.types import MAX_KEY_CHARS, MAX_TAGS
from tests.fakes.fake_hub import FakeHub
from tests.integration.test_snapshot import _hand_snapshot

OLD = datetime(2024, 3, 1, tzinfo=UTC)
NOW = datetime(2026, 9, 1, tzinfo=UTC)


@pytest.fixture
def cli_env(fresh_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("LAUNCHGAP_DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("LAUNCHGAP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LAUNCHGAP_SEED_RELEASE_FACTS", "false")
    monkeypatch.setenv("LAUNCHGAP_HUB_MAX_RETRY_WAIT_SECONDS", "0")
    get_settings.cache_clear()
    yield fresh_database_url
    get_settings.cache_clear()


# --- 2. Hub fields are bounded: one hostile model never fails a poll or a refresh ----------------------


def test_a_hostile_hub_model_is_stored_bounded_and_the_org_polls_and_refreshes(
    cli_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeHub() as hub:
        hub.add_model(
            "hostile", "Good-1", architectures=["GoodForCausalLM"], model_type="good", created_at=OLD
        )
        hub.add_model(
            "hostile", "Huge-Arch", architectures=["A" * 1_000_000, "HugeForCausalLM"], model_type="huge",
            created_at=OLD, tags=["t" * 5000, "ok-tag", *(f"lang:{n}" for n in range(MAX_TAGS + 50))],
        )  # fmt: skip
        hub.add_model(
            "hostile", "Nul-Type", architectures=["Nul\x00ForCausalLM", "NulForCausalLM"],
            model_type="nul\x00type", created_at=OLD, library_name="lib\x07",
        )  # fmt: skip
        monkeypatch.setenv("LAUNCHGAP_HUB_ENDPOINT", hub.url)
        get_settings.cache_clear()
        result = CliRunner().invoke(cli, ["watch", "hub", "--once", "--org", "hostile"])
    assert result.exit_code == 0, result.output
    engine = create_db_engine(cli_env)
    try:
        factory = session_factory(engine)
        with factory() as session:
            models = {
                m.repo_id: m for m in session.scalars(select(Model).where(Model.repo_id.like("hostile/%")))
            }
            assert set(models) == {"hostile/Good-1", "hostile/Huge-Arch", "hostile/Nul-Type"}
            huge, nul = models["hostile/Huge-Arch"], models["hostile/Nul-Type"]
            assert huge.architectures == ["HugeForCausalLM"] and len(huge.tags) == MAX_TAGS
            assert "ok-tag" in huge.tags and all(len(t) <= 300 for t in huge.tags)
            assert (nul.architectures, nul.model_type, nul.library_name) == (["NulForCausalLM"], None, None)
            problems = " ".join(huge.hub_extra["problems"] + nul.hub_extra["problems"])
            assert "dropped 'config.architectures': 1000000 characters" in problems
            assert "NUL or control characters" in problems and "\x00" not in problems
            keys = [k for k in session.scalars(select(GapRecord.key)) if k is not None]
            assert keys and max(len(k) for k in keys) <= MAX_KEY_CHARS
        # A model stored before the bounds (and no longer listed, so never cleaned) cannot stop a refresh.
        with session_scope(factory) as session:
            session.get(Model, huge.id).architectures = ["B" * 1_000_000]  # type: ignore[union-attr]
            session.get(Model, nul.id).model_type = "x\x00y" if engine.dialect.name == "sqlite" else "x" * 100  # type: ignore[union-attr]
        with session_scope(factory) as session:
            refresh_gaps(session)
            assert (session.scalar(select(func.max(func.length(GapRecord.key)))) or 0) <= MAX_KEY_CHARS
    finally:
        engine.dispose()


# --- 7, 8, 9. snapshot files: size caps, evidence links, every field checked -----------------------------


def _hand_lines() -> list[bytes]:
    """The lines of a small valid snapshot (test_snapshot's hand-made one)."""
    return gzip.decompress(encode(_hand_snapshot())).splitlines()


def _file(tmp_path: Path, name: str, lines: list[bytes]) -> Path:
    path = tmp_path / name
    path.write_bytes(gzip.compress(b"\n".join(lines) + b"\n"))
    return path


def _with(lines: list[bytes], section: str, **changes: object) -> list[bytes]:
    """``lines`` with the first row of ``section`` changed (raw JSON values, so anything can be written)."""
    out = list(lines)
    for index, line in enumerate(out):
        row = json.loads(line)
        if row.get("section") == section:
            out[index] = json.dumps({**row, **changes}).encode()
            return out
    raise AssertionError(f"no {section} row")


# The peak is the process's own VmHWM, not getrusage's ru_maxrss: Linux carries the forking process's
# high-water mark across exec into ru_maxrss, so the child reported pytest's size (418 MB late in a full run).
IMPORT_WITH_PEAK = """
import atexit, resource, sys
def report():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    with open("/proc/self/status") as status:
        [peak] = [line.split()[1] for line in status if line.startswith("VmHWM:")]
    print(f"peak_rss_kb={peak} cpu_s={usage.ru_utime + usage.ru_stime:.2f}", file=sys.stderr)
atexit.register(report)
from app.cli.main import main
sys.argv = ["launchgap", "snapshot", "import", sys.argv[1]]
main()
"""


def _import_in_a_process(path: Path, database_url: str, tmp_path: Path) -> tuple[int, str, float, float]:
    """``launchgap snapshot import PATH`` in its own process: (exit code, stderr, CPU seconds, peak MB).
    CPU time rather than wall time: on a machine shared by several test runs, wall time measures the others
    (importing the app alone took 18 s of wall time for 1.8 s of CPU under a load of 20)."""
    env = {**os.environ, "LAUNCHGAP_DATABASE_URL": database_url, "LAUNCHGAP_DATA_DIR": str(tmp_path / "d")}
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_WITH_PEAK, str(path)], env=env, capture_output=True, text=True,
        timeout=600, cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    [usage] = [line for line in done.stderr.splitlines() if line.startswith("peak_rss_kb=")] or [None]
    assert usage, done.stderr[-2000:]
    fields = dict(part.split("=") for part in usage.split())
    return done.returncode, done.stderr, float(fields["cpu_s"]), int(fields["peak_rss_kb"]) / 1024


def test_a_gigabyte_line_and_millions_of_bad_lines_are_refused_quickly_in_little_memory(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url)
    # One 1 GiB line in a ~1 MB gzip.
    huge = tmp_path / "huge.jsonl.gz"
    with gzip.open(huge, "wb", compresslevel=9) as out:
        out.write(b'{"format": "launchgap-snapshot", "version": 1, "pad": "')
        chunk = b"a" * (1 << 20)
        for _ in range(1024):
            out.write(chunk)
        out.write(b'"}\n')
    assert huge.stat().st_size < 2 << 20
    code, stderr, cpu_seconds, peak_mb = _import_in_a_process(huge, url, tmp_path)
    assert code == 2 and f"line 1 is longer than {MAX_LINE_BYTES} bytes" in stderr, stderr[-2000:]
    assert cpu_seconds < 30 and peak_mb < 400, (cpu_seconds, peak_mb)

    # A valid header, then five million bad lines in a small gzip: reading stops after 20 errors.
    header = _hand_lines()[0]
    many = tmp_path / "many.jsonl.gz"
    with gzip.open(many, "wb", compresslevel=9) as out:
        out.write(header + b"\n")
        out.write(b"x\n" * 5_000_000)
    code, stderr, cpu_seconds, peak_mb = _import_in_a_process(many, url, tmp_path)
    assert code == 2 and "stopped reading at line 22" in stderr and stderr.count("not JSON") == MAX_ERRORS
    assert cpu_seconds < 30 and peak_mb < 400, (cpu_seconds, peak_mb)


def test_decompressed_size_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = _hand_lines()
    path = _file(tmp_path, "padded.jsonl.gz", [lines[0], *([b"{}"] * 10), *lines[1:]])
    monkeypatch.setattr(format_module, "MAX_DECOMPRESSED_BYTES", len(b"\n".join(lines)))
    with pytest.raises(SnapshotError, match="MiB once decompressed"):
        read_snapshot(path)


@pytest.mark.parametrize(
    ("section", "changes", "message"),
    [
        ("release", {"repo_id": '"><svg onload=alert(1)>'}, "is not a Hub repo id"),
        ("release", {"repo_id": "acme/../etc"}, "is not a Hub repo id"),
        ("event", {"key": "Deepseek\u0000V3"}, "NUL, control characters or a lone surrogate"),
        ("event", {"branch": "main\ud800"}, "NUL, control characters or a lone surrogate"),
        ("event", {"at": "9999-12-31T23:59:59-14:00"}, "time out of range"),
        ("event", {"at": "0001-01-01T00:00:00+14:00"}, "time out of range"),
        ("event", {"at": "0001-01-02T00:00:00Z"}, "is outside 1970–2099"),
        ("release", {"release_at": "9999-01-01T00:00:00Z"}, "is outside 1970–2099"),
        ("release", {"architectures": ["Ok", "Bad\u0007"]}, "NUL, control characters"),
        ("event", {"stage": ["merged"]}, "is not one of"),
    ],
)
def test_bad_fields_are_refused_naming_the_line(
    tmp_path: Path, section: str, changes: dict[str, object], message: str
) -> None:
    lines = _with(_hand_lines(), section, **changes)
    number = 1 + next(i for i, line in enumerate(lines) if json.loads(line).get("section") == section)
    with pytest.raises(SnapshotError, match=f"line {number} \\({section}\\): .*{re.escape(message)}"):
        read_snapshot(_file(tmp_path, "bad.jsonl.gz", lines))


def test_a_header_without_counts_is_refused(tmp_path: Path) -> None:
    lines = _hand_lines()
    header = json.loads(lines[0])
    del header["counts"]
    # Cut short after a whole line: only the counts could tell.
    with pytest.raises(SnapshotError, match="the header has no counts"):
        read_snapshot(_file(tmp_path, "nocounts.jsonl.gz", [json.dumps(header).encode(), *lines[1:-1]]))


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.domain)",
        "data:text/html,<script>alert(1)</script>",
        "https://evil.example/vllm-project/vllm/commit/abc",
        "http://github.com/vllm-project/vllm/commit/abc",
        "https://github.com/vllm-project/vllm-evil/commit/abc",
        "https://github.com/vllm-project/vllm/../../evil/x",
        "https://github.com/vllm-project/vllm/%2e%2e/%2E%2E/evil/x",
        "https://github.com@evil.example/vllm-project/vllm/commit/abc",
    ],
)
def test_evidence_links_outside_the_runtimes_repository_are_refused(
    cli_env: str, tmp_path: Path, url: str
) -> None:
    path = _file(tmp_path, "links.jsonl.gz", _with(_hand_lines(), "event", evidence_url=url))
    result = CliRunner().invoke(cli, ["snapshot", "import", str(path)])
    assert result.exit_code == 2, result.output
    assert "evidence_url" in result.stderr and "is not an https link under" in result.stderr
    engine = create_db_engine(cli_env)
    try:
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(SupportEvent)) == 0
    finally:
        engine.dispose()


def test_pages_and_the_feed_link_only_http_evidence(session: Session) -> None:
    """Whatever is stored (a row from before the import checks), only http(s) becomes a link."""
    sync_catalog(session)
    import_snapshot(session, _hand_snapshot(), now=NOW)
    session.execute(update(SupportEvent).values(evidence_url="javascript:alert(document.domain)"))
    refresh_gaps(session)
    app = create_app(start_watchers=False)
    app.dependency_overrides[get_session] = lambda: session
    app.dependency_overrides[get_now] = lambda: NOW
    client = TestClient(app)
    for path in ("/", "/runtimes/vllm", "/releases/deepseek-ai/DeepSeek-V3", "/feeds/events.atom"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "javascript:" not in response.text, path
    assert "DeepseekV3ForCausalLM" in client.get("/feeds/events.atom").text

"""`launchgap serve` as a real subprocess with an unreachable Hub and repository: it starts, answers
/healthz, renders / with the failing sources and their retry time, and shuts down cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from app.db.migrate import upgrade

from ..support.server import free_port, wait_until_up


def test_server_starts_and_reports_unreachable_sources(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'offline.db'}"
    upgrade(database_url)
    dead_port = free_port()  # nothing listens here: connections are refused at once
    port = free_port()
    env = {
        **os.environ,
        "LAUNCHGAP_DATABASE_URL": database_url,
        "LAUNCHGAP_HUB_ENDPOINT": f"http://127.0.0.1:{dead_port}",
        "LAUNCHGAP_DATA_DIR": str(tmp_path / "data"),
        "LAUNCHGAP_RUNTIMES": json.dumps(["vllm"]),
        "LAUNCHGAP_RUNTIME_REPOS": json.dumps({"vllm": f"http://127.0.0.1:{dead_port}/vllm.git"}),
        "LAUNCHGAP_PUBLISHERS_FILE": str(_publishers(tmp_path)),
        "LAUNCHGAP_PORT": str(port),
        "LAUNCHGAP_HUB_TIMEOUT_SECONDS": "2",
        "GIT_TERMINAL_PROMPT": "0",
        "LAUNCHGAP_SEED_RELEASE_FACTS": "false",  # this test is about failing sources, not the seed data
    }
    env.pop("HF_ENDPOINT", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base + "/healthz", timeout=30)
        assert httpx.get(base + "/healthz").json()["status"] == "ok"

        page = _wait_for_failures(base, expected=("hub publisher", "runtime repo"))
        assert "Hub unreachable: 1 publisher waiting, next try" in page
        assert "1 runtime repository unreachable" in page
        assert page.count("<summary>") == 2  # one line per kind of problem, details behind the toggle
        assert httpx.get(base + "/api/v1/gaps").status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=40)
    # uvicorn re-raises the signal after a graceful shutdown, so the exit status says "terminated by SIGTERM".
    assert process.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output, output
    assert "Traceback" not in output, output


def _publishers(tmp_path: Path) -> Path:
    path = tmp_path / "publishers.csv"
    path.write_text("hub_org,name,country,confidence\nexample-org,Example,US,high\n")
    return path


def _wait_for_failures(base: str, expected: tuple[str, ...], timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    page = ""
    while time.monotonic() < deadline:
        response = httpx.get(base + "/")
        assert response.status_code == 200
        page = response.text
        if all(word in page for word in expected) and "source-problems" in page:
            return page
        time.sleep(0.3)
    raise AssertionError(f"the page never listed the failing sources {expected}:\n{page[:3000]}")

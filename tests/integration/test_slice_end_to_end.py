"""The thin slice end to end: a fake Hub over HTTP, a real git repository, the gap read back from the API."""

from __future__ import annotations

from pathlib import Path

import httpx

from app.main import create_app

from ..fakes.fake_hub import FakeHub
from ..support.server import serve_in_thread
from ..support.slice import AUTHOR_AT, CREATED_AT, SUPPORT_AT, build_slice


def test_gap_from_hub_and_git_to_api(tmp_path: Path, fake_hub: FakeHub, fresh_database_url: str) -> None:
    scenario = build_slice(tmp_path, fake_hub, fresh_database_url)

    with serve_in_thread(create_app(scenario.settings, start_watchers=False)) as base:
        response = httpx.get(f"{base}/api/v1/gaps", params={"runtime": "vllm"})
        assert response.status_code == 200
        body = response.json()
        rows = {row["repo_id"]: row for row in body["items"]}
        assert body["total"] == 2 and body["next_cursor"] is None

        moe = rows["example-org/Example-MoE-100B"]
        assert moe["runtime"] == "vllm" and moe["stage"] == "merged"
        assert (moe["key_kind"], moe["key"]) == ("architecture", "ExampleMoeForCausalLM")
        assert moe["status"] == "later"
        assert moe["gap_hours"] == (SUPPORT_AT - CREATED_AT).total_seconds() / 3600
        assert moe["release_at"].startswith(CREATED_AT.strftime("%Y-%m-%dT%H:%M"))
        assert moe["support_at"].startswith(SUPPORT_AT.strftime("%Y-%m-%dT%H:%M"))
        assert moe["author_at"].startswith(AUTHOR_AT.strftime("%Y-%m-%dT%H:%M"))
        assert moe["commit"] == scenario.support_commit
        # A local path has no web host to link to; the commit is the evidence (URLs are tested with the scanner).
        assert moe["evidence_url"] is None

        # Llama was registered long before: the key is known, support pre-exists the release.
        assert rows["example-org/Example-7B"]["status"] == "pre-existing"

        # SGLang was never scanned: its cells are unknown (no gap), never pending.
        sglang = httpx.get(f"{base}/api/v1/gaps", params={"runtime": "sglang", "rows": "runtime"}).json()
        assert sglang["total"] == 2 and {r["status"] for r in sglang["items"]} == {"unknown"}
        assert {r["gap_hours"] for r in sglang["items"]} == {None}

        assert httpx.get(f"{base}/api/v1/gaps", params={"runtime": "nope"}).status_code == 422
        assert httpx.get(f"{base}/api/v1/gaps", params={"status": "soon"}).status_code == 422

"""Scanning a local path never runs what that repository's config names (issue 13, point 2).

The repository below names a command everywhere git looks for one: the promisor remote's upload-pack (the
prefetch of a partial clone), fsmonitor, hooks (reference-transaction runs on every ref update) and the
alternate-refs command. Each command would leave a marker file; none may appear.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.support import SupportEvent
from app.services.runtimes.catalog_rows import sync_catalog
from app.services.runtimes.fetch import collect_events
from app.services.runtimes.scan import ScanError, scan_runtime
from app.sources.git.repo import open_repository
from tests.fakes.repo_builder import RepoBuilder
from tests.integration.test_scan import VLLM, registry

NOW = datetime(2026, 6, 1, tzinfo=UTC)
REGISTRY = "vllm/model_executor/models/registry.py"


def _booby_trap(repo: RepoBuilder, markers: Path) -> list[Path]:
    """Make ``repo`` name a command in every config slot git executes from; return the would-be markers."""
    markers.mkdir()
    hooks = markers / "hooks"
    hooks.mkdir()
    for hook in ("reference-transaction", "post-checkout", "post-merge", "pre-push", "post-update"):
        script = hooks / hook
        script.write_text(f"#!/bin/sh\ntouch {markers}/hook-{hook}\n")
        script.chmod(0o755)
    repo.git("config", "core.repositoryformatversion", "1")
    repo.git("config", "extensions.partialclone", "origin")
    repo.git("config", "remote.origin.url", str(repo.path))  # a reachable "remote": itself
    repo.git("config", "remote.origin.promisor", "true")
    repo.git("config", "remote.origin.uploadpack", f"touch {markers}/uploadpack; git-upload-pack")
    repo.git("config", "core.fsmonitor", f"touch {markers}/fsmonitor; false")
    repo.git("config", "core.alternateRefsCommand", f"touch {markers}/alternate-refs; true")
    repo.git("config", "core.hooksPath", str(hooks))
    return [markers / "uploadpack", markers / "fsmonitor", markers / "alternate-refs"] + [
        markers / f"hook-{h}" for h in ("reference-transaction", "post-checkout", "post-merge", "pre-push")
    ]


def _ran(markers: Path) -> list[str]:
    return sorted(p.name for p in markers.iterdir() if p.is_file())


def _forget_own_runs(markers: Path) -> None:
    """The test's own commits into the trapped repository fire its hooks; only the scan's runs count."""
    for marker in markers.iterdir():
        if marker.is_file():
            marker.unlink()


def test_scanning_a_booby_trapped_path_runs_nothing(session: Session, tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "hostile")
    repo.commit({REGISTRY: registry("LlamaForCausalLM")}, at="2024-10-01T10:00:00Z", message="Llama (#1)")
    markers = tmp_path / "markers"
    _booby_trap(repo, markers)
    sync_catalog(session)

    first = scan_runtime(session, VLLM, data_dir=tmp_path / "data", repo=str(repo.path), now=NOW)
    assert first.events_inserted >= 1
    assert _ran(markers) == [], "a command from the scanned repository's config was run"

    # The copy is synced at every scan: a new commit at the path is seen, still without running anything.
    repo.commit({REGISTRY: registry("LlamaForCausalLM", "OPTForCausalLM")}, at="2024-11-01T10:00:00Z")
    _forget_own_runs(markers)
    second = scan_runtime(session, VLLM, data_dir=tmp_path / "data", repo=str(repo.path), now=NOW)
    assert second.head == repo.head()
    keys = set(session.scalars(select(SupportEvent.commit).where(SupportEvent.commit == repo.head())))
    assert keys == {repo.head()}
    assert _ran(markers) == []


def test_the_copy_follows_rewritten_refs_and_is_not_the_path(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "r")
    repo.commit({REGISTRY: registry("LlamaForCausalLM")}).commit({REGISTRY: registry("OPTForCausalLM")})
    copy = open_repository(str(repo.path), tmp_path / "data", "vllm")
    assert copy.git_dir.is_relative_to(tmp_path / "data" / "local-copies")
    assert copy.resolve("main") == repo.head()
    repo.reset_hard("HEAD~1").commit({REGISTRY: registry("MixtralForCausalLM")})
    repo.branch("other")
    repo.git("symbolic-ref", "HEAD", "refs/heads/other")
    again = open_repository(str(repo.path), tmp_path / "data", "vllm")
    assert again.git_dir == copy.git_dir
    assert again.resolve("main") == repo.head()
    assert again.default_branch() == "other"
    events = collect_events(VLLM, data_dir=tmp_path / "data", repo=str(repo.path))
    assert {e.key for e in events} >= {"MixtralForCausalLM"}


def test_a_partial_clone_path_is_never_fetched_through_its_config(session: Session, tmp_path: Path) -> None:
    """The reported attack: a partial clone whose promisor remote names an upload-pack command. Reading it in
    place made the prefetch run that command; now it is refused with a clear error and nothing runs."""
    upstream = RepoBuilder(tmp_path / "upstream").allow_filter()
    upstream.commit({REGISTRY: registry("LlamaForCausalLM")})
    partial = tmp_path / "partial"
    subprocess.run(
        ["git", "clone", "--quiet", "--no-checkout", "--filter=blob:none", upstream.url, str(partial)],
        check=True,
    )
    markers = tmp_path / "markers"
    markers.mkdir()
    subprocess.run(
        ["git", "-C", str(partial), "config", "remote.origin.uploadpack", f"touch {markers}/uploadpack; git-upload-pack"],
        check=True,
    )  # fmt: skip
    sync_catalog(session)
    with pytest.raises(ScanError, match="missing"):
        scan_runtime(session, VLLM, data_dir=tmp_path / "data", repo=str(partial), now=NOW)
    assert _ran(markers) == []

"""Reading a runtime's repository: open (mirror or local copy), scan with the catalog's rules, and read what
the scanned head says besides events (llama.cpp's GGUF mapping, version statements, what the scan covered).

Nothing here touches the database: ``scan.py`` stores what this returns (``store.py``), ``verify.py`` checks
hand-checked facts against it, ``launchgap scan --json`` prints it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from app.domain.runtime_spec import RuntimeSpec
from app.sources.git.repo import GitError, GitRepo, is_url, open_repository
from app.sources.runtimes.audit import AuditRecorder
from app.sources.runtimes.catalog import VERSION_SOURCES, gguf_mapping_runtime
from app.sources.runtimes.coverage import StageCoverage, on_default_line, read_coverage
from app.sources.runtimes.scan_events import ScanError, ScanEvent, ScanOutcome, evidence_base
from app.sources.runtimes.scanner import Scanner
from app.sources.runtimes.version_statements import StatedVersion, read_version_statements

log = logging.getLogger(__name__)


def open_source(
    spec: RuntimeSpec,
    data_dir: Path,
    repo: str | None,
    upstream: str | None = None,
    pull_requests: bool | None = None,
) -> tuple[GitRepo, str | None]:
    """The repository to read (``repo``, else the catalog's URL; mirrored under ``data_dir``) and the base
    its evidence links name. ``pull_requests``: keep the source's pull-request heads (its own pull requests)
    or drop them (a fork's); None leaves the copy as it is."""
    source = repo or spec.repo_url
    git = open_repository(source, data_dir, spec.name, pull_requests=pull_requests)
    # A declared copy (a snapshot source, LAUNCHGAP_RUNTIME_REPOS, ``scan --upstream``) shares its commits
    # and tags with its upstream, so evidence links point there; a URL with no upstream declared is its own.
    evidence = upstream or (source if is_url(source) else None)
    return git, evidence


def declared_source(spec: RuntimeSpec, runtime_repos: Mapping[str, str]) -> tuple[str | None, str | None]:
    """Where to read ``spec`` from and which upstream its evidence links name: a configured copy
    (``LAUNCHGAP_RUNTIME_REPOS``) is a copy of the catalog's repository; otherwise the catalog's URL."""
    repo = runtime_repos.get(spec.name)
    return (repo, spec.repo_url) if repo else (None, None)


class ScanReadings(NamedTuple):
    """What one scan returns: its outcome, then what was read at the scanned head."""

    outcome: ScanOutcome
    gguf: dict[str, str] | None
    head_at: datetime | None
    coverage: list[StageCoverage]
    statements: list[StatedVersion] | None


def run_scan(
    spec: RuntimeSpec,
    *,
    data_dir: Path,
    repo: str | None,
    ref: str | None,
    cursor: dict[str, Any] | None,
    progress: Callable[[str], None] | None,
    upstream: str | None = None,
    audit: AuditRecorder | None = None,
    fetched_at: datetime | None = None,
    stages: Collection[str] | None = None,
    pull_requests: bool = True,
) -> ScanReadings:
    """Scan, then read at the head: llama.cpp's GGUF mapping, the head's commit time, (with ``fetched_at``)
    what the scan covered, and the version statements. ``pull_requests``: the source's ``refs/pull/*`` are the
    runtime's own pull requests, read for the ``proposed`` stage (False: a fork's, not read).

    Coverage is read for a scan of the default branch, or of a commit on its first-parent line (``--ref SHA``
    to reproduce a figure): that scan observed the branch up to the commit's committer time. Another ref (a
    tag, another branch) says nothing about what the runtime ships: no coverage."""
    try:
        git, evidence = open_source(spec, data_dir, repo, upstream, pull_requests)
        with git:
            outcome = Scanner(
                spec, git, evidence_url=evidence, progress=progress, audit=audit, pull_requests=pull_requests
            ).scan(ref=ref, cursor=cursor)
            mapping = _read_gguf_mapping(spec, git, outcome.head)
            head_at = git.commit_times(outcome.head)[0] if outcome.head else None
            coverage = []
            default_line = ref in (None, spec.default_branch)
            pinned = not default_line and on_default_line(spec, git, outcome.head)
            if fetched_at is not None and outcome.head and (default_line or pinned):
                coverage = read_coverage(
                    spec,
                    git,
                    outcome.head,
                    source=repo or spec.repo_url,
                    fetched_at=fetched_at,
                    stages=stages,
                    pull_requests=pull_requests,
                    pinned_at=head_at if pinned else None,
                )
            statements = _read_statements(spec, git, outcome.head, evidence)
            return ScanReadings(outcome, mapping, head_at, coverage, statements)
    except GitError as exc:
        raise ScanError(f"{spec.name}: {exc}") from exc


def _read_gguf_mapping(spec: RuntimeSpec, git: GitRepo, head: str | None) -> dict[str, str] | None:
    """The GGUF mapping at the scanned head (None for runtimes that define none, or when it cannot be read)."""
    if not spec.defines_gguf_mapping or not head:
        return None
    from app.sources.runtimes.gguf import read_mapping

    try:
        return read_mapping(git, head)
    except GitError as exc:  # the events are still right; the mapping waits for the next scan
        log.warning("llama.cpp GGUF mapping not read at %s: %s", head[:12], exc)
        return None


def _read_statements(
    spec: RuntimeSpec, git: GitRepo, head: str | None, evidence: str | None
) -> list[StatedVersion] | None:
    """The version statements at the scanned head (None: the runtime states none, or they cannot be read)."""
    source = VERSION_SOURCES.get(spec.name)
    if source is None or not head:
        return None
    try:
        return read_version_statements(git, head, source, evidence_base(evidence))
    except GitError as exc:  # the events are still right; the statements wait for the next scan
        log.warning("%s version statements not read at %s: %s", spec.name, head[:12], exc)
        return None


def collect_events(
    spec: RuntimeSpec,
    *,
    data_dir: Path,
    repo: str | None = None,
    ref: str | None = None,
    progress: Callable[[str], None] | None = None,
    upstream: str | None = None,
    pull_requests: bool = True,
) -> list[ScanEvent]:
    """A full scan that stores nothing (``launchgap scan --json``): every event, oldest first."""
    outcome = run_scan(
        spec, data_dir=data_dir, repo=repo, ref=ref, cursor=None, progress=progress, upstream=upstream,
        pull_requests=pull_requests,
    ).outcome  # fmt: skip
    return sorted(outcome.events, key=lambda e: (e.at, e.stage, e.key))


def gguf_mapping(*, data_dir: Path, repo: str | None = None, ref: str | None = None) -> dict[str, str]:
    """HF architecture → GGUF architecture as llama.cpp's converter declares it at ``ref`` (default head).

    Read from the converter and gguf-py's constants in the llama.cpp repository (``repo`` or the catalog's
    remote), so a key stored as ``gguf_architecture`` can be matched to a release's HF architecture.
    """
    from app.sources.runtimes.gguf import read_mapping

    spec = gguf_mapping_runtime()
    try:
        git, _ = open_source(spec, data_dir, repo)
        with git:
            try:
                commit = git.resolve(ref or spec.default_branch)
            except GitError:
                if ref:
                    raise
                commit = git.resolve("HEAD")
            return read_mapping(git, commit)
    except GitError as exc:
        raise ScanError(f"llama.cpp GGUF mapping: {exc}") from exc

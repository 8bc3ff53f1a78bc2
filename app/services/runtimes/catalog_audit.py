"""Catalog audit as a service: run it on a repository (``launchgap catalog audit``) and keep a scan's audit.

The audit rides on the scanner's walk (``app/sources/runtimes/audit.py``), so it costs one scan plus
bookkeeping. ``scan_runtime`` runs it on every scan and stores the report on the runtime's SourceState
(``audit`` column, shown on the runtime's page); its resumable state stays in the scan cursor so an
incremental scan continues it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from app.domain.runtime_spec import RuntimeSpec
from app.sources.git.repo import GitError, is_url, open_repository
from app.sources.runtimes.audit import AuditLimits, AuditRecorder, AuditReport
from app.sources.runtimes.scan_events import ScanError
from app.sources.runtimes.scanner import Scanner

__all__ = ["AuditLimits", "AuditReport", "audit_runtime"]


def audit_runtime(
    spec: RuntimeSpec,
    *,
    repo: str | None,
    data_dir: Path,
    ref: str | None = None,
    progress: Callable[[str], None] | None = None,
    limits: AuditLimits | None = None,
) -> AuditReport:
    """A full scan of ``repo`` (or the catalog's remote) with the audit attached; stores nothing."""
    source = repo or spec.repo_url
    started = time.perf_counter()
    try:
        git = open_repository(source, data_dir, spec.name)
        with git:
            recorder = AuditRecorder(spec, limits=limits)
            scanner = Scanner(
                spec, git, evidence_url=source if is_url(source) else None, progress=progress, audit=recorder
            )
            outcome = scanner.scan(ref=ref)
            report = recorder.report(commits_walked=outcome.commits_walked)
    except GitError as exc:
        raise ScanError(f"{spec.name}: {exc}") from exc
    report.seconds = time.perf_counter() - started
    return report

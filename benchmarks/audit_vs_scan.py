"""What the catalog audit costs on top of a scan (the goal: an audit at most twice its scan).

    .venv/bin/python benchmarks/audit_vs_scan.py PATH_TO_GIT [RUNTIME]   # default runtime: llama.cpp

Each figure is the best of three cold runs (the extractor's chunk cache cleared before each) on the same
local copy: a full scan with every stage, then the same scan with the audit recorder attached — which is
exactly what ``launchgap catalog audit`` runs — and the audit's report built from it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from app.sources.git.repo import open_repository
from app.sources.runtimes.audit import AuditRecorder
from app.sources.runtimes.catalog import get_runtime
from app.sources.runtimes.extractors import _chunk_registrations
from app.sources.runtimes.scanner import Scanner


def main() -> None:
    path = sys.argv[1]
    spec = get_runtime(sys.argv[2] if len(sys.argv) > 2 else "llama.cpp")
    scans: list[float] = []
    audits: list[float] = []
    findings = 0
    commits = 0
    for _ in range(3):
        with open_repository(path, Path("/tmp"), spec.name) as repo:
            _chunk_registrations.cache_clear()
            started = time.perf_counter()
            outcome = Scanner(spec, repo).scan()
            scans.append(time.perf_counter() - started)
            commits = outcome.commits_walked
        with open_repository(path, Path("/tmp"), spec.name) as repo:
            _chunk_registrations.cache_clear()
            started = time.perf_counter()
            recorder = AuditRecorder(spec)
            Scanner(spec, repo, audit=recorder).scan()
            report = recorder.report()
            audits.append(time.perf_counter() - started)
            findings = len(report.findings)
    scan, audit = min(scans), min(audits)
    print(f"{spec.name}: {commits} commits walked")
    print(f"scan (best of 3):  {scan:.2f} s")
    print(f"audit (best of 3): {audit:.2f} s = {audit / scan:.2f}x the scan, {findings} finding(s)")


if __name__ == "__main__":
    main()

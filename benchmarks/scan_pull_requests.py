"""The ``proposed`` walk over pull-request heads on a real copy, against the floor of git alone.

    .venv/bin/python benchmarks/scan_pull_requests.py PATH_TO_COPY [RUNTIME]   # default: vllm-ascend

The copy (e.g. ``/work/.mirror/vllm-project+vllm-ascend/repo``, 12,000 ``refs/pull/N/head``) is cloned into
a scratch directory as LaunchGap keeps it. Measured (wall clock and CPU of this process plus its git
children, so a busy shared machine shows as a gap between the two):

- the scan without pull requests (the default branch, tags, branches), then the same scan continued with its
  cursor and pull requests on: the difference is the pull-request walk alone;
- a rescan with no new pull request;
- the floor for the same commits: ``git rev-list <pull heads> --not <default branch>`` and ``git log --raw``
  over them limited to the signal files, plus ``git cat-file --batch`` reading every file version it lists
  (the least any reader of those commits must do), best of three.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from app.domain.vocabulary import Stage
from app.sources.git.repo import GitRepo, open_repository
from app.sources.runtimes.catalog import RuntimeSpec, get_runtime
from app.sources.runtimes.scan_events import ScanOutcome
from app.sources.runtimes.scanner import Scanner

T = TypeVar("T")


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed(work: Callable[[], T]) -> tuple[T, float, float]:
    wall, cpu = time.perf_counter(), _cpu()
    result = work()
    return result, time.perf_counter() - wall, _cpu() - cpu


def floor(repo: GitRepo, spec: RuntimeSpec, head: str) -> tuple[int, int, int]:
    globs = sorted({g for s in spec.signals if s.stage == Stage.MERGED for g in s.globs})
    heads = sorted(set(repo.pull_heads().values()))
    revs = "".join(f"{h}\n" for h in heads) + f"^{head}\n"
    commits = repo.run("rev-list", "--stdin", input_text=revs).split()
    raw = repo.run(
        "log", "--stdin", "--raw", "--no-renames", "--no-abbrev", "--diff-merges=first-parent", "--format=%H",
        "--", *[f":(glob){g}" for g in globs], input_text=revs,
    )  # fmt: skip
    blobs = sorted({line.split()[3] for line in raw.splitlines() if line.startswith(":")} - {"0" * 40})
    missing = repo.missing_objects(blobs)
    proc = subprocess.run(
        ["git", "--git-dir", str(repo.git_dir), "cat-file", "--batch"],
        input="".join(f"{b}\n" for b in blobs if b not in missing).encode(),
        capture_output=True,
        check=True,
    )
    return len(commits), len(blobs), len(proc.stdout)


def main() -> None:
    path = sys.argv[1]
    spec = get_runtime(sys.argv[2] if len(sys.argv) > 2 else "vllm-ascend")
    with tempfile.TemporaryDirectory() as scratch:
        repo = open_repository(path, Path(scratch), spec.name, pull_requests=True)
        print(f"{spec.name}: {len(repo.pull_heads())} pull-request heads, {os.cpu_count()} cores")

        def scan() -> ScanOutcome:
            outcome = Scanner(spec, repo).scan()
            repo.close()
            return outcome

        base, base_wall, base_cpu = timed(scan)
        print(
            f"scan without pull requests: {base_wall:.1f} s wall, {base_cpu:.1f} s CPU, {len(base.events)} events"
        )

        def walk() -> ScanOutcome:
            outcome = Scanner(spec, repo, pull_requests=True).scan(cursor=base.cursor)
            repo.close()  # waits for the file-version reader, so its CPU time is counted
            return outcome

        pulls, wall, cpu = timed(walk)
        proposed = [e for e in pulls.events if e.stage == Stage.PROPOSED]
        print(
            f"pull-request walk: {wall:.1f} s wall, {cpu:.1f} s CPU, {pulls.commits_walked} commits, "
            f"{len(proposed)} proposed events"
        )
        _again, again_wall, again_cpu = timed(
            lambda: Scanner(spec, repo, pull_requests=True).scan(cursor=pulls.cursor)
        )
        print(f"rescan with no new pull request: {again_wall:.2f} s wall, {again_cpu:.2f} s CPU")
        best: tuple[tuple[int, int, int], float, float] | None = None
        for _ in range(3):
            run = timed(lambda: floor(repo, spec, base.head))
            if best is None or run[1] < best[1]:
                best = run
        assert best is not None
        (commits, versions, size), floor_wall, floor_cpu = best
        print(
            f"floor (rev-list + log --raw + cat-file --batch, best of 3): {floor_wall:.1f} s wall, "
            f"{floor_cpu:.1f} s CPU for {commits} commits, {versions} file versions, {size / 1e6:.0f} MB"
        )
        print(f"walk / floor: {wall / floor_wall:.2f}x wall, {cpu / floor_cpu:.2f}x CPU (target <= 3x)")
        print(
            f"peak memory (max RSS of this process): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
        )
        repo.close()


if __name__ == "__main__":
    main()

"""The ``branch`` stage: support that exists on a feature, release or vendor branch before (or without)
reaching the default branch."""

from __future__ import annotations

from typing import Any

from app.domain.vocabulary import Stage
from app.sources.runtimes.scan_events import HistoryScanner, ScanOutcome


def scan_branches(
    scanner: HistoryScanner, outcome: ScanOutcome, head: str, ref_name: str, cursor: dict[str, Any]
) -> None:
    """The ``branch`` stage: each branch matching the runtime's patterns, walked from where it forked off the
    head's line (only what changed since the last scan)."""
    code_signals = [s for s in scanner.spec.signals if s.stage == Stage.MERGED]
    branches_state: dict[str, str] = dict(cursor.get("branches", {}))
    if scanner.spec.branch_patterns and code_signals:
        branches = {
            n: h
            for n, h in scanner.repo.branches().items()
            if n != ref_name and scanner.spec.branch_matches(n)
        }
        main_line: set[str] | None = None
        for name, branch_head in sorted(branches.items()):
            old = branches_state.get(name)
            if old == branch_head:
                continue
            if main_line is None:
                main_line = set(scanner.repo.first_parent_shas(head))
            # Fork point: the newest commit of the branch's own line that is on the head's line. A merged
            # branch still counts: its commits carried support before the merge.
            branch_line = scanner.repo.first_parent_shas(branch_head)
            fork = next((sha for sha in branch_line if sha in main_line), None)
            if fork == branch_head:
                branches_state[name] = branch_head
                continue
            rewritten = bool(old) and not (
                scanner.repo.has_commit(old) and scanner.repo.is_ancestor(old, branch_head)
            )
            if rewritten:
                outcome.rewritten_refs[name] = set(branch_line)
            since = old if old and not rewritten else fork
            events, _snaps, _v, walked_n = scanner.walk(
                branch_head,
                code_signals,
                since=since,
                ref_name=name,
                stage_override=Stage.BRANCH,
                only_added=True,
            )
            outcome.events.extend(events)
            outcome.commits_walked += walked_n
            branches_state[name] = branch_head
    outcome.cursor["branches"] = branches_state

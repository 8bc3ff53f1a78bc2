"""The ``proposed`` stage from pull requests: the first public trace of support, before any merge.

GitHub serves every pull request's head as ``refs/pull/N/head`` (a copy that carries them, or a mirror that
fetches them). A commit reachable from a pull-request head that adds a key — by the catalog's code signals,
era by era, against its first parent — is a ``proposed`` event dated by its committer time, carrying the
lowest-numbered pull request whose head contains it. The default branch's own commits and branches' are
dated by the ``merged`` and ``branch`` walks; ``proposed`` takes the earliest of all (``Stage.event_stages``).

Cost: only commits not already read are walked — not on the default branch's first-parent line (which the
``merged`` walk reads), not reachable from a pull-request head read by an earlier scan. A merged pull
request's commits reached through a merge's second parent are read here (the first-parent walk never sees
them). The work is a fixed number of git processes whatever the number of pull requests: one graph listing,
one tree peel for the roots, one ``diff-tree --stdin`` for every (parent, commit) pair, then the changed
file versions in batches; fact sets are carried down each pull request's first-parent line in memory.

A merge inside a pull request (the default branch merged into it) adds only what none of its parents had:
keys that came from the merged line are not proposed by that pull request. A force-pushed pull request
keeps the events of its earlier commits (they were public then); nothing here is ever retracted.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from app.domain.vocabulary import EventKind, Stage
from app.sources.git.repo import EMPTY_TREE, ZERO_OID, Change, GraphCommit
from app.sources.runtimes.catalog import Signal
from app.sources.runtimes.scan_events import FactTracker, HistoryScanner, ScanEvent, ScanOutcome

PULLS_CURSOR_KEY = "pulls"
"""Where the cursor keeps ``{pull-request number: head}`` as of the last scan."""


def scan_pull_requests(
    scanner: HistoryScanner, outcome: ScanOutcome, head: str, cursor: dict[str, Any]
) -> None:
    """``proposed`` events from the pull-request heads that are new or moved since the last scan."""
    heads = scanner.repo.pull_heads()
    outcome.cursor[PULLS_CURSOR_KEY] = {str(number): sha for number, sha in sorted(heads.items())}
    signals = [s for s in scanner.spec.signals if s.stage == Stage.MERGED]
    if not signals or not heads:
        return
    old: dict[str, str] = dict(cursor.get(PULLS_CURSOR_KEY, {}))
    changed = {number: sha for number, sha in heads.items() if old.get(str(number)) != sha}
    if not changed:
        return
    read_before = scanner.repo.existing_commits(old.values())
    graph = scanner.repo.commit_graph(sorted(set(changed.values())), sorted(read_before))
    main_line = set(scanner.repo.first_parent_shas(head))
    walk = _PullWalk(scanner, signals, graph, main_line, changed)
    outcome.events.extend(walk.run())
    outcome.commits_walked += len(walk.order)


class _PullWalk:
    """One walk over the commits not read yet that pull-request heads reach."""

    def __init__(
        self,
        scanner: HistoryScanner,
        signals: list[Signal],
        graph: list[GraphCommit],
        main_line: set[str],
        heads: dict[int, str],
    ) -> None:
        self.scanner = scanner
        self.signals = signals
        self.globs = sorted({g for s in signals for g in s.globs})
        listed = {c.sha: c for c in graph}
        # The commits to read: reachable from a changed head without passing through the default branch's
        # first-parent line (the merged walk reads that line) or a commit read before (not listed).
        wanted: set[str] = set()
        stack = [sha for sha in heads.values() if sha in listed and sha not in main_line]
        while stack:
            sha = stack.pop()
            if sha in wanted:
                continue
            wanted.add(sha)
            stack.extend(
                p for p in listed[sha].parents if p in listed and p not in main_line and p not in wanted
            )
        self.commits = {sha: listed[sha] for sha in wanted}
        self.order = [c.sha for c in graph if c.sha in wanted]  # children before parents
        self.pr_of = self._lowest_pull_request(heads)
        self.unreadable: set[str] = set()
        """File versions the repository lacks (see ``run``)."""

    def _lowest_pull_request(self, heads: dict[int, str]) -> dict[str, int]:
        """The lowest-numbered pull request whose head contains each commit (children come first, so a
        commit's number is final before it is handed to its parents)."""
        pr_of: dict[str, int] = {}
        for number, sha in heads.items():
            if sha in self.commits and number < pr_of.get(sha, number + 1):
                pr_of[sha] = number
        for sha in self.order:
            number = pr_of.get(sha)
            if number is None:
                continue
            for parent in self.commits[sha].parents:
                if parent in self.commits and number < pr_of.get(parent, number + 1):
                    pr_of[parent] = number
        return pr_of

    def run(self) -> list[ScanEvent]:
        if not self.order:
            return []
        commits = self.commits
        # Roots: commits whose first parent is not walked here; their facts start from that parent's tree.
        children: dict[str | None, list[str]] = defaultdict(list)
        for sha in reversed(self.order):  # parents first, so siblings keep a stable order
            parents = commits[sha].parents
            children[parents[0] if parents else None].append(sha)
        outside = {p for c in commits.values() for p in c.parents if p not in commits}
        described = self.scanner.repo.describe(outside)
        tree = {sha: c.tree for sha, c in commits.items()} | {sha: t for sha, (t, _) in described.items()}
        # Starting points in time order, each reached from the previous one by a (small) tree diff.
        starts = sorted(
            (p for p in children if p is not None and p not in commits), key=lambda p: described[p][1]
        )
        pairs: list[tuple[str, str]] = []
        previous = EMPTY_TREE
        for start in starts:
            pairs.append((previous, tree[start]))
            previous = tree[start]
        for sha in self.order:
            parents = commits[sha].parents
            pairs.append((tree[parents[0]] if parents else EMPTY_TREE, tree[sha]))
            pairs.extend((tree[sha], tree[other]) for other in parents[1:])
        diffs = self.scanner.repo.diff_trees(pairs, self.globs)
        wanted = [
            (signal, change.path, change.new_blob)
            for changes in diffs.values()
            for change in changes
            for signal in self.signals
            if any(era.matches(change.path) for era in signal.eras)
        ]
        if self.scanner.repo.promisor_remote() is None:
            # A copy of a size-filtered mirror can lack a file version of some pull request: that change is
            # left out (the path keeps its previous facts) rather than failing every other pull request.
            self.unreadable = self.scanner.repo.missing_objects(b for _, _, b in wanted if b != ZERO_OID)
        self.scanner.load_versions(w for w in wanted if w[2] not in self.unreadable)

        def changes(old: str, new: str) -> list[Change]:
            return diffs.get((old, new), []) if old != new else []

        events: list[ScanEvent] = []
        running = [FactTracker(s) for s in self.signals]
        running_tree = EMPTY_TREE
        done = 0
        for start in [None, *starts]:
            if start is not None:
                self._apply(running, changes(running_tree, tree[start]))
                running_tree = tree[start]
            kids = children.get(start, [])
            stack = [
                (
                    kid,
                    [t.copy() for t in running]
                    if start is not None
                    else [FactTracker(s) for s in self.signals],
                )
                for kid in kids
            ]
            while stack:
                sha, state = stack.pop()
                commit = commits[sha]
                parent_tree = tree[commit.parents[0]] if commit.parents else EMPTY_TREE
                before = [t.facts() for t in state]
                self._apply(state, changes(parent_tree, commit.tree))
                added = [t.facts() - b for t, b in zip(state, before, strict=True)]
                if any(added) and len(commit.parents) > 1:
                    # a merge proposes only what none of its parents had
                    for other in commit.parents[1:]:
                        theirs = [t.copy() for t in state]
                        self._apply(theirs, changes(commit.tree, tree[other]))
                        added = [a - t.facts() for a, t in zip(added, theirs, strict=True)]
                events.extend(self._events(commit, added))
                kids = children.get(sha, [])
                for i, kid in enumerate(kids):
                    stack.append((kid, state if i == len(kids) - 1 else [t.copy() for t in state]))
                done += 1
                if done % 5000 == 0:
                    self.scanner.progress(
                        f"{self.scanner.spec.name} pull requests: {done}/{len(self.order)} commits"
                    )
        return events

    def _apply(self, state: list[FactTracker], changes: list[Change]) -> None:
        for tracker in state:
            for change in changes:
                if tracker.eras_for(change.path) and change.new_blob not in self.unreadable:
                    self.scanner.apply_change(tracker, change.path, change.new_blob)

    def _events(self, commit: GraphCommit, added: list[frozenset[tuple[str, str]]]) -> list[ScanEvent]:
        number = self.pr_of.get(commit.sha)
        base = self.scanner.base_url
        url = None
        if base:
            url = f"{base}/pull/{number}/commits/{commit.sha}" if number else f"{base}/commit/{commit.sha}"
        return [
            _event(
                self.scanner.spec.name,
                signal,
                fact,
                commit.sha,
                commit.committed_at,
                commit.authored_at,
                number,
                url,
            )
            for signal, facts in zip(self.signals, added, strict=True)
            for fact in sorted(facts)
        ]


def _event(
    runtime: str,
    signal: Signal,
    fact: tuple[str, str],
    sha: str,
    at: datetime,
    author_at: datetime,
    number: int | None,
    url: str | None,
) -> ScanEvent:
    return ScanEvent(
        runtime=runtime, key=fact[0], key_kind=signal.key_kind, stage=Stage.PROPOSED, event=EventKind.ADDED,
        at=at, author_at=author_at, commit=sha, tag="", branch="", sku=fact[1], signal=signal.name,
        provenance=signal.provenance, confidence="high", pr_number=number, is_prerelease=None, evidence_url=url,
    )  # fmt: skip

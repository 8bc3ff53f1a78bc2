"""The scan engine: a runtime's git history in, typed support events out (nothing is stored here).

- merged / documented / verified: one first-parent walk of the head over every era's files. For each
  commit the per-path fact sets are updated and the union compared before/after, so a file moved or
  split within one commit is no event, and era transitions need no dates.
- released (``runtime_releases.py``): tags and version bumps on main, judged by the facts at their commits.
- branch (``branches.py``): each branch matching the runtime's patterns, walked from where it forked.
- proposed (``pull_requests.py``): the commits pull-request heads reach that no other walk reads.

Incremental: the cursor keeps each walked ref's head; the next scan walks only ``old..new``. When the old
head is no longer an ancestor (a force-push), the ref is walked again from scratch and the caller is
told which commits are still live, so vanished events get retracted rather than deleted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import quote

from app.domain.runtime_spec import Era, RuntimeSpec, Signal
from app.sources.git.repo import ZERO_OID, Commit, GitError, GitRepo
from app.sources.runtimes.audit import AuditRecorder
from app.sources.runtimes.branches import scan_branches
from app.sources.runtimes.extractors import Registration
from app.sources.runtimes.pull_requests import PULLS_CURSOR_KEY, scan_pull_requests
from app.sources.runtimes.runtime_releases import scan_runtime_releases
from app.sources.runtimes.scan_events import (
    FactTracker,
    RegistrationSnapshots,
    ScanError,
    ScanEvent,
    ScanOutcome,
    WalkResult,
    evidence_base,
)

CURSOR_VERSION = 1
_BATCH = 300  # commits whose new blobs are fetched/read together


class Scanner:
    """Scans one repository with one runtime's rules. Use as a context manager (it owns a cat-file)."""

    def __init__(
        self,
        spec: RuntimeSpec,
        repo: GitRepo,
        *,
        evidence_url: str | None = None,
        progress: Callable[[str], None] | None = None,
        audit: AuditRecorder | None = None,
        pull_requests: bool = False,
    ) -> None:
        self.spec = spec
        self.pull_requests = pull_requests
        """Read ``refs/pull/*`` for the ``proposed`` stage (the repository's own pull requests, not a fork's)."""
        self.audit = audit
        """Follows the default branch's walk (never branches) for ``launchgap catalog audit``."""
        self.repo = repo
        self.base_url = evidence_base(evidence_url)
        self.progress = progress or (lambda _msg: None)
        self._registrations_cache: dict[tuple[str, str, str], frozenset[Registration]] = {}
        self.versions_read = 0
        self._last_commits: list[Commit] = []

    # -- facts of file versions ---------------------------------------------------------------------
    def _file_registrations(
        self, signal: Signal, eras: Sequence[Era], path: str, blob: str, text: str | None
    ) -> frozenset[Registration]:
        key = self._cache_key(signal, eras, path, blob)
        cached = self._registrations_cache.get(key)
        if cached is not None:
            return cached
        facts: set[Registration] = set()
        for era in eras:
            if era.extractor.reads_content:
                if text is not None:
                    facts |= era.extractor.extract(path, text)
            else:
                facts |= era.extractor.extract(path, b"")
        result = frozenset((signal.normalize(k), sku) for k, sku in facts if signal.keeps(k))
        self._registrations_cache[key] = result
        return result

    def load_versions(self, wanted: Iterable[tuple[Signal, str, str]]) -> None:
        """Parse the file versions not parsed yet: prefetched in one batch (partial clone), then read a
        few at a time and dropped once parsed, so memory stays flat however large the files are."""
        need: dict[str, list[tuple[Signal, list[Era], str]]] = {}
        for signal, path, blob in wanted:
            if blob == ZERO_OID:
                continue
            eras = [e for e in signal.eras if e.matches(path)]
            if not any(e.extractor.reads_content for e in eras):
                continue
            if self._cache_key(signal, eras, path, blob) not in self._registrations_cache:
                need.setdefault(blob, []).append((signal, eras, path))
        if not need:
            return
        oids = list(need)
        self.repo.prefetch(oids)
        reader = self.repo.reader()
        for start in range(0, len(oids), 16):
            data = reader.read_many(oids[start : start + 16])
            self.versions_read += len(data)
            for oid, raw in data.items():
                for signal, eras, path in need[oid]:
                    self._file_registrations(signal, eras, path, oid, raw)

    @staticmethod
    def _cache_key(signal: Signal, eras: Sequence[Era], path: str, blob: str) -> tuple[str, str, str]:
        # Path-derived facts depend on the path too; content-only facts are shared by every path. A signal
        # with an era that ends reads a path under fewer eras from then on: the eras are part of the key.
        name = signal.name
        if signal.has_ending_era:
            name += ":" + ",".join(str(signal.eras.index(e)) for e in eras)
        return (name, path if any(not e.extractor.reads_content for e in eras) else "", blob)

    def apply_change(self, tracker: FactTracker, path: str, blob: str) -> None:
        eras = tracker.eras_for(path)
        if not eras:
            return
        facts = (
            frozenset()
            if blob == ZERO_OID
            else self._file_registrations(tracker.signal, eras, path, blob, None)
        )
        tracker.set_path(path, blob, facts)

    def _init_trackers(self, signals: Sequence[Signal], commit: str | None) -> list[FactTracker]:
        trackers = [FactTracker(s) for s in signals]
        if commit is None:
            return trackers
        globs = sorted({g for s in signals for g in s.globs})
        files = self.repo.list_tree(commit, globs)
        at = self.repo.commit_times(commit)[0]
        for tracker in trackers:
            tracker.move_to(at)  # eras that ended before ``commit`` are not read
        self.load_versions((t.signal, p, b) for t in trackers for p, b in files.items() if t.eras_for(p))
        for tracker in trackers:
            for path, blob in files.items():
                self.apply_change(tracker, path, blob)
        return trackers

    def registrations_at(
        self, commits: Sequence[str], signals: Sequence[Signal]
    ) -> dict[str, dict[str, frozenset[Registration]]]:
        """Facts per signal in each commit's tree (tags off the walked line), trees listed in one batch."""
        globs = sorted({g for s in signals for g in s.globs})
        trees = self.repo.list_trees(commits, globs)
        self.load_versions(
            (s, p, b)
            for files in trees.values()
            for p, b in files.items()
            for s in signals
            if any(e.matches(p) for e in s.eras)
        )
        out: dict[str, dict[str, frozenset[Registration]]] = {}
        for commit, files in trees.items():
            per_signal: dict[str, frozenset[Registration]] = {}
            for signal in signals:
                facts: set[Registration] = set()
                for path, blob in files.items():
                    eras = [e for e in signal.eras if e.matches(path)]
                    if eras:
                        facts |= self._file_registrations(signal, eras, path, blob, None)
                per_signal[signal.name] = frozenset(facts)
            out[commit] = per_signal
        return out

    # -- the walk -----------------------------------------------------------------------------------
    def walk(
        self,
        head: str,
        signals: Sequence[Signal],
        *,
        since: str | None,
        ref_name: str,
        stage_override: str | None = None,
        only_added: bool = False,
        version_files: Sequence[tuple[str, str]] = (),
    ) -> WalkResult:
        """Walk ``since..head`` first-parent; events, fact snapshots per signal, version changes, count.

        ``version_files``: (path, pattern) of every file that held the version, newest first; a change of
        any of them whose text matches its pattern with a new version is a version bump."""
        trackers = self._init_trackers(signals, since)
        recorder = self.audit if stage_override is None else None
        by_name = {t.signal.name: t for t in trackers}

        def by_name_keys(name: str) -> set[str]:
            return {k for k, _ in by_name[name].facts()}

        if recorder is not None:
            recorder.begin(
                since,
                lambda: [
                    (t.signal.name, p, bool(f)) for t in trackers for p, f in t.path_registrations.items()
                ],
            )
        version_res = {path: re.compile(pattern, re.MULTILINE) for path, pattern in version_files}
        current_version: str | None = None
        if version_res and since:
            current_version = self._version_at(since, version_res)
        versions: list[tuple[str, str]] = []
        globs = sorted({g for s in signals for g in s.globs} | set(version_res))
        commits = list(self.repo.walk(head, globs, since=since))
        order = {c.sha: i for i, c in enumerate(commits)}
        snapshots: RegistrationSnapshots = {t.signal.name: [(-1, t.facts())] for t in trackers}
        events: list[ScanEvent] = []
        for start in range(0, len(commits), _BATCH):
            batch = commits[start : start + _BATCH]
            wanted = [
                (t.signal, ch.path, ch.new_blob)
                for c in batch
                for ch in c.changes
                for t in trackers
                if t.eras_for(ch.path)
            ]
            self.load_versions(wanted)
            version_blobs = [
                ch.new_blob
                for c in batch
                for ch in c.changes
                if ch.path in version_res and ch.new_blob != ZERO_OID
            ]
            if version_blobs:
                self.repo.prefetch(version_blobs)  # one request, not one lazy fetch per version
            version_texts = self.repo.reader().read_many(version_blobs) if version_blobs else {}
            for commit in batch:
                touched_signals: list[tuple[str, frozenset[Registration], frozenset[Registration]]] = []
                for tracker in trackers:
                    before = tracker.facts()
                    touched = tracker.move_to(commit.committed_at)
                    for change in commit.changes:
                        if tracker.eras_for(change.path):
                            if recorder is None:
                                self.apply_change(tracker, change.path, change.new_blob)
                            else:
                                old = self._path_state(tracker, change.path)
                                self.apply_change(tracker, change.path, change.new_blob)
                                new = self._path_state(tracker, change.path)
                                recorder.path(tracker.signal.name, change.path, old, new)
                            touched = True
                    if not touched:
                        continue
                    after = tracker.facts()
                    if recorder is not None:
                        touched_signals.append((tracker.signal.name, before, after))
                    if after == before:
                        continue
                    snapshots[tracker.signal.name].append((order[commit.sha], after))
                    stage = stage_override or tracker.signal.stage
                    for fact in sorted(after - before):
                        path = (
                            self._path_of(tracker, fact, commit)
                            if tracker.signal.provenance == "docs"
                            else None
                        )
                        events.append(
                            self._event(tracker.signal, fact, stage, "added", commit, ref_name, path=path)
                        )
                    if not only_added:
                        for fact in sorted(before - after):
                            events.append(
                                self._event(tracker.signal, fact, stage, "removed", commit, ref_name)
                            )
                if recorder is not None and touched_signals:
                    recorder.commit(commit, touched_signals, by_name_keys)
                for change in commit.changes:
                    version_re = version_res.get(change.path)
                    if version_re is not None and change.new_blob != ZERO_OID:
                        # a file that no longer holds the version (``version=pkg.__version__``) says nothing
                        match = version_re.search(version_texts[change.new_blob].decode(errors="replace"))
                        if recorder is not None:
                            recorder.version(commit, change.path, match.group(1) if match else None)
                        if match and match.group(1) != current_version:
                            current_version = match.group(1)
                            versions.append((commit.sha, current_version))
            self.progress(
                f"{self.spec.name} {ref_name}: {min(start + _BATCH, len(commits))}/{len(commits)} commits"
            )
        self._last_commits = commits
        if recorder is not None:
            recorder.keys_at_head(
                lambda: [(t.signal.name, p, f) for t in trackers for p, f in t.path_registrations.items()]
            )
        return events, snapshots, versions, len(commits)

    def _version_at(self, commit: str, version_res: dict[str, re.Pattern[str]]) -> str | None:
        """The version at ``commit``: from the newest version file present there that states one."""
        files = self.repo.list_tree(commit, list(version_res))
        for path, pattern in version_res.items():
            if path in files:
                text = self.repo.reader().read_many([files[path]])[files[path]].decode(errors="replace")
                match = pattern.search(text)
                if match:
                    return match.group(1)
        return None

    @staticmethod
    def _path_of(tracker: FactTracker, fact: Registration, commit: Commit) -> str | None:
        """The file this commit changed that now states ``fact`` (a docs line's page), if one does."""
        for change in commit.changes:
            if fact in tracker.path_registrations.get(change.path, ()):
                return change.path
        return None

    @staticmethod
    def _path_state(tracker: FactTracker, path: str) -> tuple[bool, bool]:
        """(the file exists, it yields a key) for the audit."""
        return path in tracker.path_blob, bool(tracker.path_registrations.get(path))

    def _event(
        self,
        signal: Signal,
        fact: Registration,
        stage: str,
        kind: str,
        commit: Commit,
        branch: str,
        *,
        path: str | None = None,
    ) -> ScanEvent:
        # A docs line links to the page as it stood at that commit; code links to the commit itself.
        url = None
        if self.base_url:
            url = (
                f"{self.base_url}/blob/{commit.sha}/{quote(path)}"
                if path
                else f"{self.base_url}/commit/{commit.sha}"
            )
        # an era may state support more weakly (a guide that ran on a GPU, not a catalog's "verified")
        era = next((e for e in signal.eras if path and e.matches(path)), None)
        return ScanEvent(
            runtime=self.spec.name,
            key=fact[0],
            key_kind=signal.key_kind,
            stage=stage,
            event=kind,
            at=commit.committed_at,
            author_at=commit.authored_at,
            commit=commit.sha,
            tag="",
            branch=branch,
            sku=fact[1],
            signal=signal.name,
            provenance=signal.provenance,
            confidence=era.confidence if era is not None else "high",
            pr_number=commit.pr_number,
            is_prerelease=None,
            evidence_url=url,
        )

    # -- the whole scan -----------------------------------------------------------------------------
    def scan(self, *, ref: str | None = None, cursor: dict[str, Any] | None = None) -> ScanOutcome:
        """Every stage for this runtime; ``cursor`` from the previous scan makes it incremental."""
        cursor = dict(cursor or {})
        if cursor.get("version") != CURSOR_VERSION:
            cursor = {}
        ref_name = ref or self.spec.default_branch
        try:
            head = self.repo.resolve(ref_name)
        except GitError:
            if ref is not None:
                raise
            # a local copy whose default branch has another name: walk its HEAD, named as it is
            head = self.repo.resolve("HEAD")
            ref_name = self.repo.default_branch()
        refs: dict[str, Any] = dict(cursor.get("refs", {}))
        outcome = ScanOutcome(events=[], cursor={}, head=head)
        previous = refs.get(ref_name, {})
        since = previous.get("head")
        if since == head:
            refs[ref_name] = previous
            outcome.cursor = {**cursor, "version": CURSOR_VERSION, "refs": refs}
            scan_runtime_releases(
                self, outcome, cursor, snapshots=None, walked=[], line=[], versions=[], rejudge=False
            )
            scan_branches(self, outcome, head, ref_name, cursor)
            self._scan_pull_requests(outcome, head, cursor)
            self._finish_audit(head, [])
            outcome.versions_read = self.versions_read
            return outcome
        rejudge = False
        if since and not (self.repo.has_commit(since) and self.repo.is_ancestor(since, head)):
            outcome.rewritten_refs[ref_name] = set(self.repo.first_parent_shas(head))
            since = None
            rejudge = True  # version bumps may have vanished with the old line: every release is judged again
        rules = self.spec.releases
        events, snapshots, versions, walked = self.walk(
            head,
            self.spec.signals,
            since=since,
            ref_name=ref_name,
            version_files=rules.version_files if rules else (),
        )
        outcome.events.extend(events)
        outcome.commits_walked += walked
        walked_commits = [c.sha for c in self._last_commits]
        line_range = f"{since}..{head}" if since else head
        line = list(reversed(self.repo.run("rev-list", "--first-parent", line_range).split()))
        outcome.empty_signals = [n for n, snaps in snapshots.items() if len(snaps) == 1 and not snaps[0][1]]
        if since is None and not events:
            raise ScanError(
                f"{self.spec.name}: no rule matched anything over the whole history of {ref_name} "
                f"({walked} commits touching {', '.join(sorted({g for s in self.spec.signals for g in s.globs}))})"
            )
        refs[ref_name] = {"head": head}
        outcome.cursor = {**cursor, "version": CURSOR_VERSION, "refs": refs}
        for name, snaps in snapshots.items():
            outcome.facts_by_signal[name] = len(snaps[-1][1])
        scan_runtime_releases(
            self,
            outcome,
            cursor,
            snapshots=snapshots,
            walked=walked_commits,
            line=line,
            versions=versions,
            rejudge=rejudge,
        )
        scan_branches(self, outcome, head, ref_name, cursor)
        self._scan_pull_requests(outcome, head, cursor)
        self._finish_audit(head, line)
        outcome.versions_read = self.versions_read
        return outcome

    def _scan_pull_requests(self, outcome: ScanOutcome, head: str, cursor: dict[str, Any]) -> None:
        if self.pull_requests:
            scan_pull_requests(self, outcome, head, cursor)
        else:
            outcome.cursor.pop(PULLS_CURSOR_KEY, None)  # read again from scratch if they are wanted later

    def _finish_audit(self, head: str, line: list[str]) -> None:
        if self.audit is None:
            return
        committed, _authored, _subject = self.repo.commit_times(head)
        self.audit.finish(head=head, head_at=committed, line=line, tags=self.repo.tags())

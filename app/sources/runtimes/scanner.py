"""The scan engine: a runtime's git history in, typed support events out (nothing is stored here).

- merged / documented / verified: one first-parent walk of the head over every era's files. For each
  commit the per-path fact sets are updated and the union compared before/after, so a file moved or
  split within one commit is no event, and era transitions need no dates.
- released: tags (and version bumps on main) ordered by date; a tag on the walked line takes the fact
  set snapshotted at its commit, any other tag (release branches) is judged by its tree, in one batch.
- branch: each branch matching the runtime's patterns is walked from its merge-base with the head.

Incremental: the cursor keeps each walked ref's head; the next scan walks only ``old..new``. When the old
head is no longer an ancestor (a force-push), the ref is walked again from scratch and the caller is
told which commits are still live, so vanished events get retracted rather than deleted.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from app.sources.git.repo import ZERO_OID, Commit, GitError, GitRepo, TagRef
from app.sources.runtimes.catalog import Era, RuntimeSpec, Signal
from app.sources.runtimes.extractors import Fact

CURSOR_VERSION = 1
_BATCH = 300  # commits whose new blobs are fetched/read together


class ScanError(RuntimeError):
    """A scan could not complete: bad repository, unknown ref, corrupt object, or a useless rule."""


@dataclass(frozen=True)
class ScanEvent:
    """One dated piece of evidence, shaped like a ``SupportEvent`` row (``''`` where not applicable)."""

    runtime: str
    key: str
    key_kind: str
    stage: str
    event: str
    at: datetime
    author_at: datetime | None
    commit: str
    tag: str
    branch: str
    sku: str
    signal: str
    provenance: str
    confidence: str
    pr_number: int | None
    is_prerelease: bool | None
    evidence_url: str | None

    def as_json(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat().replace("+00:00", "Z") if value else None

        return {
            "runtime": self.runtime,
            "key": self.key,
            "key_kind": self.key_kind,
            "stage": self.stage,
            "event": self.event,
            "at": iso(self.at),
            "author_at": iso(self.author_at),
            "commit": self.commit or None,
            "tag": self.tag or None,
            "branch": self.branch or None,
            "sku": self.sku or None,
            "signal": self.signal,
            "provenance": self.provenance,
            "confidence": self.confidence,
            "pr_number": self.pr_number,
            "is_prerelease": self.is_prerelease,
            "retracted": False,
            "evidence_url": self.evidence_url,
        }


@dataclass
class ScanOutcome:
    events: list[ScanEvent]
    cursor: dict[str, Any]
    head: str
    rewritten_refs: dict[str, set[str]] = field(default_factory=dict)
    """Refs whose history was rewritten since the last scan → the commits still on them (for retraction)."""
    vanished_tags: dict[str, str | None] = field(default_factory=dict)
    """Tags deleted (→ None) or moved (→ their new commit) since the last scan: their old ``released``
    events are retracted, and the new target's events are judged afresh."""
    commits_walked: int = 0
    versions_read: int = 0
    facts_by_signal: dict[str, int] = field(default_factory=dict)
    empty_signals: list[str] = field(default_factory=list)
    """Signals that matched nothing over a whole history (a rule that may be stale)."""


def evidence_base(repo_url: str | None) -> str | None:
    """``https://host/owner/name`` for a web-hosted repository, else None (local paths have no URL)."""
    if not repo_url or not repo_url.startswith(("https://", "http://")):
        return None
    return re.sub(r"\.git$", "", repo_url.rstrip("/"))


class _Tracker:
    """Current facts of one signal: per-path fact sets and how many paths provide each fact."""

    def __init__(self, signal: Signal) -> None:
        self.signal = signal
        self.path_blob: dict[str, str] = {}
        self.path_facts: dict[str, frozenset[Fact]] = {}
        self.counts: Counter[Fact] = Counter()

    def eras_for(self, path: str) -> list[Era]:
        return [era for era in self.signal.eras if era.matches(path)]

    def facts(self) -> frozenset[Fact]:
        return frozenset(self.counts)

    def set_path(self, path: str, blob: str, facts: frozenset[Fact]) -> None:
        old = self.path_facts.pop(path, frozenset())
        self.path_blob.pop(path, None)
        for fact in old:
            self.counts[fact] -= 1
            if self.counts[fact] <= 0:
                del self.counts[fact]
        if blob != ZERO_OID:
            self.path_blob[path] = blob
            self.path_facts[path] = facts
            for fact in facts:
                self.counts[fact] += 1


class Scanner:
    """Scans one repository with one runtime's rules. Use as a context manager (it owns a cat-file)."""

    def __init__(
        self,
        spec: RuntimeSpec,
        repo: GitRepo,
        *,
        evidence_url: str | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.spec = spec
        self.repo = repo
        self.base_url = evidence_base(evidence_url)
        self.progress = progress or (lambda _msg: None)
        self._facts_cache: dict[tuple[str, str, str], frozenset[Fact]] = {}
        self.versions_read = 0
        self._last_commits: list[Commit] = []

    # -- facts of file versions ---------------------------------------------------------------------
    def _file_facts(
        self, signal: Signal, eras: Sequence[Era], path: str, blob: str, text: str | None
    ) -> frozenset[Fact]:
        key = self._cache_key(signal, eras, path, blob)
        cached = self._facts_cache.get(key)
        if cached is not None:
            return cached
        facts: set[Fact] = set()
        for era in eras:
            if era.extractor.reads_content:
                if text is not None:
                    facts |= era.extractor.extract(path, text)
            else:
                facts |= era.extractor.extract(path, b"")
        result = frozenset((signal.normalize(k), sku) for k, sku in facts if signal.keeps(k))
        self._facts_cache[key] = result
        return result

    def _load(self, wanted: Iterable[tuple[Signal, str, str]]) -> None:
        """Parse the file versions not parsed yet: prefetched in one batch (partial clone), then read a
        few at a time and dropped once parsed, so memory stays flat however large the files are."""
        need: dict[str, list[tuple[Signal, list[Era], str]]] = {}
        for signal, path, blob in wanted:
            if blob == ZERO_OID:
                continue
            eras = [e for e in signal.eras if e.matches(path)]
            if not any(e.extractor.reads_content for e in eras):
                continue
            if self._cache_key(signal, eras, path, blob) not in self._facts_cache:
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
                    self._file_facts(signal, eras, path, oid, raw)

    @staticmethod
    def _cache_key(signal: Signal, eras: Sequence[Era], path: str, blob: str) -> tuple[str, str, str]:
        # Path-derived facts depend on the path too; content-only facts are shared by every path.
        return (signal.name, path if any(not e.extractor.reads_content for e in eras) else "", blob)

    def _apply(self, tracker: _Tracker, path: str, blob: str) -> None:
        eras = tracker.eras_for(path)
        if not eras:
            return
        facts = frozenset() if blob == ZERO_OID else self._file_facts(tracker.signal, eras, path, blob, None)
        tracker.set_path(path, blob, facts)

    def _init_trackers(self, signals: Sequence[Signal], commit: str | None) -> list[_Tracker]:
        trackers = [_Tracker(s) for s in signals]
        if commit is None:
            return trackers
        globs = sorted({g for s in signals for g in s.globs})
        files = self.repo.list_tree(commit, globs)
        self._load((t.signal, p, b) for t in trackers for p, b in files.items() if t.eras_for(p))
        for tracker in trackers:
            for path, blob in files.items():
                self._apply(tracker, path, blob)
        return trackers

    def facts_at(
        self, commits: Sequence[str], signals: Sequence[Signal]
    ) -> dict[str, dict[str, frozenset[Fact]]]:
        """Facts per signal in each commit's tree (tags off the walked line), trees listed in one batch."""
        globs = sorted({g for s in signals for g in s.globs})
        trees = self.repo.list_trees(commits, globs)
        self._load(
            (s, p, b)
            for files in trees.values()
            for p, b in files.items()
            for s in signals
            if any(e.matches(p) for e in s.eras)
        )
        out: dict[str, dict[str, frozenset[Fact]]] = {}
        for commit, files in trees.items():
            per_signal: dict[str, frozenset[Fact]] = {}
            for signal in signals:
                facts: set[Fact] = set()
                for path, blob in files.items():
                    eras = [e for e in signal.eras if e.matches(path)]
                    if eras:
                        facts |= self._file_facts(signal, eras, path, blob, None)
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
        version_rule: tuple[str, str] | None = None,
    ) -> tuple[list[ScanEvent], dict[str, list[tuple[int, frozenset[Fact]]]], list[tuple[str, str]], int]:
        """Walk ``since..head`` first-parent; events, fact snapshots per signal, version changes, count."""
        trackers = self._init_trackers(signals, since)
        version_path = version_rule[0] if version_rule else None
        version_re = re.compile(version_rule[1], re.MULTILINE) if version_rule else None
        current_version: str | None = None
        if version_path and since:
            current_version = self._version_at(since, version_path, version_re)
        versions: list[tuple[str, str]] = []
        globs = sorted({g for s in signals for g in s.globs} | ({version_path} if version_path else set()))
        commits = list(self.repo.walk(head, globs, since=since))
        order = {c.sha: i for i, c in enumerate(commits)}
        snapshots: dict[str, list[tuple[int, frozenset[Fact]]]] = {
            t.signal.name: [(-1, t.facts())] for t in trackers
        }
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
            self._load(wanted)
            version_blobs = [
                ch.new_blob
                for c in batch
                for ch in c.changes
                if ch.path == version_path and ch.new_blob != ZERO_OID
            ]
            version_texts = self.repo.reader().read_many(version_blobs) if version_blobs else {}
            for commit in batch:
                for tracker in trackers:
                    before = tracker.facts()
                    touched = False
                    for change in commit.changes:
                        if tracker.eras_for(change.path):
                            self._apply(tracker, change.path, change.new_blob)
                            touched = True
                    if not touched:
                        continue
                    after = tracker.facts()
                    if after == before:
                        continue
                    snapshots[tracker.signal.name].append((order[commit.sha], after))
                    stage = stage_override or tracker.signal.stage
                    for fact in sorted(after - before):
                        events.append(self._event(tracker.signal, fact, stage, "added", commit, ref_name))
                    if not only_added:
                        for fact in sorted(before - after):
                            events.append(
                                self._event(tracker.signal, fact, stage, "removed", commit, ref_name)
                            )
                if version_re is not None:
                    for change in commit.changes:
                        if change.path == version_path and change.new_blob != ZERO_OID:
                            match = version_re.search(version_texts[change.new_blob].decode(errors="replace"))
                            if match and match.group(1) != current_version:
                                current_version = match.group(1)
                                versions.append((commit.sha, current_version))
            self.progress(
                f"{self.spec.name} {ref_name}: {min(start + _BATCH, len(commits))}/{len(commits)} commits"
            )
        self._last_commits = commits
        return events, snapshots, versions, len(commits)

    def _version_at(self, commit: str, path: str, pattern: re.Pattern[str] | None) -> str | None:
        files = self.repo.list_tree(commit, [path])
        if path not in files or pattern is None:
            return None
        text = self.repo.reader().read_many([files[path]])[files[path]].decode(errors="replace")
        match = pattern.search(text)
        return match.group(1) if match else None

    def _event(
        self, signal: Signal, fact: Fact, stage: str, kind: str, commit: Commit, branch: str
    ) -> ScanEvent:
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
            confidence="high",
            pr_number=commit.pr_number,
            is_prerelease=None,
            evidence_url=f"{self.base_url}/commit/{commit.sha}" if self.base_url else None,
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
            self._scan_tags_and_branches(
                outcome, head, ref_name, cursor, refs, snapshots=None, walked=[], line=[], versions=[],
                rejudge=False,
            )  # fmt: skip
            outcome.versions_read = self.versions_read
            return outcome
        rejudge = False
        if since and not (self.repo.has_commit(since) and self.repo.is_ancestor(since, head)):
            outcome.rewritten_refs[ref_name] = set(self.repo.first_parent_shas(head))
            since = None
            rejudge = True  # version bumps may have vanished with the old line: every release is judged again
        rules = self.spec.releases
        version_rule = (rules.version_file, rules.version_pattern) if rules and rules.version_file else None
        events, snapshots, versions, walked = self.walk(
            head, self.spec.signals, since=since, ref_name=ref_name, version_rule=version_rule
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
        self._scan_tags_and_branches(
            outcome,
            head,
            ref_name,
            cursor,
            refs,
            snapshots=snapshots,
            walked=walked_commits,
            line=line,
            versions=versions,
            rejudge=rejudge,
        )
        outcome.versions_read = self.versions_read
        return outcome

    def _scan_tags_and_branches(
        self,
        outcome: ScanOutcome,
        head: str,
        ref_name: str,
        cursor: dict[str, Any],
        refs: dict[str, Any],
        *,
        snapshots: dict[str, list[tuple[int, frozenset[Fact]]]] | None,
        walked: list[str],
        line: list[str],
        versions: list[tuple[str, str]],
        rejudge: bool,
    ) -> None:
        code_signals = [s for s in self.spec.signals if s.stage == "merged"]
        released_state: dict[str, list[str]] = {k: list(v) for k, v in cursor.get("released", {}).items()}
        tags_done: dict[str, str] = dict(cursor.get("tags", {}))
        # Version-bump releases found by earlier walks, kept so a full re-judgement still sees them.
        version_tags: list[list[str]] = [] if rejudge else [list(v) for v in cursor.get("version_tags", [])]
        if self.spec.releases is not None and code_signals:
            all_tags = [t for t in self.repo.tags() if self.spec.releases.is_release_tag(t.name)]
            current = {t.name: t.commit for t in all_tags}
            outcome.vanished_tags = {n: current.get(n) for n, c in tags_done.items() if current.get(n) != c}
            virtual = self._version_releases(versions)
            version_tags += [[t.name, t.commit, t.at.isoformat()] for t in virtual]
            if rejudge or outcome.vanished_tags:
                # A moved or deleted tag may have carried a key's first release, which now belongs to
                # another tag: judge every release again (events already stored are not duplicated).
                released_state = {}
                new_tags = all_tags + [
                    TagRef(name, sha, datetime.fromisoformat(at), False) for name, sha, at in version_tags
                ]
            else:
                new_tags = [t for t in all_tags if tags_done.get(t.name) != t.commit] + virtual
            self._released(outcome, new_tags, code_signals, released_state, snapshots, walked, line)
            tags_done = current
        outcome.cursor["tags"] = tags_done
        outcome.cursor["version_tags"] = version_tags
        outcome.cursor["released"] = released_state
        branches_state: dict[str, str] = dict(cursor.get("branches", {}))
        if self.spec.branch_patterns and code_signals:
            branches = {
                n: h for n, h in self.repo.branches().items() if n != ref_name and self.spec.branch_matches(n)
            }
            main_line: set[str] | None = None
            for name, branch_head in sorted(branches.items()):
                old = branches_state.get(name)
                if old == branch_head:
                    continue
                if main_line is None:
                    main_line = set(self.repo.first_parent_shas(head))
                # Fork point: the newest commit of the branch's own line that is on the head's line. A merged
                # branch still counts: its commits carried support before the merge.
                branch_line = self.repo.first_parent_shas(branch_head)
                fork = next((sha for sha in branch_line if sha in main_line), None)
                if fork == branch_head:
                    branches_state[name] = branch_head
                    continue
                rewritten = bool(old) and not (
                    self.repo.has_commit(old) and self.repo.is_ancestor(old, branch_head)
                )
                if rewritten:
                    outcome.rewritten_refs[name] = set(branch_line)
                since = old if old and not rewritten else fork
                events, _snaps, _v, walked_n = self.walk(
                    branch_head,
                    code_signals,
                    since=since,
                    ref_name=name,
                    stage_override="branch",
                    only_added=True,
                )
                outcome.events.extend(events)
                outcome.commits_walked += walked_n
                branches_state[name] = branch_head
        outcome.cursor["branches"] = branches_state

    def _version_releases(self, versions: list[tuple[str, str]]) -> list[TagRef]:
        rules = self.spec.releases
        if rules is None or not versions:
            return []
        out: list[TagRef] = []
        seen: set[str] = set()
        previous: str | None = None
        for sha, version in versions:
            committed, _authored, _subject = self.repo.commit_times(sha)
            if rules.version_mode == "next_dev":
                # main moving off X.dev0 means X was cut: the release branch forked about here.
                if previous and previous.endswith(".dev0"):
                    released = previous.removesuffix(".dev0")
                    if released not in seen:
                        seen.add(released)
                        out.append(TagRef(f"version:{released}", sha, committed, False))
            elif version not in seen:
                seen.add(version)
                out.append(TagRef(f"version:{version}", sha, committed, False))
            previous = version
        return out

    def _released(
        self,
        outcome: ScanOutcome,
        tags: list[TagRef],
        signals: list[Signal],
        state: dict[str, list[str]],
        snapshots: dict[str, list[tuple[int, frozenset[Fact]]]] | None,
        walked: list[str],
        line: list[str],
    ) -> None:
        if not tags:
            return
        rules = self.spec.releases
        assert rules is not None
        tags = sorted(tags, key=lambda t: (t.at, t.name))
        order = {sha: i for i, sha in enumerate(line)}
        walked_pos = [order[sha] for sha in walked]
        on_line: dict[str, int] = {}
        off_line: list[str] = []
        for tag in tags:
            if snapshots is not None and tag.commit in order:
                # the fact set at a commit is the one left by the last walked commit at or before it
                on_line[tag.commit] = bisect.bisect_right(walked_pos, order[tag.commit]) - 1
            else:
                off_line.append(tag.commit)
        judged = self.facts_at(sorted(set(off_line)), signals) if off_line else {}
        self.progress(f"{self.spec.name}: judged {len(tags)} tags ({len(set(off_line))} by tree content)")
        for signal in signals:
            ever_final = set(state.get(f"{signal.name}:final", []))
            first_pre = set(state.get(f"{signal.name}:pre", []))
            # keys in the newest release line's latest final release (older cursors: every key released)
            current = set(state.get(f"{signal.name}:current", ever_final))
            head_version = tuple(int(x) for x in state.get(f"{signal.name}:head_version", []))
            snaps = snapshots.get(signal.name, []) if snapshots else []
            snap_idx = [s[0] for s in snaps]
            for tag in tags:
                if tag.commit in on_line:
                    pos = bisect.bisect_right(snap_idx, on_line[tag.commit]) - 1
                    facts = snaps[pos][1] if pos >= 0 else frozenset()
                else:
                    facts = judged.get(tag.commit, {}).get(signal.name, frozenset())
                pre = rules.is_prerelease(tag.name.removeprefix("version:"))
                keys = {key: sku for key, sku in facts}
                if pre:
                    for key in sorted(keys.keys() - first_pre):
                        first_pre.add(key)
                        outcome.events.append(self._release_event(signal, key, keys[key], tag, True, "added"))
                    continue
                # A release at least as new as every earlier one heads the project's newest line; older
                # lines (backports such as v0.7.3.post1 after v0.8.0) only ever give a key its first release,
                # so they cannot make keys flap between lines.
                version = _version_tuple(tag.name)
                heads_line = bool(version) and version >= head_version
                for key in sorted(keys):
                    if key not in ever_final or (heads_line and key not in current):
                        ever_final.add(key)
                        current.add(key)
                        outcome.events.append(
                            self._release_event(signal, key, keys[key], tag, False, "added")
                        )
                if heads_line:
                    head_version = version
                    for key in sorted(current - keys.keys()):
                        current.discard(key)
                        outcome.events.append(self._release_event(signal, key, "", tag, False, "removed"))
            state[f"{signal.name}:final"] = sorted(ever_final)
            state[f"{signal.name}:pre"] = sorted(first_pre)
            state[f"{signal.name}:current"] = sorted(current)
            state[f"{signal.name}:head_version"] = [str(x) for x in head_version]

    def _release_event(
        self, signal: Signal, key: str, sku: str, tag: TagRef, pre: bool, kind: str
    ) -> ScanEvent:
        virtual = tag.name.startswith("version:")
        url = None
        if self.base_url:
            url = (
                f"{self.base_url}/commit/{tag.commit}"
                if virtual
                else f"{self.base_url}/releases/tag/{tag.name}"
            )
        return ScanEvent(
            runtime=self.spec.name, key=key, key_kind=signal.key_kind, stage="released", event=kind,
            at=tag.at, author_at=None, commit=tag.commit, tag=tag.name, branch="", sku=sku,
            signal=signal.name, provenance="git", confidence="medium" if virtual else "high", pr_number=None,
            is_prerelease=pre, evidence_url=url,
        )  # fmt: skip


def _version_tuple(tag: str) -> tuple[int, ...]:
    """The numbers of a release name (``v0.6.1.post1+rocm`` → (0, 6, 1, 1); ``b4417`` → (4417,))."""
    return tuple(int(n) for n in re.findall(r"\d+", tag))


def with_runtime(event: ScanEvent, runtime: str) -> ScanEvent:
    return replace(event, runtime=runtime)

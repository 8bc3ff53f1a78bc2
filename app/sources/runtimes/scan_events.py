"""What a scan produces (typed support events and the outcome of one scan), and what the stage modules
(``runtime_releases.py``, ``branches.py``) need from the scanner that walks the history."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from app.domain.runtime_spec import Era, RuntimeSpec, Signal
from app.sources.git.repo import ZERO_OID, GitRepo
from app.sources.runtimes.extractors import Registration


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


class FactTracker:
    """Current facts of one signal: per-path fact sets and how many paths provide each fact."""

    def __init__(self, signal: Signal) -> None:
        self.signal = signal
        self.path_blob: dict[str, str] = {}
        self.path_registrations: dict[str, frozenset[Registration]] = {}
        self.counts: Counter[Registration] = Counter()
        self.at: datetime | None = None
        """The commit time being applied: eras that end (``Era.until``) are not read from then on."""
        self._ends = sorted({era.ends_at for era in signal.eras if era.ends_at is not None})

    def eras_for(self, path: str) -> list[Era]:
        return [era for era in self.signal.eras if era.matches(path) and era.read_at(self.at)]

    def move_to(self, at: datetime) -> bool:
        """Apply the commit time ``at``: the files of eras that ended by then count as gone (once, at the
        first walked commit on or after the end). True when facts were dropped."""
        self.at = at
        if not self._ends or at < self._ends[0]:
            return False
        self._ends = [end for end in self._ends if at < end]
        ended = [path for path in self.path_blob if not self.eras_for(path)]
        for path in ended:
            self.set_path(path, ZERO_OID, frozenset())
        return bool(ended)

    def copy(self) -> FactTracker:
        """An independent copy (a commit with several children hands each its own)."""
        other = FactTracker(self.signal)
        other.path_blob = dict(self.path_blob)
        other.path_registrations = dict(self.path_registrations)
        other.counts = Counter(self.counts)
        other.at, other._ends = self.at, list(self._ends)
        return other

    def facts(self) -> frozenset[Registration]:
        return frozenset(self.counts)

    def set_path(self, path: str, blob: str, facts: frozenset[Registration]) -> None:
        old = self.path_registrations.pop(path, frozenset())
        self.path_blob.pop(path, None)
        for fact in old:
            self.counts[fact] -= 1
            if self.counts[fact] <= 0:
                del self.counts[fact]
        if blob != ZERO_OID:
            self.path_blob[path] = blob
            self.path_registrations[path] = facts
            for fact in facts:
                self.counts[fact] += 1


RegistrationSnapshots = dict[str, list[tuple[int, frozenset[Registration]]]]
"""Per signal, the fact sets after each walked commit that changed them: (position in the walk, facts)."""


WalkResult = tuple[list[ScanEvent], RegistrationSnapshots, list[tuple[str, str]], int]
"""What one walk finds: events, registration snapshots per signal, version changes, commits walked."""


class HistoryScanner(Protocol):
    """The scanner as the stage modules use it: one runtime's rules over one repository."""

    spec: RuntimeSpec
    repo: GitRepo
    base_url: str | None
    progress: Callable[[str], None]

    walk: Callable[..., WalkResult]
    """``Scanner.walk``: a first-parent walk of ``since..head`` over some signals' files."""

    def registrations_at(
        self, commits: Sequence[str], signals: Sequence[Signal]
    ) -> dict[str, dict[str, frozenset[Registration]]]: ...

    def load_versions(self, wanted: Iterable[tuple[Signal, str, str]]) -> None:
        """Parse the (signal, path, blob) file versions not parsed yet (fetched in one batch)."""

    def apply_change(self, tracker: FactTracker, path: str, blob: str) -> None:
        """Update ``tracker`` with ``path`` now at ``blob`` (``ZERO_OID``: deleted); its version is loaded."""

"""Catalog audit: does each rule still read the history it was written for?

Runtimes rename variables, move files and change formats; a rule that stops matching fails silently (the
keys simply stop changing, or vanish at once). The audit watches the scanner's own walk — no second pass
over the history — and reports, per signal and era:

- ``era_unseen``: an era whose files never existed in the history walked (a wrong or stale glob);
- ``silence``: a span of commits where the era's files exist but none yields a key (the rule stopped
  matching, or the file still exists after the registrations moved); one open at the head always counts;
- ``flap``: a key removed and back within ``FLAP_WINDOW`` commits touching the signal (fragile parsing);
- ``drop``: one commit removing more than a third of a signal's keys that no other signal took over;
- ``moved``: a signal whose files stopped changing while the repository kept going (files moved?);
- ``tag_unmatched`` / ``tag_not_release``: tags shaped like releases that the release pattern refuses,
  and pattern matches that are not releases (``-ci``, ``-int1``, ``+rocm`` …);
- ``tag_before_version`` / ``version_silence``: release tags older than the first version the version file
  yields, and spans where the version file exists but its pattern finds nothing;
- ``dead_keys``: a signal of architectures, model types or repo ids whose keys at the head mostly match
  nothing known — no architecture, model type or repository seen in any release or other runtime (family
  labels where classes were expected, a changed format: the rule still matches, but what it reads is not
  a key). Judged only when something is known (``KnownKeys``, read from the database), when the head moves;
- ``unmapped_sku``: a hardware SKU a per-SKU source names that the hardware table (``hardware.py``) maps to
  no vendor, with the keys (recipes) that name it: the next new chip is caught here, not by a reader.

Findings have stable ids (``kind:signal:…``, commits abbreviated to 12 characters) so the catalog can
explain expected ones with a one-line reason (``RuntimeSpec.audit_expected``); every other finding fails
``launchgap catalog audit``. The recorder's state is plain JSON so an incremental scan resumes it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.domain.runtime_spec import RuntimeSpec
from app.domain.vocabulary import KeyKind
from app.sources.git.repo import Commit, TagRef
from app.sources.runtimes.extractors import Registration
from app.sources.runtimes.hardware import is_mapped

STATE_VERSION = 1
MAX_EXAMPLES = 8
MAX_SKU_KEYS = 100
"""Keys kept per unmapped SKU (the finding names a few and counts them all)."""


@dataclass(frozen=True)
class AuditLimits:
    """Where a change becomes a finding (the defaults were tuned on the catalog's real histories)."""

    flap_window: int = 3
    """A key removed and re-added within this many commits touching its signal's files is flapping."""
    silence_min_commits: int = 3
    """A closed silence shorter than this (commits touching the signal) is a file being filled in."""
    drop_share: float = 1 / 3
    drop_min_keys: int = 3
    moved_min_commits: int = 300
    """First-parent commits on the line since the signal's files last changed …"""
    moved_min_days: int = 120
    """… and days since, before the signal counts as moved."""
    dead_share: float = 1 / 2
    """More than this share of a signal's keys at the head unknown: dead keys."""
    dead_min_keys: int = 5
    """Fewer keys at the head than this say too little to judge."""


JUDGED_KINDS = frozenset({KeyKind.ARCHITECTURE, KeyKind.MODEL_TYPE, KeyKind.REPO_ID})
"""Key kinds the Hub's own vocabulary spells (config classes, model types, repo ids), so a key can be
checked against what releases and other runtimes show; docs names and GGUF names cannot."""


@dataclass(frozen=True)
class KnownKeys:
    """What LaunchGap has seen outside the audited runtime: the architectures, model types and repo ids of
    every known model and of every other runtime's registrations, and the repo owners among them.

    A repo id counts as known when its repository or its owner is: a runtime's docs link many repositories
    of a lab LaunchGap watches (or another runtime names) that LaunchGap never listed itself."""

    keys: frozenset[str] = frozenset()
    """Lower case (the Hub's repo ids are case-insensitive)."""
    owners: frozenset[str] = frozenset()
    """Lower case repo owners (Hub organisations) of known repositories and watched publishers."""

    @property
    def empty(self) -> bool:
        return not self.keys

    def knows(self, kind: str, key: str) -> bool:
        lowered = key.lower()
        if lowered in self.keys:
            return True
        return kind == KeyKind.REPO_ID and "/" in lowered and lowered.split("/", 1)[0] in self.owners


# Release-shaped names: v1.2, 1.2.3rc1, v0.6.1.post1, release-1.2, and llama.cpp-style build numbers.
RELEASE_LIKE = re.compile(
    r"(?i)^(?:(?:v|release[-_/]?)?\d+(?:\.\d+)+(?:[-.]?(?:rc|a|b|alpha|beta|post|dev|pre|preview)\.?\d*)*"
    r"|b\d{2,})$"
)
# Words that mark a tag as something other than a release (internal, CI, test builds).
NOT_RELEASE = re.compile(
    r"(?i)(?:^|[-_.+/])(?:ci|citest|test\w*|int|tmp|temp|nightly|draft|wip|dummy|debug|internal)(?=$|[-_.+/\d])"
)


def short(sha: str) -> str:
    return sha[:12]


@dataclass(frozen=True)
class Finding:
    id: str
    kind: str
    signal: str
    summary: str
    commit: str = ""
    at: str = ""
    reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "signal": self.signal, "summary": self.summary,
            "commit": self.commit, "at": self.at, "reason": self.reason,
        }  # fmt: skip


@dataclass
class EraSummary:
    signal: str
    era: int
    globs: tuple[str, ...]
    spans: list[list[str | None]]
    """``[first commit, its time, last commit or None (still there), its time]`` per period of existence."""
    first_key: list[str] | None
    silences: list[list[Any]]
    """``[from commit, time, to commit or None (open at head), time, commits]``."""
    keys_at_head: int

    def as_json(self) -> dict[str, Any]:
        return {
            "signal": self.signal, "era": self.era, "globs": list(self.globs), "spans": self.spans,
            "first_key": self.first_key, "silences": self.silences, "keys_at_head": self.keys_at_head,
        }  # fmt: skip


@dataclass
class AuditReport:
    runtime: str
    head: str
    head_at: str
    partial: bool
    """True when the audit resumed from a scan cursor older than the audit: spans start there."""
    eras: list[EraSummary]
    findings: list[Finding]
    expected_unused: list[str] = field(default_factory=list)
    """Declared expectations that explained nothing here (another copy may need them)."""
    commits_walked: int = 0
    seconds: float = 0.0

    @property
    def unexplained(self) -> list[Finding]:
        return [f for f in self.findings if f.reason is None]

    def as_json(self, *, max_findings: int = 400) -> dict[str, Any]:
        ordered = sorted(self.findings, key=lambda f: (f.reason is not None, f.kind, f.id))
        return {
            "runtime": self.runtime,
            "head": self.head,
            "head_at": self.head_at,
            "partial": self.partial,
            "findings_total": len(self.findings),
            "unexplained": len(self.unexplained),
            "findings": [f.as_json() for f in ordered[:max_findings]],
            "eras": [e.as_json() for e in self.eras],
            "expected_unused": self.expected_unused,
        }


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _fresh_era() -> dict[str, Any]:
    return {"exists": 0, "yielding": 0, "spans": [], "first_key": None, "silence": None, "silences": []}


def _fresh_state() -> dict[str, Any]:
    return {
        "version": STATE_VERSION,
        "head": "",
        "partial": False,
        "signals": {},
        "line_commits": 0,
        "first_version": None,
        "version_silence": None,
        "findings": {},
        "unmapped_skus": {},
    }


class AuditRecorder:
    """Follows one scanner walk (the default branch's) and keeps what the audit needs, in JSON-able state."""

    def __init__(
        self,
        spec: RuntimeSpec,
        state: dict[str, Any] | None = None,
        limits: AuditLimits | None = None,
        known: Callable[[], KnownKeys | None] | None = None,
    ) -> None:
        self.spec = spec
        self.limits = limits or AuditLimits()
        self.known = known
        """Asked only when the head moved (a scan with nothing new reads no database for it)."""
        self.state = state if state and state.get("version") == STATE_VERSION else _fresh_state()
        self._era_cache: dict[tuple[str, str], tuple[int, ...]] = {}
        self._tags: list[TagRef] | None = None
        self._head_at = ""

    # -- walk hooks (called by the scanner) --------------------------------------------------------
    def begin(self, since: str | None, present: Callable[[], Iterable[tuple[str, str, bool]]]) -> None:
        """Before a walk from ``since`` (None: the whole history). ``present`` lists ``(signal, path,
        yields)`` for every file already there, used when no state was kept for ``since``."""
        if since is None:
            self.state = _fresh_state()
        elif self.state.get("head") != since:
            # A scan cursor from before the audit existed: start counting at ``since``.
            self.state = _fresh_state()
            self.state["partial"] = True
            for signal, path, yields in present():
                self.path(signal, path, (False, False), (True, yields))
            for name in self._signal_states():
                self._settle(name, since, "")

    def _signal_states(self) -> dict[str, dict[str, Any]]:
        signals = self.state["signals"]
        for signal in self.spec.signals:
            if signal.name not in signals:
                signals[signal.name] = {
                    "touches": 0,
                    "last_touch": None,
                    "removed": {},
                    "eras": [_fresh_era() for _ in signal.eras],
                }
        return signals

    def _eras_of(self, signal: str, path: str) -> tuple[int, ...]:
        key = (signal, path)
        eras = self._era_cache.get(key)
        if eras is None:
            spec_signal = self.spec.signal(signal)
            eras = tuple(i for i, era in enumerate(spec_signal.eras) if era.matches(path))
            self._era_cache[key] = eras
        return eras

    def path(self, signal: str, path: str, old: tuple[bool, bool], new: tuple[bool, bool]) -> None:
        """One file of ``signal`` changed: ``(exists, yields a key)`` before and after."""
        if old == new:
            return
        eras = self._signal_states()[signal]["eras"]
        for index in self._eras_of(signal, path):
            era = eras[index]
            era["exists"] += int(new[0]) - int(old[0])
            era["yielding"] += int(new[0] and new[1]) - int(old[0] and old[1])

    def commit(
        self,
        commit: Commit,
        touched: Sequence[tuple[str, frozenset[Registration], frozenset[Registration]]],
        keys_of: Callable[[str], set[str]],
    ) -> None:
        """After one commit: each touched signal's facts before and after; ``keys_of`` gives any signal's
        current keys (asked only when a drop is suspected)."""
        sha, at = commit.sha, _iso(commit.committed_at)
        signals = self._signal_states()
        for name, before, after in touched:
            state = signals[name]
            state["touches"] += 1
            state["last_touch"] = [sha, at]
            before_keys = {k for k, _ in before}
            after_keys = {k for k, _ in after}
            lost = before_keys - after_keys
            self._unmapped_skus(name, after - before, sha, at)
            for key in sorted(lost):
                state["removed"][key] = [state["touches"], sha, at]
            for key in sorted(after_keys - before_keys):
                removed = state["removed"].pop(key, None)
                if removed and state["touches"] - removed[0] <= self.limits.flap_window:
                    self._find(
                        f"flap:{name}:{key}@{short(removed[1])}", "flap", name,
                        f"{key} vanished at {short(removed[1])} ({removed[2][:10]}) and was back "
                        f"{state['touches'] - removed[0]} commit(s) later at {short(sha)} ({at[:10]})",
                        removed[1], removed[2],
                    )  # fmt: skip
            share = self.limits.drop_share
            if len(before_keys) >= self.limits.drop_min_keys and len(lost) > len(before_keys) * share:
                elsewhere: set[str] = set()
                for other in signals:
                    if other != name:
                        elsewhere |= keys_of(other)
                net = sorted(lost - elsewhere)
                if len(net) > len(before_keys) * share:
                    self._find(
                        f"drop:{name}:{short(sha)}", "drop", name,
                        f"{len(net)} of {len(before_keys)} keys vanished at {short(sha)} ({at[:10]}), e.g. "
                        + ", ".join(net[:MAX_EXAMPLES]),
                        sha, at,
                    )  # fmt: skip
            if len(state["removed"]) > 500:
                limit = state["touches"] - self.limits.flap_window
                state["removed"] = {k: v for k, v in state["removed"].items() if v[0] >= limit}
            self._settle(name, sha, at)
        self.state["head"] = sha

    def _unmapped_skus(self, signal: str, added: Iterable[Registration], sha: str, at: str) -> None:
        """Note SKUs the hardware table does not map, with the keys naming them and where first seen."""
        unmapped = self.state.setdefault("unmapped_skus", {})
        for key, sku in added:
            if not sku or is_mapped(sku):
                continue
            seen = unmapped.setdefault(
                sku, {"signal": signal, "commit": sha, "at": at, "keys": [], "more": 0}
            )
            if key in seen["keys"]:
                continue
            if len(seen["keys"]) < MAX_SKU_KEYS:
                seen["keys"].append(key)
            else:
                seen["more"] += 1

    def _settle(self, name: str, sha: str, at: str) -> None:
        """Open or close era spans and silences after a commit that touched ``name``."""
        for index, era in enumerate(self._signal_states()[name]["eras"]):
            spans = era["spans"]
            if era["exists"] > 0 and not (spans and spans[-1][2] is None):
                spans.append([sha, at, None, None])
            elif era["exists"] <= 0 and spans and spans[-1][2] is None:
                spans[-1][2:] = [sha, at]
            if era["yielding"] > 0 and era["first_key"] is None and not self.state["partial"]:
                era["first_key"] = [sha, at]
            silent = era["exists"] > 0 and era["yielding"] <= 0
            open_silence = era["silence"]
            if silent and open_silence is None:
                era["silence"] = [sha, at, 1]
            elif silent:
                open_silence[2] += 1
            elif open_silence is not None:
                era["silence"] = None
                era["silences"].append([open_silence[0], open_silence[1], sha, at, open_silence[2]])
                if open_silence[2] >= self.limits.silence_min_commits:
                    self._silence_finding(name, index, open_silence, f"until {short(sha)} ({at[:10]})")

    def _silence_finding(self, name: str, index: int, silence: list[Any], until: str) -> None:
        globs = ", ".join(self.spec.signal(name).eras[index].globs)
        self._find(
            f"silence:{name}:{index}:{short(silence[0])}", "silence", name,
            f"era {index} ({globs}): files exist but yield no key from {short(silence[0])} "
            f"({silence[1][:10]}) {until}, {silence[2]} commit(s)",
            silence[0], silence[1],
        )  # fmt: skip

    def version(self, commit: Commit, path: str, version: str | None) -> None:
        """A version file changed at ``commit``; ``version`` is what its pattern found (None: nothing).

        Only the current version file (``ReleaseRules.version_file``) can go silent: a file that held the
        version earlier says nothing once it stops (``version=pkg.__version__``)."""
        sha, at = commit.sha, _iso(commit.committed_at)
        if version is not None and self.state["first_version"] is None and not self.state["partial"]:
            self.state["first_version"] = [sha, at, version]
        rules = self.spec.releases
        if rules is None or path != rules.version_file:
            return
        open_silence = self.state["version_silence"]
        if version is None:
            if open_silence is None:
                self.state["version_silence"] = [sha, at, 1]
            else:
                open_silence[2] += 1
        elif open_silence is not None:
            self.state["version_silence"] = None
            self._version_silence_finding(open_silence, f"until {short(sha)} ({at[:10]})")

    def _version_silence_finding(self, silence: list[Any], until: str) -> None:
        rules = self.spec.releases
        path = rules.version_file if rules else ""
        self._find(
            f"version_silence:{short(silence[0])}", "version_silence", "",
            f"{path} exists but its version pattern finds nothing from {short(silence[0])} "
            f"({silence[1][:10]}) {until}, {silence[2]} change(s)",
            silence[0], silence[1],
        )  # fmt: skip

    def _find(self, fid: str, kind: str, signal: str, summary: str, commit: str = "", at: str = "") -> None:
        self.state["findings"].setdefault(
            fid, {"kind": kind, "signal": signal, "summary": summary, "commit": commit, "at": at}
        )

    # -- after the walk ----------------------------------------------------------------------------
    def finish(self, *, head: str, head_at: datetime, line: Sequence[str], tags: list[TagRef]) -> None:
        """The head reached, the first-parent commits walked to it (oldest first) and the repository's tags."""
        signals = self._signal_states()
        position = {sha: i for i, sha in enumerate(line)}
        base = self.state["line_commits"]
        for state in signals.values():
            last = state["last_touch"]
            if last is not None and last[0] in position:
                state["last_touch_pos"] = base + position[last[0]]
        self.state["line_commits"] = base + len(line)
        self.state["head"] = head
        self._head_at = _iso(head_at)
        self.state["head_at"] = self._head_at
        self._tags = tags

    def keys_at_head(
        self, per_path: Callable[[], Iterable[tuple[str, str, frozenset[Registration]]]]
    ) -> None:
        """Count each era's keys at the head from ``(signal, path, facts)`` of every file there."""
        keys: dict[str, set[str]] = {}
        by_signal: dict[str, set[str]] = {}
        for signal, path, facts in per_path():
            by_signal.setdefault(signal, set()).update(k for k, _ in facts)
            for index in self._eras_of(signal, path):
                keys.setdefault(f"{signal}:{index}", set()).update(k for k, _ in facts)
        self.state["keys_at_head"] = {name: len(found) for name, found in keys.items()}
        known = self.known() if self.known is not None else None
        if known is not None and not known.empty:
            self.state["dead_keys"] = self._dead_keys(by_signal, known)

    def _dead_keys(self, by_signal: dict[str, set[str]], known: KnownKeys) -> dict[str, list[Any]]:
        """Per judged signal with mostly unknown keys at the head: ``[keys, unknown, examples]``."""
        dead: dict[str, list[Any]] = {}
        for signal in self.spec.signals:
            found = by_signal.get(signal.name, set())
            if signal.key_kind not in JUDGED_KINDS or len(found) < self.limits.dead_min_keys:
                continue
            unknown = sorted(k for k in found if not known.knows(signal.key_kind, k))
            if len(unknown) > len(found) * self.limits.dead_share:
                dead[signal.name] = [len(found), len(unknown), unknown[:MAX_EXAMPLES]]
        return dead

    def report(self, *, commits_walked: int = 0) -> AuditReport:
        """Every finding (walk findings kept in the state, plus the head-time checks) with its reason."""
        found: dict[str, dict[str, Any]] = dict(self.state["findings"])
        signals = self._signal_states()
        head_at = self.state.get("head_at", self._head_at)
        eras: list[EraSummary] = []
        for signal in self.spec.signals:
            state = signals[signal.name]
            for index, era in enumerate(state["eras"]):
                silences = [list(s) for s in era["silences"]]
                if era["silence"] is not None:
                    silence = era["silence"]
                    silences.append([silence[0], silence[1], None, None, silence[2]])
                    fid = f"silence:{signal.name}:{index}:{short(silence[0])}"
                    globs = ", ".join(signal.eras[index].globs)
                    found.setdefault(
                        fid,
                        {"kind": "silence", "signal": signal.name, "commit": silence[0], "at": silence[1],
                         "summary": f"era {index} ({globs}): files exist but yield no key from "
                         f"{short(silence[0])} ({silence[1][:10]}) to the head, {silence[2]} commit(s)"},
                    )  # fmt: skip
                if not era["spans"] and not self.state["partial"]:
                    found[f"era_unseen:{signal.name}:{index}"] = {
                        "kind": "era_unseen", "signal": signal.name, "commit": "", "at": "",
                        "summary": f"era {index}: no file matching {', '.join(signal.eras[index].globs)} "
                        "ever existed on the walked line",
                    }  # fmt: skip
                eras.append(
                    EraSummary(
                        signal=signal.name, era=index, globs=signal.eras[index].globs,
                        spans=[list(s) for s in era["spans"]], first_key=era["first_key"], silences=silences,
                        keys_at_head=self.state.get("keys_at_head", {}).get(f"{signal.name}:{index}", 0),
                    )
                )  # fmt: skip
            last, pos = state["last_touch"], state.get("last_touch_pos")
            if last is not None and pos is not None and head_at:
                after = self.state["line_commits"] - 1 - pos
                days = (datetime.fromisoformat(head_at) - datetime.fromisoformat(last[1])).days
                if after >= self.limits.moved_min_commits and days >= self.limits.moved_min_days:
                    found[f"moved:{signal.name}"] = {
                        "kind": "moved", "signal": signal.name, "commit": last[0], "at": last[1],
                        "summary": f"files last changed at {short(last[0])} ({last[1][:10]}); {after} commits "
                        f"and {days} days on the line since: moved?",
                    }  # fmt: skip
        if self.state["version_silence"] is not None:
            silence = self.state["version_silence"]
            rules = self.spec.releases
            found.setdefault(
                f"version_silence:{short(silence[0])}",
                {"kind": "version_silence", "signal": "", "commit": silence[0], "at": silence[1],
                 "summary": f"{rules.version_file if rules else ''} exists but its version pattern finds "
                 f"nothing from {short(silence[0])} ({silence[1][:10]}) to the head"},
            )  # fmt: skip
        for fid, item in self._tag_findings().items():
            found[fid] = item
        kinds = {signal.name: signal.key_kind for signal in self.spec.signals}
        for name, (total, unknown, examples) in self.state.get("dead_keys", {}).items():
            kind = kinds.get(name)
            if kind is None:
                continue  # a signal the catalog no longer has
            found[f"dead_keys:{name}"] = {
                "kind": "dead_keys", "signal": name, "commit": self.state.get("head", ""), "at": head_at,
                "summary": f"{unknown} of {total} {kind} keys at the head match no architecture, model type "
                f"or repository known in any release or other runtime, e.g. " + ", ".join(examples),
            }  # fmt: skip
        for sku, seen in sorted(self.state.get("unmapped_skus", {}).items()):
            if is_mapped(sku):
                continue  # the table learned it since the walk noted it
            keys = sorted(seen["keys"])
            total = len(keys) + seen["more"]
            found[f"unmapped_sku:{sku}"] = {
                "kind": "unmapped_sku", "signal": seen["signal"], "commit": seen["commit"], "at": seen["at"],
                "summary": f"SKU {sku} (first named at {short(seen['commit'])}, {seen['at'][:10]}) maps to no "
                f"vendor in the hardware table; named by {total} key(s): " + ", ".join(keys[:MAX_EXAMPLES])
                + (" …" if total > MAX_EXAMPLES else ""),
            }  # fmt: skip
        findings = [
            Finding(
                id=fid, kind=item["kind"], signal=item["signal"], summary=item["summary"],
                commit=item["commit"], at=item["at"], reason=self.spec.explain(fid),
            )
            for fid, item in sorted(found.items())
        ]  # fmt: skip
        unused = [e.finding for e in self.spec.audit_expected if not any(e.explains(f.id) for f in findings)]
        return AuditReport(
            runtime=self.spec.name, head=self.state.get("head", ""), head_at=head_at,
            partial=bool(self.state["partial"]), eras=eras, findings=findings, expected_unused=unused,
            commits_walked=commits_walked,
        )  # fmt: skip

    def _tag_findings(self) -> dict[str, dict[str, Any]]:
        rules = self.spec.releases
        if rules is None or self._tags is None:
            return {}
        out: dict[str, dict[str, Any]] = {}
        first_version = self.state["first_version"]
        for tag in sorted(self._tags, key=lambda t: (t.at, t.name)):
            at = _iso(tag.at)
            base = {"signal": "", "commit": tag.commit, "at": at}
            matches = rules.is_release_tag(tag.name)
            if not matches and RELEASE_LIKE.match(tag.name):
                out[f"tag_unmatched:{tag.name}"] = {
                    **base, "kind": "tag_unmatched",
                    "summary": f"tag {tag.name} ({at[:10]}) looks like a release but fails {rules.tag_pattern}",
                }  # fmt: skip
            elif matches and (NOT_RELEASE.search(tag.name) or not RELEASE_LIKE.match(tag.name)):
                out[f"tag_not_release:{tag.name}"] = {
                    **base, "kind": "tag_not_release",
                    "summary": f"tag {tag.name} ({at[:10]}) matches {rules.tag_pattern} but is not shaped "
                    "like a release",
                }  # fmt: skip
            elif (
                matches
                and rules.version_file
                and first_version is not None
                and at < first_version[1]
                and not rules.is_prerelease(tag.name)
            ):
                out[f"tag_before_version:{tag.name}"] = {
                    **base, "kind": "tag_before_version",
                    "summary": f"release tag {tag.name} ({at[:10]}) is older than the first version "
                    f"{rules.version_file} yields ({first_version[2]} at {short(first_version[0])}, "
                    f"{first_version[1][:10]})",
                }  # fmt: skip
        return out

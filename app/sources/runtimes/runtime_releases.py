"""The ``released`` stage: when a runtime release (a tag, or a version bump on the default branch) first
carried each key.

A tag on the walked line takes the fact set the walk snapshotted at its commit; any other tag (release
branches) is judged by its tree, in one batch. Pre-releases (rc, beta …) and final releases are tracked
apart, and only the project's newest release line can remove a key.
"""

from __future__ import annotations

import bisect
import re
from datetime import datetime
from typing import Any

from app.domain.runtime_spec import Signal
from app.domain.vocabulary import Stage
from app.sources.git.repo import TagRef
from app.sources.runtimes.scan_events import HistoryScanner, RegistrationSnapshots, ScanEvent, ScanOutcome


def scan_runtime_releases(
    scanner: HistoryScanner,
    outcome: ScanOutcome,
    cursor: dict[str, Any],
    *,
    snapshots: RegistrationSnapshots | None,
    walked: list[str],
    line: list[str],
    versions: list[tuple[str, str]],
    rejudge: bool,
) -> None:
    """The ``released`` stage: every runtime release (tag, or version bump on the default branch) not judged
    yet, judged by the facts at its commit; the cursor keeps what was judged."""
    code_signals = [s for s in scanner.spec.signals if s.stage == Stage.MERGED]
    released_state: dict[str, list[str]] = {k: list(v) for k, v in cursor.get("released", {}).items()}
    tags_done: dict[str, str] = dict(cursor.get("tags", {}))
    # Version-bump releases found by earlier walks, kept so a full re-judgement still sees them.
    version_tags: list[list[str]] = [] if rejudge else [list(v) for v in cursor.get("version_tags", [])]
    if scanner.spec.releases is not None and code_signals:
        all_tags = [t for t in scanner.repo.tags() if scanner.spec.releases.is_release_tag(t.name)]
        current = {t.name: t.commit for t in all_tags}
        outcome.vanished_tags = {n: current.get(n) for n, c in tags_done.items() if current.get(n) != c}
        virtual = _version_releases(scanner, versions)
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
        _judge_releases(scanner, outcome, new_tags, code_signals, released_state, snapshots, walked, line)
        tags_done = current
    outcome.cursor["tags"] = tags_done
    outcome.cursor["version_tags"] = version_tags
    outcome.cursor["released"] = released_state


def _version_base(version: str) -> str:
    """The release a version string is about: ``4.1.0`` for ``4.1.0.dev0``, ``4.1.0dev0``, ``4.0.0-rc-1``."""
    match = re.match(r"\d+(?:\.\d+)*", version)
    return match.group(0).rstrip(".") if match else ""


def _version_releases(scanner: HistoryScanner, versions: list[tuple[str, str]]) -> list[TagRef]:
    rules = scanner.spec.releases
    if rules is None or not versions:
        return []
    out: list[TagRef] = []
    seen: set[str] = set()
    previous: str | None = None
    for sha, version in versions:
        committed, _authored, _subject = scanner.repo.commit_times(sha)
        if rules.version_mode == "next_dev":
            # main moving on to the next dev version (X.dev0 → Y.dev0, or X-rc → Ydev0) means X was cut: the
            # release branch forked about here.
            base, previous_base = _version_base(version), _version_base(previous or "")
            moved_on = "dev" in version and bool(previous_base)
            if (
                moved_on
                and _version_tuple(base) > _version_tuple(previous_base)
                and previous_base not in seen
            ):
                seen.add(previous_base)
                out.append(TagRef(f"version:{previous_base}", sha, committed, False))
            # Until 2020-11 main itself carried each release's version ("3.5.0" at the release commit, then
            # "4.0.0-rc-1"): a version without a dev marker is a release where it appears.
            if "dev" not in version and version not in seen:
                seen.add(version)
                out.append(TagRef(f"version:{version}", sha, committed, False))
        elif version not in seen:
            seen.add(version)
            out.append(TagRef(f"version:{version}", sha, committed, False))
        previous = version
    return out


def _judge_releases(
    scanner: HistoryScanner,
    outcome: ScanOutcome,
    tags: list[TagRef],
    signals: list[Signal],
    state: dict[str, list[str]],
    snapshots: RegistrationSnapshots | None,
    walked: list[str],
    line: list[str],
) -> None:
    if not tags:
        return
    rules = scanner.spec.releases
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
    judged = scanner.registrations_at(sorted(set(off_line)), signals) if off_line else {}
    scanner.progress(f"{scanner.spec.name}: judged {len(tags)} tags ({len(set(off_line))} by tree content)")
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
                    outcome.events.append(_release_event(scanner, signal, key, keys[key], tag, True, "added"))
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
                        _release_event(scanner, signal, key, keys[key], tag, False, "added")
                    )
            if heads_line:
                head_version = version
                for key in sorted(current - keys.keys()):
                    current.discard(key)
                    outcome.events.append(_release_event(scanner, signal, key, "", tag, False, "removed"))
        state[f"{signal.name}:final"] = sorted(ever_final)
        state[f"{signal.name}:pre"] = sorted(first_pre)
        state[f"{signal.name}:current"] = sorted(current)
        state[f"{signal.name}:head_version"] = [str(x) for x in head_version]


def _release_event(
    scanner: HistoryScanner, signal: Signal, key: str, sku: str, tag: TagRef, pre: bool, kind: str
) -> ScanEvent:
    virtual = tag.name.startswith("version:")
    url = None
    if scanner.base_url:
        url = (
            f"{scanner.base_url}/commit/{tag.commit}"
            if virtual
            else f"{scanner.base_url}/releases/tag/{tag.name}"
        )
    return ScanEvent(
        runtime=scanner.spec.name, key=key, key_kind=signal.key_kind, stage=Stage.RELEASED, event=kind,
        at=tag.at, author_at=None, commit=tag.commit, tag=tag.name, branch="", sku=sku,
        signal=signal.name, provenance="git", confidence="medium" if virtual else "high", pr_number=None,
        is_prerelease=pre, evidence_url=url,
    )  # fmt: skip


def _version_tuple(tag: str) -> tuple[int, ...]:
    """The numbers of a release name (``v0.6.1.post1+rocm`` → (0, 6, 1, 1); ``b4417`` → (4417,))."""
    return tuple(int(n) for n in re.findall(r"\d+", tag))

"""``launchgap catalog verify``: scan a real history with the catalog's rules (storing nothing) and check each
hand-checked fact (``app/sources/runtimes/verified_facts.py``) against what the scan finds (docs/runtimes.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from app.domain.runtime_spec import RuntimeSpec
from app.domain.vocabulary import Stage
from app.services.runtimes.fetch import collect_events, open_source
from app.sources.git.repo import GitError
from app.sources.runtimes.scan_events import ScanError, ScanEvent
from app.sources.runtimes.verified_facts import VerifiedFact, load_facts


@dataclass(frozen=True)
class FactCheck:
    """One hand-checked fact compared with what the scanner finds in a real history."""

    fact: VerifiedFact
    ok: bool
    found_commit: str | None
    found_at: datetime | None
    found_tag: str | None
    message: str
    checked: bool = True
    """False when the copy lacks the head the fact was checked on (another history): ``ok`` is then
    meaningless and the fact counts neither way."""


def verify_facts(
    spec: RuntimeSpec,
    *,
    repo: str,
    data_dir: Path,
    facts: Sequence[VerifiedFact] | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[FactCheck]:
    """Scan ``repo`` with ``spec``'s rules (storing nothing) and check each hand-checked fact against it.

    A fact holds when the first event of its kind (``added``, or ``removed`` for a removal fact) for its
    key and stage is at its commit and time (and tag, for ``released``). A fact recorded on a copy whose head this one lacks (a fork, another mirror) is
    reported with ``checked=False``: a fork's merged dates are its merge dates, not upstream's.
    """
    facts = [f for f in (facts if facts is not None else load_facts()) if f.runtime == spec.name]
    try:
        git, _ = open_source(spec, data_dir, repo)
        with git:
            present = {f.head for f in facts if f.head and git.has_commit(f.head)}
    except GitError as exc:
        raise ScanError(f"{spec.name}: {exc}") from exc
    checkable = [f for f in facts if not f.head or f.head in present]
    first: dict[tuple[str, str, str, str], ScanEvent] = {}
    if checkable:
        for event in collect_events(spec, data_dir=data_dir, repo=repo, progress=progress):
            for stage in Stage:  # the first of the stages that date it (proposed: also branch, merged)
                if event.stage in stage.event_stages:
                    first.setdefault((event.key, stage, event.sku, event.event), event)
    return [_check(fact, first, checked=fact in checkable) for fact in facts]


def _check(
    fact: VerifiedFact, first: dict[tuple[str, str, str, str], ScanEvent], *, checked: bool
) -> FactCheck:
    if not checked:
        return FactCheck(
            fact, False, None, None, None,
            f"not checkable here: checked on {fact.repository or 'another copy'} at {fact.head[:12]}, "
            "which this copy lacks", checked=False,
        )  # fmt: skip
    found = first.get((fact.key, fact.stage, fact.sku, fact.event))
    if found is None:
        return FactCheck(fact, False, None, None, None, f"no {fact.event} event found for this key and stage")
    problems = fact.mismatches(commit=found.commit, at=found.at, tag=found.tag, pr_number=found.pr_number)
    return FactCheck(
        fact, not problems, found.commit, found.at, found.tag or None, "; ".join(problems) or "ok"
    )

"""Hand-checked facts (``verified_facts.json``): events confirmed with ``git log -S`` on real histories.

``launchgap catalog verify RUNTIME --repo PATH`` re-checks them against a real copy, so a catalog change
that moves a known date is caught.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

FACTS_FILE = Path(__file__).with_name("verified_facts.json")


@dataclass(frozen=True)
class VerifiedFact:
    runtime: str
    key: str
    stage: str
    commit: str
    at: datetime | None
    tag: str = ""
    sku: str = ""
    note: str = ""
    repository: str = ""
    """The public copy the fact was checked on (``owner/name``)."""
    head: str = ""
    """That copy's head when checked: a copy lacking it is another history (a fork, a mirror cut
    elsewhere), where the fact cannot be checked — merged dates differ between a fork and upstream."""
    event: str = "added"
    """``added`` (the key's first addition at this stage) or ``removed`` (its first removal)."""
    signal: str = ""
    era: int | None = None
    """The era (index in the signal's ``eras``) whose files carried a first registration; None when not
    recorded (releases, removals of keys several eras held)."""
    pr_number: int | None = None
    """The pull request that carried it (``proposed``: the lowest-numbered one whose head contains it)."""

    def mismatches(self, *, commit: str, at: datetime, tag: str, pr_number: int | None) -> list[str]:
        """How the event a scan found differs from this fact (empty: it holds)."""
        problems = []
        if self.commit and not commit.startswith(self.commit):
            problems.append(f"commit {commit[:12]} != {self.commit[:12]}")
        if self.at and at != self.at:
            problems.append(f"time {at.isoformat()} != {self.at.isoformat()}")
        if self.tag and tag != self.tag:
            problems.append(f"tag {tag or '-'} != {self.tag}")
        if self.pr_number is not None and pr_number != self.pr_number:
            problems.append(f"pull request #{pr_number or '-'} != #{self.pr_number}")
        return problems


def load_facts(path: Path = FACTS_FILE) -> list[VerifiedFact]:
    """Every fact in the file; ValueError naming the entry when one is malformed."""
    raw = json.loads(path.read_text())
    facts: list[VerifiedFact] = []
    for index, item in enumerate(raw.get("facts", [])):
        try:
            at = datetime.fromisoformat(item["at"].replace("Z", "+00:00")) if item.get("at") else None
            if at is not None and at.tzinfo is None:
                raise ValueError("time without a timezone")
            event = item.get("event", "added")
            if event not in ("added", "removed"):
                raise ValueError(f"event {event!r} is neither 'added' nor 'removed'")
            facts.append(
                VerifiedFact(
                    runtime=item["runtime"], key=item["key"], stage=item["stage"], commit=item.get("commit", ""),
                    at=at, tag=item.get("tag", ""), sku=item.get("sku", ""), note=item.get("note", ""),
                    repository=item.get("repository", ""), head=item.get("head", ""), event=event,
                    signal=item.get("signal", ""), era=item.get("era"), pr_number=item.get("pr_number"),
                )
            )  # fmt: skip
        except (KeyError, ValueError, AttributeError) as exc:
            raise ValueError(f"{path}: fact #{index} is malformed: {exc}") from exc
    return facts

"""The shapes the read side returns and the API shows, declared once (the API schemas are derived from
them in ``app/schemas/``): support events and claims. A field's ``metadata`` may carry the API's
``description``, or ``api: False`` to keep it out of the API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from app.domain.vocabulary import EventKind, KeyKind, Stage, Vendor


@dataclass(frozen=True)
class EventRow:
    """One dated piece of evidence that a runtime gained (or lost) support for a key at a stage."""

    id: int
    runtime: str
    key_kind: KeyKind
    key: str
    stage: Stage
    event: EventKind
    at: datetime
    author_at: datetime | None
    commit: str | None
    tag: str | None
    branch: str | None
    sku: str | None
    signal: str | None
    pr_number: int | None
    is_prerelease: bool | None
    evidence_url: str | None
    provenance: str
    confidence: str
    retracted_at: datetime | None
    recorded_at: datetime


@dataclass(frozen=True, kw_only=True)
class ClaimRow:
    """A stored claim (claimed support: a vendor announcement, a release note), always shown as a claim."""

    id: int
    repo_id: str
    runtime: str | None
    vendor: Vendor | None
    stage: Stage
    sku: str | None
    at: datetime
    url: str
    note: str | None
    confidence: str
    provenance: Literal["claim"] = "claim"
    recorded_at: datetime
    created: bool = field(
        default=False, metadata={"description": "False when the same claim was already recorded."}
    )

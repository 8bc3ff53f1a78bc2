"""Claimed support (a vendor announcement, a release note), entered through the API with a token.

Claims live apart from git- and docs-derived support events and are always shown as claims: they never
move a gap computed from evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.upsert import insert_ignoring_conflicts
from app.domain.rows import ClaimRow
from app.domain.vocabulary import Stage, Vendor
from app.models import Model, SupportClaim
from app.sources.runtimes.catalog import CATALOG, HARDWARE, canonical_sku


class ClaimError(ValueError):
    """A claim that cannot be recorded as given (unknown model, runtime, vendor, stage or SKU)."""


@dataclass(frozen=True)
class ClaimInput:
    repo_id: str
    stage: str
    at: datetime
    url: str
    runtime: str | None = None
    vendor: str | None = None
    sku: str | None = None
    note: str | None = None
    confidence: str = "medium"


def add_claim(session: Session, claim: ClaimInput, *, token_id: int | None, now: datetime) -> ClaimRow:
    """Record a claim (``created`` says whether it is new). The same claim posted twice is stored once."""
    model_id = session.scalars(select(Model.id).where(Model.repo_id == claim.repo_id)).first()
    if model_id is None:
        raise ClaimError(f"unknown model {claim.repo_id!r}")
    if claim.runtime is None and claim.vendor is None:
        raise ClaimError("a claim names a runtime, a vendor, or both")
    if claim.runtime is not None and claim.runtime not in CATALOG:
        raise ClaimError(f"unknown runtime {claim.runtime!r}")
    if claim.vendor is not None and claim.vendor not in set(Vendor):
        raise ClaimError(f"unknown vendor {claim.vendor!r}; known: {', '.join(Vendor)}")
    if claim.stage not in Stage:
        raise ClaimError(f"unknown stage {claim.stage!r}")
    sku = canonical_sku(claim.sku) if claim.sku is not None else None  # one chip, one spelling
    if sku is not None and sku not in HARDWARE:
        raise ClaimError(f"unknown sku {claim.sku!r}")
    identity = {
        "model_id": model_id,
        "runtime": claim.runtime or "",
        "vendor": claim.vendor or "",
        "stage": claim.stage,
        "sku": sku or "",
        "url": claim.url,
    }
    inserted = insert_ignoring_conflicts(
        session,
        SupportClaim.__table__,  # type: ignore[arg-type]
        [
            {
                **identity,
                "at": claim.at,
                "note": claim.note,
                "confidence": claim.confidence,
                "token_id": token_id,
                "recorded_at": now,
            }
        ],
        list(identity),
    )
    stored = session.scalars(select(SupportClaim).filter_by(**identity)).one()
    return _row(stored, claim.repo_id, created=bool(inserted))


def _row(claim: SupportClaim, repo_id: str, *, created: bool = False) -> ClaimRow:
    """A stored claim as the API shows it ('' in the identity columns means "not named")."""
    return ClaimRow(
        id=claim.id,
        repo_id=repo_id,
        runtime=claim.runtime or None,
        vendor=Vendor(claim.vendor) if claim.vendor else None,
        stage=Stage(claim.stage),
        sku=claim.sku or None,
        at=claim.at,
        url=claim.url,
        note=claim.note,
        confidence=claim.confidence,
        recorded_at=claim.recorded_at,
        created=created,
    )


@dataclass(frozen=True)
class ClaimFilters:
    """What ``GET /api/v1/claims`` can ask for; ``since``/``until`` bound the claimed support time."""

    repo_id: str | None = None
    runtime: str | None = None
    vendor: str | None = None
    stage: str | None = None
    sku: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def list_claims(
    session: Session, filters: ClaimFilters | None = None, *, repo_id: str | None = None
) -> list[ClaimRow]:
    """Claims matching ``filters``, newest claimed time first."""
    f = filters or ClaimFilters(repo_id=repo_id)
    query = select(SupportClaim, Model.repo_id).join(Model, SupportClaim.model_id == Model.id)
    if f.repo_id is not None:
        query = query.where(Model.repo_id == f.repo_id)
    # '' stands for "not named" in the identity columns, so a filter value never matches it by accident.
    for column, value in (
        (SupportClaim.runtime, f.runtime),
        (SupportClaim.vendor, f.vendor),
        (SupportClaim.stage, f.stage),
        (SupportClaim.sku, f.sku),
    ):
        if value is not None:
            query = query.where(column == value)
    if f.since is not None:
        query = query.where(SupportClaim.at >= f.since)
    if f.until is not None:
        query = query.where(SupportClaim.at < f.until)
    ordered = query.order_by(SupportClaim.at.desc(), SupportClaim.id.desc())
    return [_row(claim, repo) for claim, repo in session.execute(ordered)]

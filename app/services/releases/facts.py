"""``launchgap import releases FILE.csv``: dated release facts with their source and confidence.

Format: the columns of shared/data/releases.csv (``hf_repo_id, org, architecture, model_type,
public_release_date, createdAt, source, confidence, notes``). The whole file is validated before anything
is written; re-importing the same file changes nothing. A model the Hub has not been polled for is
created from the row (architecture and model_type as given) so a database can be built offline; a model
the Hub knows keeps the Hub's facts and any disagreement is flagged in ``release_conflict``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.vocabulary import ReleaseSource
from app.models.model import Model
from app.services.csv_files import read_keyed_rows
from app.services.releases.publishers import publisher_for
from app.services.releases.rules import ReleaseTime, import_conflicts, parse_release_date
from app.services.releases.store import refresh_families, set_release_time
from app.sources.hub.types import check_repo_id, parse_hub_time

REQUIRED = ("hf_repo_id", "public_release_date", "source", "confidence")
CONFIDENCES = ("high", "medium", "low")


class ReleaseFileError(ValueError):
    """The releases CSV cannot be imported; nothing was written."""


@dataclass(frozen=True)
class ReleaseFact:
    repo_id: str
    architecture: str | None
    model_type: str | None
    release_at: datetime
    precision: str
    created_at: datetime | None
    source: str
    confidence: str
    notes: str | None = None


@dataclass(frozen=True)
class ImportReport:
    """What an import did."""

    rows: int
    created: int
    updated: int
    unchanged: int
    conflicts: tuple[str, ...]


def read_release_facts(path: Path) -> list[ReleaseFact]:
    """Parse and validate every row; raises ``ReleaseFileError`` listing each bad line."""
    return read_keyed_rows(
        path,
        REQUIRED,
        ReleaseFileError,
        _fact,
        key=lambda fact: fact.repo_id,
        duplicate="{key} appears twice",
    )


def _fact(cells: dict[str, str]) -> ReleaseFact:
    """One row's fact; ``ValueError`` (``InvalidName`` and ``ReleaseDateError`` are ones) says what is wrong."""
    repo_id = check_repo_id(cells["hf_repo_id"])
    release_at, precision = parse_release_date(cells["public_release_date"])
    created_at = parse_hub_time(cells["createdAt"]) if cells.get("createdAt") else None
    confidence = cells["confidence"].lower()
    if confidence not in CONFIDENCES:
        raise ValueError(f"confidence must be one of {', '.join(CONFIDENCES)}, not {confidence!r}")
    if not cells["source"]:
        raise ValueError("source is empty (every fact needs one)")
    if cells.get("org") and cells["org"] != repo_id.split("/", 1)[0]:
        raise ValueError(f"org {cells['org']!r} does not match the repo id")
    return ReleaseFact(
        repo_id=repo_id,
        architecture=cells.get("architecture") or None,
        model_type=cells.get("model_type") or None,
        release_at=release_at,
        precision=precision,
        created_at=created_at,
        source=cells["source"],
        confidence=confidence,
        notes=cells.get("notes") or None,
    )


def import_releases(
    session: Session, path: Path, *, kind: ReleaseSource = ReleaseSource.IMPORTED
) -> ImportReport:
    """Import the facts in ``path`` (idempotent); the caller commits.

    ``kind`` is ``imported`` (an operator's file: it outranks the bundled facts) or ``bundled`` (the facts
    shipped with LaunchGap, imported at every start: they only fill gaps, and never replace an operator's
    import or an observation however often they are imported again)."""
    if kind not in (ReleaseSource.IMPORTED, ReleaseSource.BUNDLED):
        raise ValueError(
            f"kind must be {ReleaseSource.IMPORTED!r} or {ReleaseSource.BUNDLED!r}, not {kind!r}"
        )
    facts = read_release_facts(path)
    created = updated = unchanged = 0
    conflicts: list[str] = []
    for fact in facts:
        row = session.execute(select(Model).where(Model.repo_id == fact.repo_id)).scalar_one_or_none()
        if row is None:
            row = Model(
                repo_id=fact.repo_id,
                architectures=[fact.architecture] if fact.architecture else [],
                model_type=fact.model_type,
                created_at=fact.created_at,
                base_models=[],
                tags=[],
                hub_extra={},
                release_times={},
                visibility="public",
            )
            row.publisher_id = publisher_for(session, fact.repo_id.split("/", 1)[0]).id
            session.add(row)
            created += 1
            before = None
        else:
            before = _state(row)
        imported = {
            "architecture": fact.architecture,
            "model_type": fact.model_type,
            "release_at": fact.release_at.isoformat(),
            "precision": fact.precision,
        }
        if kind == ReleaseSource.IMPORTED or "imported" not in (row.hub_extra or {}):
            # The operator's facts are what the Hub is compared with; bundled ones only when there are none.
            row.hub_extra = {**(row.hub_extra or {}), "imported": imported}
        set_release_time(
            row,
            ReleaseTime(fact.release_at, kind, fact.precision, fact.source, fact.confidence, fact.notes),
        )
        if row.hub_id is not None:
            # The Hub has spoken: compare (with the operator's facts when there are any), never overwrite.
            compared = row.hub_extra["imported"]
            row.release_conflict = import_conflicts(
                compared.get("architecture"),
                compared.get("model_type"),
                datetime.fromisoformat(compared["release_at"]),
                row.architectures,
                row.model_type,
                row.created_at,
            )
        elif fact.created_at and not row.created_at:
            row.created_at = fact.created_at
        if row.release_conflict:
            conflicts.append(f"{fact.repo_id}: {row.release_conflict}")
        session.flush()
        if before is not None:
            if _state(row) == before:
                unchanged += 1
            else:
                updated += 1
    refresh_families(session)
    return ImportReport(len(facts), created, updated, unchanged, tuple(conflicts))


def _state(row: Model) -> tuple[object, ...]:
    return (
        row.release_at,
        row.release_at_source,
        row.release_at_precision,
        row.release_source_detail,
        row.release_confidence,
        row.release_times,
        row.release_conflict,
        row.architectures,
        row.model_type,
        (row.hub_extra or {}).get("imported"),
    )

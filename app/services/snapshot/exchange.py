"""A database to a snapshot and back: export everything the evidence side knows; import it additively.

Import never overwrites: events are inserted on their identity (those already stored, live or imported,
stay as they are), a runtime's key mapping is taken only when the database has none for it, and a release
time only fills a model that has none (or only the Hub's ``createdAt`` estimate). The caller commits once,
so an import is one transaction: all of it or nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from app.db.upsert import insert_ignoring_conflicts
from app.domain.vocabulary import ReleaseSource
from app.models.coverage import SourceCoverage
from app.models.key_mapping import KeyMapping
from app.models.model import Model
from app.models.runtime import Runtime
from app.models.source_state import SourceState
from app.models.support import EVENT_IDENTITY, SupportEvent, SupportKey
from app.models.version_statement import VersionStatement
from app.services.operations.source_state import IMPORTED_SNAPSHOT, RUNTIME_REPO
from app.services.releases.publishers import publisher_for
from app.services.releases.rules import ReleaseTime
from app.services.releases.store import fill_release_time, refresh_families
from app.services.runtimes.catalog_rows import sync_catalog
from app.services.runtimes.store import event_rows
from app.services.snapshot.format import (
    CoverageRow,
    EventRow,
    KeyMappingRow,
    ReleaseRow,
    Snapshot,
    SnapshotError,
    SourceRow,
    StatementRow,
    content_digest,
)
from app.sources.runtimes.catalog import CATALOG
from app.sources.runtimes.coverage import stage_coverage_start

# The record an import leaves in source_states: name = the content's digest; cursor = cutoff, counts, copies.
SNAPSHOT_STATE = IMPORTED_SNAPSHOT

_CHUNK = 500


# -- export -------------------------------------------------------------------------------------------


def _sources_from_cursors(session: Session) -> list[SourceRow]:
    # A database scanned live knows each source's walked heads from its scan cursors, not their dates.
    out: list[SourceRow] = []
    for state in session.scalars(select(SourceState).where(SourceState.kind == RUNTIME_REPO)):
        for source_key, cursor in sorted((state.cursor or {}).items()):
            refs = (cursor or {}).get("refs", {}) if isinstance(cursor, dict) else {}
            copy = "catalog" if source_key == "default" else source_key.removeprefix("repo:")
            for ref, walked in sorted(refs.items()):
                if isinstance(walked, dict) and walked.get("head"):
                    out.append(SourceRow(state.name, copy, None, ref, walked["head"], None))
    return out


def export_snapshot(session: Session, *, sources: Sequence[SourceRow] | None = None) -> Snapshot:
    """Everything the database knows from runtime sources, plus its release facts, as a ``Snapshot``.

    ``sources`` describes the copies read (a build knows them); without it they come from the scan cursors.
    Claims (``support_claims``) and createdAt estimates are not evidence and are left out.
    """
    snapshot = Snapshot(sources=list(sources) if sources is not None else _sources_from_cursors(session))
    query = (
        select(SupportEvent, Runtime.name, SupportKey.key_kind, SupportKey.key)
        .join(Runtime, Runtime.id == SupportEvent.runtime_id)
        .join(SupportKey, SupportKey.id == SupportEvent.support_key_id)
    )
    for event, runtime, key_kind, key in session.execute(query):
        snapshot.events.append(
            EventRow(
                runtime=runtime,
                key_kind=key_kind,
                key=key,
                stage=event.stage,
                event=event.event,
                at=event.at,
                author_at=event.author_at,
                commit=event.commit,
                tag=event.tag,
                branch=event.branch,
                sku=event.sku,
                signal=event.signal,
                pr_number=event.pr_number,
                is_prerelease=event.is_prerelease,
                evidence_url=event.evidence_url,
                provenance=event.provenance,
                confidence=event.confidence,
                retracted_at=event.retracted_at,
            )
        )
    for row in session.scalars(select(SourceCoverage)):
        spec = CATALOG.get(row.runtime)
        snapshot.coverage.append(
            CoverageRow(
                runtime=row.runtime,
                stage=row.stage,
                observed=row.observed,
                observed_until=row.observed_until,
                copy=row.copy,
                source=row.source,
                reason=row.reason,
                coverage_start=stage_coverage_start(spec, row.stage) if spec else None,
            )
        )
    for stated in session.scalars(select(VersionStatement)):
        snapshot.statements.append(
            StatementRow(
                source=stated.source,
                key_kind=stated.key_kind,
                key=stated.key,
                runtime=stated.runtime,
                value=stated.value,
                commit=stated.commit,
                path=stated.path,
                evidence_url=stated.evidence_url,
                kind=stated.kind,
                vendor=stated.vendor or None,
                variant=stated.variant or None,
            )
        )
    for mapping in session.scalars(select(KeyMapping)):
        snapshot.key_mappings.append(
            KeyMappingRow(
                mapping.source,
                mapping.from_kind,
                mapping.from_key,
                mapping.to_kind,
                mapping.to_key,
                mapping.commit,
            )
        )
    models = select(Model).where(
        Model.release_at.is_not(None),
        Model.release_at_source.in_(ReleaseSource.dated_sources()),
        Model.is_derivative.is_(False),
        Model.visibility == "public",
    )
    for model in session.scalars(models):
        assert model.release_at is not None and model.release_at_source is not None
        snapshot.releases.append(
            ReleaseRow(
                repo_id=model.repo_id,
                architectures=tuple(model.architectures or ()),
                model_type=model.model_type,
                release_at=model.release_at,
                precision=model.release_at_precision or "second",
                source=model.release_at_source,
                detail=model.release_source_detail,
                confidence=model.release_confidence,
                created_at=model.created_at,
            )
        )
    return snapshot


# -- import -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotImport:
    """What an import did: ``*_new`` rows written, the rest were already there (or kept as they were)."""

    digest: str
    cutoff: datetime | None
    events_new: int
    events_present: int
    key_mappings_new: int
    key_mappings_kept: int
    coverage_new: int
    coverage_kept: int
    statements_new: int
    statements_kept: int
    releases_created: int
    releases_filled: int
    releases_kept: int

    @property
    def changed(self) -> bool:
        return bool(
            self.events_new
            or self.key_mappings_new
            or self.coverage_new
            or self.statements_new
            or self.releases_created
            or self.releases_filled
        )


def _evidence_problem(url: str, runtime: str) -> str | None:
    """Why ``url`` is not evidence of ``runtime`` (None when it is): evidence links point into the runtime's
    own repository over https, so an imported file cannot put a ``javascript:`` link, or a page elsewhere
    presented as evidence, on the dashboard or in the feed."""
    spec = CATALOG.get(runtime)
    if spec is None:
        return f"{runtime!r} is not a catalog runtime"
    repo = urlsplit(spec.repo_url)
    link = urlsplit(url)
    segments = [unquote(part) for part in link.path.split("/")]
    if (
        link.scheme != "https"
        or repo.scheme != "https"
        or link.netloc.lower() != repo.netloc.lower()
        or not link.path.startswith(repo.path.rstrip("/") + "/")
        or any(part in (".", "..") or "\\" in part for part in segments)
    ):
        return f"not an https link under {spec.repo_url}/"
    return None


def _check_evidence_urls(snapshot: Snapshot) -> None:
    """``SnapshotError`` naming the rows (at most 20) whose evidence link is not under their runtime's
    repository; nothing is written then."""
    problems: list[str] = []
    rows = [("event", e, e.runtime) for e in snapshot.events]
    rows += [("statement", s, s.source) for s in snapshot.statements]
    for section, row, runtime in rows:
        if row.evidence_url is None:
            continue
        why = _evidence_problem(row.evidence_url, runtime)
        if why is not None:
            shown = row.evidence_url if len(row.evidence_url) <= 80 else row.evidence_url[:80] + "…"
            problems.append(f"{section} {' / '.join(row.identity())}: evidence_url {shown!r} is {why}")
    if problems:
        more = f"; … {len(problems) - 20} more" if len(problems) > 20 else ""
        raise SnapshotError("the snapshot's evidence links are refused: " + "; ".join(problems[:20]) + more)


def _runtime_ids(session: Session, snapshot: Snapshot) -> dict[str, int]:
    sync_catalog(session)
    ids = {name: runtime_id for name, runtime_id in session.execute(select(Runtime.name, Runtime.id))}
    unknown = sorted({e.runtime for e in snapshot.events} - ids.keys())
    if unknown:
        raise SnapshotError(
            f"the snapshot has events of runtimes this catalog does not know: {', '.join(unknown)} "
            "(built by another LaunchGap version?)"
        )
    return ids


def _insert_chunked(
    session: Session, table: Table, rows: list[dict[str, Any]], conflict_columns: Sequence[str]
) -> int:
    """Insert ``rows`` a chunk at a time, skipping identities already stored; returns how many were new."""
    return sum(
        insert_ignoring_conflicts(session, table, rows[start : start + _CHUNK], conflict_columns)
        for start in range(0, len(rows), _CHUNK)
    )


def _import_events(session: Session, snapshot: Snapshot, runtime_ids: dict[str, int], now: datetime) -> int:
    rows = event_rows(session, snapshot.events, lambda e: runtime_ids[e.runtime], now)
    inserted = _insert_chunked(session, SupportEvent.__table__, rows, EVENT_IDENTITY)  # type: ignore[arg-type]
    return inserted


def _import_key_mappings(session: Session, snapshot: Snapshot, now: datetime) -> tuple[int, int]:
    # A source's mapping is replaced as a whole by each live scan; mixing in rows of another head would
    # leave stale translations, so a source that already has a mapping keeps it untouched.
    present = set(session.scalars(select(KeyMapping.source).distinct()))
    new = [m for m in snapshot.key_mappings if m.source not in present]
    rows = [
        {
            "source": m.source,
            "from_kind": m.from_kind,
            "from_key": m.from_key,
            "to_kind": m.to_kind,
            "to_key": m.to_key,
            "commit": m.commit,
            "recorded_at": now,
        }
        for m in new
    ]
    inserted = _insert_chunked(
        session, KeyMapping.__table__, rows, ["source", "from_kind", "from_key", "to_kind"]
    )  # type: ignore[arg-type]
    return inserted, len(snapshot.key_mappings) - inserted


def _import_statements(session: Session, snapshot: Snapshot, now: datetime) -> tuple[int, int]:
    # Like a key mapping, a source's statements are replaced as a whole by each live scan: a source that
    # already has some keeps them untouched.
    present = set(session.scalars(select(VersionStatement.source).distinct()))
    rows = [
        {
            "source": s.source,
            "key_kind": s.key_kind,
            "key": s.key,
            "runtime": s.runtime,
            "kind": s.kind,
            "vendor": s.vendor or "",
            "variant": s.variant or "",
            "value": s.value,
            "commit": s.commit,
            "path": s.path,
            "evidence_url": s.evidence_url,
            "recorded_at": now,
        }
        for s in snapshot.statements
        if s.source not in present
    ]
    inserted = _insert_chunked(
        session,
        VersionStatement.__table__,  # type: ignore[arg-type]
        rows,
        ["source", "key_kind", "key", "runtime", "kind", "vendor", "variant"],
    )
    return inserted, len(snapshot.statements) - inserted


def _import_releases(session: Session, snapshot: Snapshot) -> tuple[int, int, int]:
    by_repo = {
        m.repo_id: m
        for m in session.scalars(
            select(Model).where(Model.repo_id.in_([r.repo_id for r in snapshot.releases]))
        )
    }
    created = filled = kept = 0
    for fact in snapshot.releases:
        # A snapshot's release time (whoever observed it elsewhere) ranks as a bundled fact here, and only
        # fills a model with no dated release time: observed live, imported or bundled, it is never touched.
        candidate = ReleaseTime(
            fact.release_at, ReleaseSource.BUNDLED, fact.precision, fact.detail, fact.confidence
        )
        model = by_repo.get(fact.repo_id)
        if model is None:
            model = Model(
                repo_id=fact.repo_id, architectures=list(fact.architectures), model_type=fact.model_type,
                created_at=fact.created_at, base_models=[], tags=[], hub_extra={}, visibility="public",
            )  # fmt: skip
            model.publisher_id = publisher_for(session, fact.repo_id.split("/", 1)[0]).id
            session.add(model)
            fill_release_time(model, candidate)
            created += 1
        elif fill_release_time(model, candidate):
            filled += 1
        else:
            kept += 1
    session.flush()
    return created, filled, kept


def _import_coverage(session: Session, snapshot: Snapshot, now: datetime) -> tuple[int, int]:
    # A stage this database observed itself keeps its own coverage; one never observed takes the snapshot's.
    stored = {(row.runtime, row.stage): row for row in session.scalars(select(SourceCoverage))}
    new = kept = 0
    for fact in snapshot.coverage:
        if fact.runtime not in CATALOG:
            continue
        row = stored.get((fact.runtime, fact.stage))
        if row is not None and (row.observed or not fact.observed):
            kept += 1
            continue
        if row is None:
            row = SourceCoverage(runtime=fact.runtime, stage=fact.stage)
            session.add(row)
        row.observed, row.observed_until, row.reason = fact.observed, fact.observed_until, fact.reason
        row.copy, row.source, row.recorded_at = fact.copy, fact.source, now
        new += 1
    session.flush()
    return new, kept


def import_snapshot(session: Session, snapshot: Snapshot, *, now: datetime) -> SnapshotImport:
    """Add ``snapshot`` to the database without overwriting anything; idempotent. The caller refreshes the
    gap rows (``refresh_gaps``) and commits, so evidence and rows land together.

    Raises ``SnapshotError`` (before writing any evidence) when the snapshot names runtimes the catalog lacks
    or holds an evidence link outside its runtime's repository.
    """
    runtime_ids = _runtime_ids(session, snapshot)
    _check_evidence_urls(snapshot)
    events_new = _import_events(session, snapshot, runtime_ids, now)
    mappings_new, mappings_kept = _import_key_mappings(session, snapshot, now)
    coverage_new, coverage_kept = _import_coverage(session, snapshot, now)
    statements_new, statements_kept = _import_statements(session, snapshot, now)
    created, filled, kept = _import_releases(session, snapshot)
    if created or filled:
        refresh_families(session)
    digest = content_digest(snapshot)
    cutoff = snapshot.cutoff
    record = {
        "kind": SNAPSHOT_STATE, "name": digest[:16], "last_checked_at": now, "last_success_at": now,
        "consecutive_errors": 0,
        "cursor": {
            "cutoff": cutoff.isoformat() if cutoff else None, "counts": snapshot.counts(),
            "sources": [
                [s.runtime, s.copy, s.head, s.head_at.isoformat() if s.head_at else None]
                for s in sorted(snapshot.sources, key=lambda s: s.identity())
            ],
        },
    }  # fmt: skip
    # The first import of this content is recorded; importing it again leaves the record as it was.
    insert_ignoring_conflicts(session, SourceState.__table__, [record], ["kind", "name"])  # type: ignore[arg-type]
    report = SnapshotImport(
        digest=digest,
        cutoff=cutoff,
        events_new=events_new,
        events_present=len(snapshot.events) - events_new,
        key_mappings_new=mappings_new,
        key_mappings_kept=mappings_kept,
        coverage_new=coverage_new,
        coverage_kept=coverage_kept,
        statements_new=statements_new,
        statements_kept=statements_kept,
        releases_created=created,
        releases_filled=filled,
        releases_kept=kept,
    )
    return report


@dataclass(frozen=True)
class SnapshotCopy:
    """One copy an imported snapshot was read from: its runtime's evidence is as of ``head_at``."""

    runtime: str
    copy: str
    head: str
    head_at: datetime | None


@dataclass(frozen=True)
class ImportedSnapshot:
    """A snapshot imported into this database (what the dashboard says "as of")."""

    name: str
    cutoff: datetime | None
    imported_at: datetime | None
    copies: tuple[SnapshotCopy, ...]


def imported_snapshots(session: Session) -> list[ImportedSnapshot]:
    """Snapshots imported into this database, newest cutoff first."""
    out: list[ImportedSnapshot] = []
    for state in session.scalars(select(SourceState).where(SourceState.kind == SNAPSHOT_STATE)):
        cursor = state.cursor or {}
        cutoff = cursor.get("cutoff")
        copies = tuple(
            SnapshotCopy(runtime, copy, head, datetime.fromisoformat(at) if at else None)
            for runtime, copy, head, at in cursor.get("sources", [])
        )
        out.append(
            ImportedSnapshot(
                state.name, datetime.fromisoformat(cutoff) if cutoff else None, state.last_success_at, copies
            )
        )
    return sorted(out, key=lambda s: (s.cutoff is not None, s.cutoff), reverse=True)


def has_support_events(session: Session) -> bool:
    """Whether any support evidence is stored (seeding imports the bundled snapshot only when none is)."""
    return session.scalar(select(SupportEvent.id).limit(1)) is not None

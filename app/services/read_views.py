"""Read queries behind the models, runtimes and events endpoints (and the Atom feed).

Each list is one counted, paged SQL query (no per-row queries); details add a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, not_, or_, select
from sqlalchemy.orm import Session

from app.domain.gap_row import GapRow
from app.domain.rows import EventRow
from app.domain.vocabulary import ReleaseSource, RowKind, Stage
from app.models import Model, Publisher, Runtime, SourceState, SupportEvent, SupportKey
from app.services.gaps.matching import normalise_name
from app.services.gaps.query import GapFilters, query_gaps
from app.services.releases.rules import ReleaseConflict, ReleaseTime, release_conflicts
from app.services.runtimes.catalog_views import has_source_for
from app.sources.runtimes.catalog import CATALOG, HARDWARE, VENDOR_BRANCHES

MODEL_SORTS = {
    "-release_at": (Model.release_at.desc(), Model.id.desc()),
    "release_at": (Model.release_at.asc(), Model.id.asc()),
    "repo_id": (Model.repo_id.asc(), Model.id.asc()),
    "-created_at": (Model.created_at.desc(), Model.id.desc()),
    # Demand: most used first with a leading '-', like the other sorts; ties newest release first.
    "-downloads": (Model.downloads.desc(), Model.release_at.desc(), Model.id.desc()),
    "downloads": (Model.downloads.asc(), Model.release_at.desc(), Model.id.desc()),
    "-likes": (Model.likes.desc(), Model.release_at.desc(), Model.id.desc()),
    "likes": (Model.likes.asc(), Model.release_at.desc(), Model.id.desc()),
}


@dataclass(frozen=True)
class ModelFilters:
    publisher: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    new_architecture: bool | None = None
    search: tuple[str, ...] = ()
    """Substrings of the repo id (case-insensitive), every one of which must match."""
    include_derivatives: bool = True
    min_downloads: int | None = None
    sort: str = "-release_at"


@dataclass(frozen=True)
class ModelRow:
    """A model as the API shows it."""

    repo_id: str
    hub_id: str | None
    publisher: str | None
    architectures: list[str]
    model_type: str | None
    parameters: int | None
    created_at: datetime | None
    first_seen_public_at: datetime | None
    release_at: datetime | None
    release_at_source: str | None
    release_precision: str
    release_confidence: str | None
    release_source_text: str | None
    """The chosen source's own words: a URL or citation for a fact, how LaunchGap saw it otherwise."""
    release_notes: str | None
    is_derivative: bool
    new_architecture: bool
    family: str | None
    visibility: str
    gated: str | None
    downloads: int
    likes: int
    derivatives: int
    demand_read_at: datetime | None
    """When downloads and likes were read from the Hub; None: never (the figures are unknown, not 0)."""
    publisher_discovered: bool = False
    """Its publisher is watched because the Hub firehose discovered it (docs/hub.md, "The firehose")."""


# A publisher watched only because the firehose discovered it (``publishers.watched_because``).
_DISCOVERED = and_(
    Publisher.watched.is_(True),
    Publisher.discovered_at.is_not(None),
    Publisher.listed.is_(False),
    Publisher.named.is_(False),
)


def _model_query(filters: ModelFilters) -> Select[Any]:
    query = select(Model, Publisher.hub_org, _DISCOVERED).outerjoin(
        Publisher, Model.publisher_id == Publisher.id
    )
    if filters.publisher is not None:
        query = query.where(Publisher.hub_org == filters.publisher)
    if filters.since is not None:
        query = query.where(Model.release_at >= filters.since)
    if filters.until is not None:
        query = query.where(Model.release_at < filters.until)
    if filters.new_architecture is not None:
        query = query.where(Model.new_architecture.is_(filters.new_architecture))
    if not filters.include_derivatives:
        query = query.where(Model.is_derivative.is_(False))
    if filters.min_downloads is not None:
        query = query.where(Model.downloads >= filters.min_downloads)
    for term in filters.search:
        query = query.where(func.lower(Model.repo_id).like(f"%{_like_literal(term.lower())}%", escape="\\"))
    return query


def _like_literal(text: str) -> str:
    """``text`` as a LIKE pattern matching itself: ``%`` and ``_`` (and the escape character) are escaped,
    so "a_b" finds "a_b" and not "axb", on SQLite and PostgreSQL alike (both honour ``ESCAPE '\\'``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _model_row(model: Model, org: str | None, discovered: bool | None = False) -> ModelRow:
    return ModelRow(
        repo_id=model.repo_id,
        hub_id=model.hub_id,
        publisher=org,
        architectures=list(model.architectures or []),
        model_type=model.model_type,
        parameters=model.parameters,
        created_at=model.created_at,
        first_seen_public_at=model.first_seen_public_at,
        release_at=model.release_at,
        release_at_source=model.release_at_source,
        release_precision=model.release_at_precision or "second",
        release_confidence=model.release_confidence,
        release_source_text=model.release_source_detail,
        release_notes=(model.release_times or {}).get(model.release_at_source or "", {}).get("notes"),
        is_derivative=model.is_derivative,
        new_architecture=model.new_architecture,
        family=model.family,
        visibility=model.visibility,
        gated=model.gated,
        downloads=model.downloads or 0,
        likes=model.likes or 0,
        derivatives=model.derivatives or 0,
        demand_read_at=model.demand_read_at,
        publisher_discovered=bool(discovered),
    )


def count_models(session: Session, filters: ModelFilters) -> int:
    """How many models match ``filters``."""
    return session.scalar(select(func.count()).select_from(_model_query(filters).subquery())) or 0


def list_models(
    session: Session, filters: ModelFilters, *, offset: int = 0, limit: int | None = None
) -> list[ModelRow]:
    """The matching models in ``filters``' order, a page of them (``limit``) or all (CSV export)."""
    ordered = _model_query(filters).order_by(*MODEL_SORTS[filters.sort]).offset(offset)
    if limit is not None:
        ordered = ordered.limit(limit)
    return [_model_row(m, org, discovered) for m, org, discovered in session.execute(ordered)]


@dataclass
class Ladder:
    runtime: str | None
    vendor: str | None
    sku: str | None
    rungs: list[GapRow] = field(default_factory=list)
    """Its gap rows, one per stage with a source (a rung shows ``RUNG_FIELDS``)."""


@dataclass(frozen=True)
class ModelDetail:
    model: ModelRow
    ladders: list[Ladder]
    release_times: list[ReleaseTime] = field(default_factory=list)
    """Every release time a source gave, best-ranked (the chosen one) first."""
    release_conflicts: list[ReleaseConflict] = field(default_factory=list)


def get_model(session: Session, repo_id: str) -> ModelDetail | None:
    """A model with its support ladder per runtime, vendor view and SKU (each stage with a source)."""
    found = session.execute(
        select(Model, Publisher.hub_org, _DISCOVERED)
        .outerjoin(Publisher, Model.publisher_id == Publisher.id)
        .where(Model.repo_id == repo_id)
    ).first()
    if found is None:
        return None
    model, org, discovered = found
    ladders: dict[tuple[str | None, str | None, str | None], Ladder] = {}
    if model.release_at is not None and not model.is_derivative:
        for stage in Stage:
            rows = query_gaps(session, GapFilters(stage=stage, repo_id=repo_id, rows=tuple(RowKind)))
            for row in rows:
                key = (row.runtime, row.vendor if row.runtime is None or row.sku else None, row.sku)
                ladder = ladders.setdefault(key, Ladder(runtime=key[0], vendor=key[1], sku=key[2]))
                ladder.rungs.append(row)
    ordered = sorted(
        ladders.values(),
        key=lambda lad: (lad.runtime is None, lad.runtime or "", lad.vendor or "", lad.sku or ""),
    )
    times = model.release_times or {}
    return ModelDetail(
        model=_model_row(model, org, discovered),
        ladders=ordered,
        release_times=[ReleaseTime.from_record(s, times[s]) for s in ReleaseSource if s in times],
        release_conflicts=release_conflicts(times),
    )


@dataclass(frozen=True)
class RuntimeInfo:
    """A catalog runtime with its scan health."""

    name: str
    display_name: str
    repo_url: str
    default_branch: str
    vendors: list[str]
    hardware: list[str]
    signals: list[str]
    stages: list[str]
    last_checked_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    consecutive_errors: int
    healthy: bool
    support_keys: int
    notes: str
    audit: dict[str, Any] | None = None
    """The last scan's catalog audit (``AuditReport.as_json``), None before the first audited scan."""
    audit_findings: int | None = None
    audit_unexplained: int | None = None


def list_runtimes(session: Session) -> list[RuntimeInfo]:
    """Every catalog runtime, with its last scan and the number of keys it supports (three queries)."""
    states = {
        s.name: s for s in session.scalars(select(SourceState).where(SourceState.kind == "runtime_repo"))
    }
    counts = dict(
        session.execute(
            select(Runtime.name, func.count(func.distinct(SupportEvent.support_key_id)))
            .join(SupportEvent, SupportEvent.runtime_id == Runtime.id)
            .where(SupportEvent.event == "added", SupportEvent.retracted_at.is_(None))
            .group_by(Runtime.name)
        ).all()
    )
    result = []
    for name, spec in CATALOG.items():
        state = states.get(name)
        result.append(
            RuntimeInfo(
                name=name,
                display_name=spec.display_name,
                repo_url=spec.repo_url,
                default_branch=spec.default_branch,
                vendors=list(spec.vendors),
                hardware=list(spec.hardware),
                signals=[s.name for s in spec.signals],
                stages=[stage for stage in Stage if has_source_for(spec, stage)],
                last_checked_at=state.last_checked_at if state else None,
                last_success_at=state.last_success_at if state else None,
                last_error=state.last_error if state else None,
                consecutive_errors=state.consecutive_errors if state else 0,
                healthy=bool(state and state.last_success_at and not state.consecutive_errors),
                support_keys=int(counts.get(name, 0)),
                notes=spec.notes,
                audit=state.audit if state else None,
                audit_findings=state.audit.get("findings_total") if state and state.audit else None,
                audit_unexplained=state.audit.get("unexplained") if state and state.audit else None,
            )
        )
    return result


@dataclass(frozen=True)
class EventFilters:
    runtime: str | None = None
    vendor: str | None = None
    stage: str | None = None
    provenance: str | None = None
    since: datetime | None = None


def _event_query(filters: EventFilters) -> Select[Any]:
    query = (
        select(SupportEvent, Runtime.name, SupportKey.key_kind, SupportKey.key)
        .join(Runtime, SupportEvent.runtime_id == Runtime.id)
        .join(SupportKey, SupportEvent.support_key_id == SupportKey.id)
    )
    if filters.runtime is not None:
        query = query.where(Runtime.name == filters.runtime)
    if filters.vendor is not None:
        query = query.where(_counts_for_vendor(filters.vendor))
    if filters.stage is not None:
        query = query.where(SupportEvent.stage == filters.stage)
    if filters.provenance is not None:
        query = query.where(SupportEvent.provenance == filters.provenance)
    if filters.since is not None:
        query = query.where(SupportEvent.at >= filters.since)
    return query


def _counts_for_vendor(vendor: str) -> ColumnElement[bool]:
    """SQL for `event_vendors(...)` containing ``vendor``: a SKU event counts for the SKU's vendor, an event on
    a vendor branch (``amd/*``) for that branch's vendor, any other event for the runtime's own vendors."""
    skus = [sku for sku, owner in HARDWARE.items() if owner == vendor]
    own_runtimes = [name for name, spec in CATALOG.items() if vendor in spec.vendors]
    on_vendor_branch = [SupportEvent.branch.startswith(prefix) for prefix in VENDOR_BRANCHES]
    this_vendor_branch = [
        SupportEvent.branch.startswith(prefix) for prefix, owner in VENDOR_BRANCHES.items() if owner == vendor
    ]
    return or_(
        SupportEvent.sku.in_(skus),
        and_(SupportEvent.sku == "", or_(false(), *this_vendor_branch)),
        and_(SupportEvent.sku == "", Runtime.name.in_(own_runtimes), not_(or_(false(), *on_vendor_branch))),
    )


def _event_row(event: SupportEvent, runtime: str, kind: str, key: str) -> EventRow:
    return EventRow(
        id=event.id,
        runtime=runtime,
        key_kind=kind,
        key=key,
        stage=event.stage,
        event=event.event,
        at=event.at,
        author_at=event.author_at,
        commit=event.commit or None,
        tag=event.tag or None,
        branch=event.branch or None,
        sku=event.sku or None,
        signal=event.signal or None,
        pr_number=event.pr_number,
        is_prerelease=event.is_prerelease,
        evidence_url=event.evidence_url,
        provenance=event.provenance,
        confidence=event.confidence,
        retracted_at=event.retracted_at,
        recorded_at=event.recorded_at,
    )


def count_events(session: Session, filters: EventFilters) -> int:
    """How many support events match ``filters``."""
    query = _event_query(filters).with_only_columns(SupportEvent.id)
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def list_events(
    session: Session, filters: EventFilters, *, offset: int = 0, limit: int | None = None
) -> list[EventRow]:
    """Support events, newest first (by support time, then by id): a page of them, or all."""
    ordered = _event_query(filters).order_by(SupportEvent.at.desc(), SupportEvent.id.desc()).offset(offset)
    if limit is not None:
        ordered = ordered.limit(limit)
    return [_event_row(*row) for row in session.execute(ordered)]


def feed_events(session: Session, filters: EventFilters, *, limit: int) -> list[EventRow]:
    """The newest ``limit`` events for the Atom feed, one per runtime, stage, change, SKU and *normalised*
    key: docs pages spell one model several ways ("Cohere-Transcribe", "Cohere Transcribe") and a reader
    wants one entry per model. The newest event of a group stands for it; spellings are looked for among the
    newest ``FEED_WINDOW`` × ``limit`` events, so the feed never reads the whole table."""
    rows = list_events(session, filters, limit=limit * FEED_WINDOW)
    seen: set[tuple[str, str, str, str, str]] = set()
    kept: list[EventRow] = []
    for row in rows:
        group = (row.runtime, row.stage, row.event, row.sku or "", normalise_name(row.key))
        if group not in seen:
            seen.add(group)
            kept.append(row)
    return kept[:limit]


FEED_WINDOW = 5


__all__: Sequence[str] = [
    "EventFilters",
    "ModelFilters",
    "count_events",
    "count_models",
    "feed_events",
    "get_model",
    "list_events",
    "list_models",
    "list_runtimes",
]

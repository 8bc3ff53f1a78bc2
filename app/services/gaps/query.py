"""Reading materialised gap rows: the filters the API and the pages offer, applied in SQL."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Select, String, and_, case, false, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from app.domain.gap_row import GapRow
from app.domain.vocabulary import RowKind, Stage
from app.models import GapRecord
from app.services.gaps.record import READ_COLUMNS, TABLE, Identity, api_fields, from_record, utc
from app.services.runtimes.catalog_views import vendor_runtimes


@dataclass(frozen=True)
class GapFilters:
    """What ``/api/v1/gaps`` and the pages can ask for. ``rows`` picks runtime, vendor and/or SKU rows."""

    stage: str = Stage.MERGED
    runtime: str | None = None
    vendor: str | None = None
    sku: str | None = None
    status: str | None = None
    publisher: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    rows: tuple[str, ...] = (RowKind.RUNTIME,)
    repo_id: str | None = None
    family: str | None = None
    """A release family: its key, the repo id of its earliest member."""
    final_only: bool = False
    """Measure ``released`` gaps to the first final runtime release (rc, alpha, beta and dev ignored)."""
    families: tuple[str, ...] | None = None
    """Only these release families (the most used ones, ``app/services/releases/demand.py``); None: every family."""
    repo_ids: tuple[str, ...] | None = None
    """Only these releases (one page of the main page's matrix); None: every release."""
    key_is_new: bool | None = None
    """Only rows whose key is (or is not) new at the release (``novelty.py``); None: both."""


def implied_row_kinds(*, runtime: str | None, vendor: str | None, sku: str | None) -> tuple[RowKind, ...]:
    """The row kinds ``/api/v1/gaps`` lists when not told: a SKU's rows, a vendor's view and its SKUs, a
    runtime's rows and SKUs, or all three."""
    if sku is not None:
        return (RowKind.SKU,)
    if vendor is not None and runtime is None:
        return (RowKind.VENDOR, RowKind.SKU)
    if runtime is not None:
        return (RowKind.RUNTIME, RowKind.SKU)
    return tuple(RowKind)


_KIND_ORDER = case({RowKind.RUNTIME: 0, RowKind.VENDOR: 1}, value=TABLE.row_kind, else_=2)


def _where(filters: GapFilters) -> list:  # type: ignore[type-arg]
    """The SQL conditions for ``filters``, with the same meaning per row kind as the pages have always had:
    a runtime filter keeps the vendor views that runtime counts for; a vendor filter keeps that vendor's
    runtimes, its view and its SKUs; a SKU filter narrows the SKU rows."""
    vendors = vendor_runtimes(filters.stage)
    per_kind = []
    if RowKind.RUNTIME in filters.rows:
        cond = [TABLE.row_kind == RowKind.RUNTIME]
        if filters.runtime is not None:
            cond.append(TABLE.runtime == filters.runtime)
        if filters.vendor is not None:
            cond.append(TABLE.runtime.in_(vendors.get(filters.vendor, ())))
        per_kind.append(and_(*cond))
    if RowKind.VENDOR in filters.rows:
        cond = [TABLE.row_kind == RowKind.VENDOR]
        if filters.runtime is not None:
            cond.append(TABLE.vendor.in_([v for v, rs in vendors.items() if filters.runtime in rs]))
        if filters.vendor is not None:
            cond.append(TABLE.vendor == filters.vendor)
        per_kind.append(and_(*cond))
    if RowKind.SKU in filters.rows:
        cond = [TABLE.row_kind == RowKind.SKU]
        if filters.runtime is not None:
            cond.append(TABLE.runtime == filters.runtime)
        if filters.sku is not None:
            cond.append(TABLE.sku == filters.sku)
        elif filters.vendor is not None:
            cond.append(TABLE.vendor == filters.vendor)
        per_kind.append(and_(*cond))
    where = [TABLE.stage == filters.stage]
    if not _every_kind_unfiltered(filters):
        # Asked for every kind, the OR of the three conditions is always true, yet it let PostgreSQL choose
        # bitmap scans and sort every row of the stage (1.1 s at 2.5 million rows while statistics lagged a
        # large refresh); the stage alone matches the (stage, release_at) index (docs/operations.md).
        where.append(or_(*per_kind) if per_kind else false())
    # Vendor and SKU rows carry the vendor; runtime and SKU rows the runtime. When every requested kind
    # shares the equality, say it once at the top so the (stage, vendor|runtime, release_at) index is used.
    if filters.vendor is not None and filters.sku is None and RowKind.RUNTIME not in filters.rows:
        where.append(TABLE.vendor == filters.vendor)
    if filters.runtime is not None and RowKind.VENDOR not in filters.rows:
        where.append(TABLE.runtime == filters.runtime)
    if filters.status is not None:
        where.append((TABLE.final_status if filters.final_only else TABLE.status) == filters.status)
    if filters.publisher is not None:
        where.append(TABLE.publisher == filters.publisher)
    if filters.repo_id is not None:
        where.append(TABLE.repo_id == filters.repo_id)
    if filters.family is not None:
        where.append(TABLE.family == filters.family)
    if filters.families is not None:
        where.append(TABLE.family.in_(filters.families) if filters.families else false())
    if filters.repo_ids is not None:
        where.append(TABLE.repo_id.in_(filters.repo_ids) if filters.repo_ids else false())
    if filters.key_is_new is not None:
        where.append(TABLE.key_is_new.is_(filters.key_is_new))
    if filters.since is not None:
        where.append(TABLE.release_at >= filters.since)
    if filters.until is not None:
        where.append(TABLE.release_at < filters.until)
    return where


def _every_kind_unfiltered(filters: GapFilters) -> bool:
    """Every row kind is asked for and no filter narrows one kind apart: the kind needs no condition."""
    return (
        set(filters.rows) == set(RowKind)
        and filters.runtime is None
        and filters.vendor is None
        and (filters.sku is None)
    )


def _page_statement(filters: GapFilters, limit: int | None, offset: int) -> Select[Any]:
    statement = (
        select(*READ_COLUMNS)
        .where(*_where(filters))
        .order_by(TABLE.release_at.desc(), TABLE.repo_id, _KIND_ORDER, TABLE.runtime, TABLE.vendor, TABLE.sku)
        .offset(offset)
    )
    return statement if limit is None else statement.limit(limit)


def query_gaps(
    session: Session, filters: GapFilters, *, limit: int | None = None, offset: int = 0
) -> list[GapRow]:
    """Materialised gap rows matching ``filters``, newest release first, in one query (a page of them with
    ``limit``/``offset``)."""
    statement = _page_statement(filters, limit, offset)
    return [from_record(row, final_only=filters.final_only) for row in session.execute(statement).all()]


def query_gap_fields(
    session: Session, filters: GapFilters, *, limit: int | None = None, offset: int = 0
) -> list[dict[str, Any]]:
    """``query_gaps`` as the API's plain field values (``api_fields``), for a page serialised as it is read:
    the same rows in the same order, without building a ``GapRow`` and a response model per row."""
    statement = _page_statement(filters, limit, offset)
    return [api_fields(row, final_only=filters.final_only) for row in session.execute(statement).all()]


def query_gaps_among(
    session: Session, filters: GapFilters, identities: Iterable[Identity], *, now: datetime
) -> list[GapRow]:
    """The rows ``query_gaps(filters)`` would list that are among ``identities`` (the same conditions, so a
    watch's filter means exactly what the same ``/api/v1/gaps`` query means)."""
    wanted = set(identities)
    model_ids = sorted({key[0] for key in wanted})
    rows: list[GapRow] = []
    for start in range(0, len(model_ids), 500):
        statement = select(*READ_COLUMNS).where(
            *_where(filters), TABLE.model_id.in_(model_ids[start : start + 500])
        )
        for record in session.execute(statement).all():
            key = (record.model_id, record.stage, record.row_kind, record.runtime, record.vendor, record.sku)
            if key in wanted:
                rows.append(from_record(record, final_only=filters.final_only))
    return rows


class GapStatsRow(NamedTuple):
    """The part of a gap row statistics read (a plain tuple: tens of thousands are read per request)."""

    runtime: str | None
    vendor: str | None
    sku: str | None
    stage: str
    family: str
    repo_id: str
    release_at: datetime
    status: str
    gap_hours: float | None
    key_is_new: bool
    complete: bool


def gap_stats_rows(session: Session, filters: GapFilters) -> list[GapStatsRow]:
    """``query_gaps`` reduced to what statistics need, in one query and without building full rows: the
    statistics endpoints read every vendor or runtime row of a stage on each request."""
    statement = select(
        TABLE.runtime,
        TABLE.vendor,
        TABLE.sku,
        TABLE.stage,
        TABLE.family,
        TABLE.repo_id,
        type_coerce(TABLE.release_at, String),
        TABLE.final_status if filters.final_only else TABLE.status,
        TABLE.final_gap_hours if filters.final_only else TABLE.gap_hours,
        TABLE.key_is_new,
        TABLE.complete,
    ).where(*_where(filters))
    facts = []
    for runtime, vendor, sku, stage, family, repo_id, release, status, gap, new, complete in session.execute(
        statement
    ).all():
        release_at = utc(release)
        facts.append(
            GapStatsRow(
                runtime or None,
                vendor or None,
                sku or None,
                stage,
                family,
                repo_id,
                release_at,
                status,
                gap,
                new,
                complete,
            )
        )
    return facts


def gap_releases(session: Session, filters: GapFilters) -> list[str]:
    """The releases with rows matching ``filters``, in ``query_gaps``' order (newest release first): what a
    page of the matrix is cut from, without reading every row."""
    statement = (
        select(TABLE.repo_id, TABLE.release_at)
        .where(*_where(filters))
        .distinct()
        .order_by(TABLE.release_at.desc(), TABLE.repo_id)
    )
    return [repo_id for repo_id, _ in session.execute(statement)]


def gap_values(session: Session, filters: GapFilters, column: str) -> set[str]:
    """The distinct non-empty values of ``column`` (runtime, vendor, publisher …) among the matching rows."""
    statement = select(TABLE[column]).where(*_where(filters)).distinct()
    return {value for value in session.scalars(statement) if value}


def count_gaps(session: Session, filters: GapFilters) -> int:
    """How many materialised rows match ``filters`` (one query)."""
    return session.scalar(select(func.count()).select_from(GapRecord).where(*_where(filters))) or 0

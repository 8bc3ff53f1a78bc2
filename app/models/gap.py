from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeEngine

from app.db.base import Base, UTCDateTime
from app.domain.gap_row import GapField, gap_fields


def _sql_type(item: GapField) -> TypeEngine:  # type: ignore[type-arg]
    if issubclass(item.type, bool):
        return Boolean()
    if issubclass(item.type, int):
        return Integer()
    if issubclass(item.type, float):
        return Float()
    if issubclass(item.type, datetime):
        return UTCDateTime()
    if issubclass(item.type, str):
        return String(item.length) if item.length else Text()
    raise TypeError(f"gap field {item.name}: no column type for {item.type!r}")


def _column(item: GapField) -> Column:  # type: ignore[type-arg]
    if item.identity:
        return Column(item.name, _sql_type(item), nullable=False, default="")
    return Column(item.name, _sql_type(item), nullable=item.stored_nullable)


class GapRecord(Base):
    """A materialised launch gap: one (release, stage, runtime | vendor view | runtime SKU) cell.

    Recomputed by ``app.services.gaps.refresh.refresh_gaps`` for what changed after each scan, poll or
    import, so API reads are plain indexed queries. Nothing here depends on the clock: a pending row's gap
    runs to its source's ``observed_until``, stored with the row and shown "as of" that time, so a row
    changes only when the evidence or the coverage does, never because time passed. The columns are
    ``GapRow``'s fields (``app/domain/gap_row.py``) plus the row's id, its model and its kind.
    """

    __table__ = Table(
        "gap_rows",
        Base.metadata,
        Column("id", Integer, primary_key=True),
        Column("model_id", ForeignKey("models.id", ondelete="CASCADE"), nullable=False, index=True),
        # ``runtime``, ``vendor`` (a vendor view) or ``sku`` (a runtime's per-SKU row).
        Column("row_kind", String(8), nullable=False),
        *(_column(item) for item in gap_fields() if item.name != "model_id"),
        UniqueConstraint(
            "model_id", "stage", "row_kind", "runtime", "vendor", "sku", name="uq_gap_rows_identity"
        ),
        # The API's common filters: a vendor's rows, a runtime's rows, every row of one kind, newest first.
        Index("ix_gap_rows_stage_vendor_release", "stage", "vendor", "release_at"),
        Index("ix_gap_rows_stage_runtime_release", "stage", "runtime", "release_at"),
        Index("ix_gap_rows_stage_kind_release", "stage", "row_kind", "release_at"),
        # Unfiltered pages (every row kind of a stage, newest release first): the ORDER BY's leading column
        # comes from the index, so a page of 50 reads ~50 rows instead of sorting the whole stage.
        Index("ix_gap_rows_stage_release", "stage", "release_at"),
        # One release's rows (its page and /api/v1/models/{repo_id}).
        Index("ix_gap_rows_repo_stage", "repo_id", "stage"),
    )


class GapRefresh(Base):
    """One ``refresh_gaps`` run: the newest row's token is the version of everything answered from the gap
    rows (and the coverage, release facts, demand and version statements written before a refresh). An
    insert per refresh, never an update of a shared row: concurrent refreshes on PostgreSQL never wait for
    each other here. Old rows are pruned as new ones come."""

    __tablename__ = "gap_refreshes"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
    """Random: a refresh rolled back and another one taking its id still gives a new version."""

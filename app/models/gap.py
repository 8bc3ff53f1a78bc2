from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime


class GapRecord(Base):
    """A materialised launch gap: one (release, stage, runtime | vendor view | runtime SKU) cell.

    Recomputed by ``app.services.gaps.refresh_gaps`` for what changed after each scan, poll or import, so
    API reads are plain indexed queries. Nothing here depends on the clock: a pending row stores no gap, and
    readers compute its elapsed time from their own ``now``. Identity columns use '' for "not applicable"
    (a unique constraint treats NULLs as distinct, so NULLs would let duplicates in).
    """

    __tablename__ = "gap_rows"
    __table_args__ = (
        UniqueConstraint(
            "model_id", "stage", "row_kind", "runtime", "vendor", "sku", name="uq_gap_rows_identity"
        ),
        # The API's common filters: a vendor's rows, a runtime's rows, every row of one kind, newest first.
        Index("ix_gap_rows_stage_vendor_release", "stage", "vendor", "release_at"),
        Index("ix_gap_rows_stage_runtime_release", "stage", "runtime", "release_at"),
        Index("ix_gap_rows_stage_kind_release", "stage", "row_kind", "release_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(16))
    row_kind: Mapped[str] = mapped_column(String(8))
    """``runtime``, ``vendor`` (a vendor view) or ``sku`` (a runtime's per-SKU row)."""
    runtime: Mapped[str] = mapped_column(String(64), default="")
    vendor: Mapped[str] = mapped_column(String(16), default="")
    sku: Mapped[str] = mapped_column(String(64), default="")
    repo_id: Mapped[str] = mapped_column(String(300))
    publisher: Mapped[str | None] = mapped_column(String(200))
    family: Mapped[str] = mapped_column(String(300))
    key_kind: Mapped[str | None] = mapped_column(String(32))
    key: Mapped[str | None] = mapped_column(String(300))
    key_is_new: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))
    gap_hours: Mapped[float | None] = mapped_column(Float)
    """Null while pending: the elapsed time depends on when it is read."""
    confidence: Mapped[str] = mapped_column(String(8))
    release_at: Mapped[datetime] = mapped_column(UTCDateTime())
    release_precision: Mapped[str] = mapped_column(String(8))
    support_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    author_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    commit: Mapped[str | None] = mapped_column(String(64))
    tag: Mapped[str | None] = mapped_column(String(200))
    evidence_url: Mapped[str | None] = mapped_column(Text)
    via_runtime: Mapped[str | None] = mapped_column(String(64))

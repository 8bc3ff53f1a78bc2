from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime


class FirehoseItem(Base):
    """A Hub listing item the firehose has read but not classified yet.

    The Hub lists newest first, and a cycle classifies oldest first (a base before its fine-tunes), so the
    items of a pass wait here until the pass reaches its cursor; a pass cut short (a rate limit, a restart)
    resumes from its saved page without reading these pages again (app/services/hub/firehose.py)."""

    __tablename__ = "firehose_items"
    __table_args__ = (UniqueConstraint("listing", "hub_id"), Index("ix_firehose_items_created", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    listing: Mapped[str] = mapped_column(String(16))
    """``created`` or ``modified``: which listing read it."""
    hub_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    item: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The listing item as the Hub sent it (the fields the firehose asks for)."""


class DerivativeSighting(Base):
    """A derivative (fine-tune, quantisation, adapter, merge) of a stored release, seen by the firehose:
    counted on that release (``models.derivatives``), never stored as a model. Keyed by the derivative's
    Hub ``_id``, so reading it again never counts it twice."""

    __tablename__ = "derivative_sightings"

    hub_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    repo_id: Mapped[str] = mapped_column(String(300))
    base_model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"), index=True)
    """The release it is counted on (a derivative of a derivative counts on the first one's release)."""
    kind: Mapped[str] = mapped_column(String(16))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())

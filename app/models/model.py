from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime


class Model(Base):
    """A Hub model repository.

    Keyed by the Hub's stable ``_id`` (``hub_id``), which survives renames. A model imported from release
    facts before the Hub was polled has no ``hub_id`` yet: it is matched by ``repo_id`` and takes its
    ``hub_id`` when the Hub is first polled.
    """

    __tablename__ = "models"

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    repo_id: Mapped[str] = mapped_column(String(300), unique=True)
    publisher_id: Mapped[int | None] = mapped_column(ForeignKey("publishers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """The Hub's ``createdAt``: repo creation, often days before the repo turned public."""
    first_seen_public_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When LaunchGap first saw the repo public (webhook or poll)."""
    release_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    release_at_source: Mapped[str | None] = mapped_column(String(32))
    """``observed``, ``imported`` (by the operator), ``bundled`` (the facts shipped with LaunchGap) or
    ``created_at_estimate``: the best-ranked entry of ``release_times``."""
    release_at_precision: Mapped[str] = mapped_column(String(8), default="second")
    """``second`` or ``day`` (an imported date without a time)."""
    release_source_detail: Mapped[str | None] = mapped_column(Text)
    """Where an imported release time comes from (a URL or a citation)."""
    release_confidence: Mapped[str | None] = mapped_column(String(16))
    release_times: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """Every release time a source gave, by source (``observed``, ``imported``, ``bundled``,
    ``created_at_estimate``): ``{"at", "precision", "detail", "notes", "confidence"}``. The chosen one is
    copied to the ``release_*`` columns (app/services/releases/rules.py ranks them); the others stay so a
    disagreement between sources is listed, never hidden."""
    architectures: Mapped[list[str]] = mapped_column(JSON, default=list)
    model_type: Mapped[str | None] = mapped_column(String(100))
    parameters: Mapped[int | None] = mapped_column(BigInteger)
    gated: Mapped[str | None] = mapped_column(String(16))
    """``false``, ``auto`` or ``manual`` as the Hub says."""
    base_models: Mapped[list[str]] = mapped_column(JSON, default=list)
    """``base_model`` lineage (repo ids) read from the Hub's ``base_model:*`` tags."""
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    library_name: Mapped[str | None] = mapped_column(String(64))
    pipeline_tag: Mapped[str | None] = mapped_column(String(64))
    uses_remote_code: Mapped[bool] = mapped_column(Boolean, default=False)
    is_derivative: Mapped[bool] = mapped_column(Boolean, default=False)
    visibility: Mapped[str] = mapped_column(String(16), default="public")
    """``public`` or ``gone`` (deleted or made private again)."""
    gone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hub_extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    family: Mapped[str | None] = mapped_column(String(300))
    """Release family key: the repo id of the family's earliest member (None for derivatives)."""
    new_architecture: Mapped[bool] = mapped_column(Boolean, default=False)
    """True when this model's family is the first public release of its primary architecture."""
    new_model_type: Mapped[bool] = mapped_column(Boolean, default=False)
    """True when this model's family is the first public release of its ``model_type``."""
    derivative_reason: Mapped[str | None] = mapped_column(String(300))
    """Why the model was classified as it was (e.g. ``quantized of other/X``)."""
    release_conflict: Mapped[str | None] = mapped_column(Text)
    """An imported fact that disagrees with the Hub (architecture, model_type, or a release time earlier
    than the repo's creation); kept for a person to look at, never silently resolved."""
    downloads: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    """Demand: the Hub's recent-downloads figure (its ``downloads``, a rolling 30 days) when last read."""
    likes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    derivatives: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Demand: fine-tunes, quantisations and merges naming this model as their base (0 until counted)."""
    demand_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When ``downloads`` and ``likes`` were last read from the Hub; None: never read (unknown, not 0)."""

    __table_args__ = (
        Index("ix_models_release_at", "release_at"),
        Index("ix_models_model_type", "model_type"),
        Index("ix_models_family", "family"),
        Index("ix_models_downloads", "downloads"),
    )

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime


class SupportClaim(Base):
    """Support claimed by a person or a vendor announcement, with its URL.

    Kept apart from ``support_events`` (git- and docs-derived evidence) so a claim is always shown as a
    claim and never silently moves a gap computed from evidence. Posting the same claim twice (same model,
    runtime or vendor, stage, SKU and URL) is idempotent.
    """

    __tablename__ = "support_claims"
    __table_args__ = (
        UniqueConstraint(
            "model_id", "runtime", "vendor", "stage", "sku", "url", name="uq_support_claims_identity"
        ),
        Index("ix_support_claims_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"))
    runtime: Mapped[str] = mapped_column(String(64), default="")
    """Catalog runtime name, or '' when the claim is about a vendor only."""
    vendor: Mapped[str] = mapped_column(String(32), default="")
    stage: Mapped[str] = mapped_column(String(16))
    sku: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    """When support is claimed to have become available."""
    url: Mapped[str] = mapped_column(String(1000))
    note: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[str] = mapped_column(String(16), default="medium")
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

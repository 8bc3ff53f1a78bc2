from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.base import Base, UTCDateTime
from app.models.runtime import Runtime

# Columns that take part in the event's identity are NOT NULL with '' for "not applicable": a unique
# constraint treats NULLs as distinct on both SQLite and PostgreSQL, so NULLs would let duplicates in.
NOT_APPLICABLE = ""

# What makes two events the same event: re-processing a commit, tag or branch matches on these and inserts nothing.
EVENT_IDENTITY = (
    "runtime_id",
    "support_key_id",
    "stage",
    "event",
    "commit",
    "tag",
    "branch",
    "sku",
    "signal",
)


class SupportKey(Base):
    """What a runtime registers: an HF architecture, a model_type, a GGUF architecture, a docs model name,
    or a recipe repo id."""

    __tablename__ = "support_keys"
    __table_args__ = (UniqueConstraint("key_kind", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key_kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(300))


class SupportEvent(Base):
    """One dated piece of evidence that a runtime gained (or lost) support for a key at a stage.

    Re-processing the same commit, tag or branch never duplicates an event: the unique constraint covers
    (runtime, key, stage, event, commit, tag, branch, sku, signal) with '' for not-applicable parts.
    """

    __tablename__ = "support_events"
    __table_args__ = (
        UniqueConstraint(*EVENT_IDENTITY, name="uq_support_events_identity"),
        Index("ix_support_events_key_stage", "support_key_id", "stage"),
        Index("ix_support_events_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    runtime_id: Mapped[int] = mapped_column(ForeignKey("runtimes.id", ondelete="CASCADE"))
    support_key_id: Mapped[int] = mapped_column(ForeignKey("support_keys.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(16))
    """``branch``, ``merged``, ``released``, ``documented`` or ``verified``."""
    event: Mapped[str] = mapped_column(String(8))
    """``added`` or ``removed``."""
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    """Support time: committer time (when it landed on that ref) or tag time."""
    author_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    commit: Mapped[str] = mapped_column(String(64), default=NOT_APPLICABLE)
    tag: Mapped[str] = mapped_column(String(200), default=NOT_APPLICABLE)
    branch: Mapped[str] = mapped_column(String(200), default=NOT_APPLICABLE)
    sku: Mapped[str] = mapped_column(String(64), default=NOT_APPLICABLE)
    signal: Mapped[str] = mapped_column(String(64), default=NOT_APPLICABLE)
    pr_number: Mapped[int | None] = mapped_column(Integer)
    is_prerelease: Mapped[bool | None] = mapped_column()
    evidence_url: Mapped[str | None] = mapped_column(Text)
    provenance: Mapped[str] = mapped_column(String(16), default="git")
    """``git``, ``docs`` or ``claim``."""
    confidence: Mapped[str] = mapped_column(String(16), default="high")
    retracted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """Set when the commit vanished from the ref (a force-push); the event is kept, never deleted."""
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    runtime: Mapped[Runtime] = relationship(lazy="joined")
    support_key: Mapped[SupportKey] = relationship(lazy="joined")

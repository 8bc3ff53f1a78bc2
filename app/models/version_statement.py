from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime


class VersionStatement(Base):
    """A runtime version a source says a model needs, e.g. vLLM Recipes' ``model.min_vllm_version: 0.20.0``
    for ``deepseek-ai/DeepSeek-V4-Flash`` — a statement, not an event: it dates nothing and never changes a gap.

    Kept per source (the runtime it was read from) and replaced as a whole when that source is rescanned, so
    it always says what the source says at its newest scanned head (``commit``).
    """

    __tablename__ = "version_statements"
    __table_args__ = (UniqueConstraint("source", "key_kind", "key", "runtime"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    """The catalog runtime the statement was read from (``vllm-recipes``)."""
    key_kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(300))
    """The model as the source names it (a recipe names the repo id)."""
    runtime: Mapped[str] = mapped_column(String(64))
    """The runtime whose version is stated (``vllm``)."""
    min_version: Mapped[str] = mapped_column(String(64))
    commit: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)
    evidence_url: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime


class VersionStatement(Base):
    """What a source states about running a model on a runtime, e.g. vLLM Recipes'
    ``model.min_vllm_version: 0.20.0`` or ``model.docker_image.amd: vllm/vllm-openai-rocm:nightly`` for
    ``deepseek-ai/DeepSeek-V4-Pro`` — a statement, not an event: it dates nothing and never changes a gap.

    Minimum versions and images share one table: both are read from the same files at the same head,
    replaced as a whole when that source is rescanned (so it always says what the source says at its newest
    scanned head, ``commit``), exported and imported together, and read together by the version answer.
    ``kind`` says which one a row is; ``vendor`` and ``variant`` are '' for "every vendor" / "no build"
    (identity columns are NOT NULL '': docs/architecture.md, "Design decisions").
    """

    __tablename__ = "version_statements"
    __table_args__ = (
        # named: the convention's name (69 characters) is past PostgreSQL's 63
        UniqueConstraint(
            "source",
            "key_kind",
            "key",
            "runtime",
            "kind",
            "vendor",
            "variant",
            name="uq_version_statements_identity",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    """The catalog runtime the statement was read from (``vllm-recipes``)."""
    key_kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(300))
    """The model as the source names it (a recipe names the repo id)."""
    runtime: Mapped[str] = mapped_column(String(64))
    """The runtime the statement is about (``vllm``)."""
    kind: Mapped[str] = mapped_column(String(16), default="min_version")
    """``StatementKind``: ``min_version`` or ``image``."""
    vendor: Mapped[str] = mapped_column(String(16), default="")
    """The vendor slug the statement is for ('' : every vendor)."""
    variant: Mapped[str] = mapped_column(String(32), default="")
    """A build named beside the vendor (``cu129``; '' : none)."""
    value: Mapped[str] = mapped_column(String(300))
    """The version (``0.20.0``) or the image (``vllm/vllm-openai-rocm:nightly``)."""
    commit: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)
    evidence_url: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime


class SourceCoverage(Base):
    """How far one runtime's source is known at one stage: written by each successful scan.

    A (runtime, stage) without a row, or with ``observed`` false, has never been observed: its cells are
    unknown, never waiting for support (a missing source is not a pending gap). ``observed_until`` is the instant the evidence is complete up to: the
    fetch time for a repository LaunchGap fetched from its URL, the newest committer time among the refs
    read for a local copy. It only moves forward (an older local copy scanned later knows less, not more).
    The coverage start is not stored: it is declared in the catalog (``Signal.coverage_start``).
    """

    __tablename__ = "source_coverage"
    __table_args__ = (UniqueConstraint("runtime", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    runtime: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(16))
    observed: Mapped[bool] = mapped_column(Boolean, default=False)
    observed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    copy: Mapped[str] = mapped_column(String(8))
    """``fetched`` (LaunchGap fetched the repository from its URL) or ``local`` (a copy given as a path)."""
    source: Mapped[str] = mapped_column(Text)
    """The URL or path the scan read."""
    reason: Mapped[str | None] = mapped_column(Text)
    """Why the stage is not observed (e.g. the local copy has no release tags), else None."""
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

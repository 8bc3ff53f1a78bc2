from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime


class SourceState(Base):
    """Poll state of one source (a Hub publisher, a runtime repository …), written on every attempt.

    ``lease_owner``/``lease_expires_at`` let several processes share one PostgreSQL: a worker only works on a
    source after winning its lease with a conditional UPDATE (see app/services/operations/source_state.py).
    """

    __tablename__ = "source_states"
    __table_args__ = (UniqueConstraint("kind", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    """``hub_publisher`` or ``runtime_repo``."""
    name: Mapped[str] = mapped_column(String(200))
    cursor: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    etag: Mapped[str | None] = mapped_column(String(200))
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consecutive_errors: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    audit: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """A runtime's last catalog audit (``AuditReport.as_json``): findings with reasons, era spans."""

from __future__ import annotations

from sqlalchemy import Boolean, String, false
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base


class Publisher(Base):
    """A Hugging Face org that releases original models (see app/data/publishers.csv)."""

    __tablename__ = "publishers"

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_org: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(8))
    confidence: Mapped[str | None] = mapped_column(String(16))
    watched: Mapped[bool] = mapped_column(Boolean, default=True)
    """Its original models are releases (families, new-architecture flags, gaps)."""
    named: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Named by an operator (``watch hub --org`` or ``LAUNCHGAP_HUB_ORGS``): watched even when the
    publishers file does not list it."""

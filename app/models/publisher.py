from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, false
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime


class Publisher(Base):
    """A Hugging Face org that releases original models (see app/data/publishers.csv).

    Watched because the publishers file lists it, an operator named it, or the Hub firehose discovered it
    (its first release carried a new architecture or model type; docs/hub.md, "The firehose")."""

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
    listed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Listed by the publishers file at the last sync."""
    discovered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When the firehose made it a publisher: a release of it carried a new architecture or model type."""
    discovered_release: Mapped[str | None] = mapped_column(String(300))
    """The repo id of the release that brought it in."""
    discovered_reason: Mapped[str | None] = mapped_column(String(300))
    """Why that release counted (e.g. ``new architecture FooForCausalLM``)."""
    unwatched_by_operator: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """An operator un-watched it (``PATCH /api/v1/publishers/{name}``): neither the file, a name nor the
    firehose watches it again until an operator says so."""

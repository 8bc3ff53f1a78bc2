from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime


class WebhookDelivery(Base):
    """One Hub webhook delivery, kept so a replayed or duplicated delivery is recognised.

    The Hub sends no delivery id, so ``dedupe_key`` hashes what identifies an event: webhook id, scope,
    action, repo id, head sha, updated config and moved-to name.
    """

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(64), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    scope: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    repo_hub_id: Mapped[str | None] = mapped_column(String(64))
    repo_name: Mapped[str | None] = mapped_column(String(300))
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(Text)
    """What processing did (``refreshed``, ``gone``, ``ignored: …``) or the error it met."""

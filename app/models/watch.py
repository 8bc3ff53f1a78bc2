"""Watches (a URL LaunchGap calls when a watched cell gains support) and their outbound delivery outbox.

Named apart from ``webhook_deliveries``, which records the Hub's *inbound* webhooks.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime


class Watch(Base):
    """A receiver URL and a filter over gap rows, owned by the API token that created it.

    The filter columns are the query parameters of ``GET /api/v1/gaps`` (null: not given); a watch is sent
    the rows that query would list when they gain support.
    """

    __tablename__ = "watches"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(200))
    """The HMAC key: kept in clear because every delivery is signed with it; never returned by the API."""
    stage: Mapped[str] = mapped_column(String(16))
    repo_id: Mapped[str | None] = mapped_column(String(300))
    publisher: Mapped[str | None] = mapped_column(String(200))
    vendor: Mapped[str | None] = mapped_column(String(16))
    runtime: Mapped[str | None] = mapped_column(String(64))
    sku: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WatchDelivery(Base):
    """One outbound call owed to a watch: written in the transaction that changed the gap row, sent later.

    ``body`` is the exact JSON sent (and signed) on every attempt. A sender owns a delivery while its claim
    (``claimed_by`` until ``claim_expires_at``) lasts; a claim left by a process that died expires and the
    delivery is sent again by another.
    """

    __tablename__ = "watch_deliveries"
    __table_args__ = (
        # One delivery per watch for one piece of support (gap identity, support time, commit): a refresh
        # that runs twice, or in two processes at once, owes the receiver nothing more.
        UniqueConstraint("watch_id", "dedupe_key", name="uq_watch_deliveries_watch_dedupe"),
        Index("ix_watch_deliveries_state_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(36), unique=True)
    """The public id (a UUID), also in the payload, so a receiver can ignore a repeated delivery."""
    watch_id: Mapped[int] = mapped_column(ForeignKey("watches.id", ondelete="CASCADE"), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    """A ``DeliveryState`` (app/domain/vocabulary.py)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claim_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WatchDeliveryAttempt(Base):
    """One attempt to send a delivery, successful or not: the delivery log."""

    __tablename__ = "watch_delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_pk: Mapped[int] = mapped_column(
        ForeignKey("watch_deliveries.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_ms: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))
    """An ``AttemptOutcome`` (app/domain/vocabulary.py)."""
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    sender: Mapped[str] = mapped_column(String(100))

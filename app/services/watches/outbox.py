"""The outbox: deliveries a gap refresh owes to watches, written in the refresh's own transaction.

The caller passes the identities a refresh reported as having gained support and commits with the rest of
its work, so a change and the deliveries it causes are stored together or not at all: a restart loses
neither. The body is fixed here, so every attempt sends (and signs) the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.upsert import insert_ignoring_conflicts
from app.domain.gap_row import GapRow
from app.domain.vocabulary import DeliveryState
from app.models import ApiToken, Model, Publisher, Watch, WatchDelivery
from app.schemas.gaps import GapOut
from app.services.gaps.query import query_gaps_among
from app.services.gaps.record import Identity, row_kind
from app.services.watches.manage import WatchFilter


def dedupe_key(row: GapRow) -> str:
    """What makes two deliveries of one watch the same: the cell and the support it gained."""
    support = row.support_at.isoformat() if row.support_at else ""
    parts = (row.model_id, row.stage, row_kind(row), row.runtime, row.vendor, row.sku, support, row.commit)
    return hashlib.sha256("\x1f".join("" if p is None else str(p) for p in parts).encode()).hexdigest()


def payload(watch_id: int, delivery_id: str, row: GapRow) -> str:
    """The JSON body: the watch, the delivery and the gap row exactly as ``/api/v1/gaps`` shows it."""
    gap = GapOut.model_validate(row, from_attributes=True).model_dump(mode="json")
    return json.dumps(
        {"watch_id": watch_id, "delivery_id": delivery_id, "gap": gap}, separators=(",", ":"), sort_keys=True
    )


def first_poll_models(session: Session, polled_before: set[str]) -> set[int]:
    """Models of publishers whose Hub org had no successful poll before this cycle: their cells are history
    (a publisher's first poll lists its whole past, which must not flood watches)."""
    statement = select(Model.id).join(Publisher, Model.publisher_id == Publisher.id)
    if polled_before:
        statement = statement.where(Publisher.hub_org.not_in(sorted(polled_before)))
    return set(session.scalars(statement))


def enqueue_deliveries(session: Session, gained: Iterable[Identity], *, now: datetime) -> int:
    """Write one pending delivery per (watch, row) for every watch whose filter lists a row in ``gained``;
    returns how many were new. Idempotent: the same support is never owed twice to one watch."""
    identities = set(gained)
    if not identities:
        return 0
    # Watches of a revoked token are kept (listed to nobody, deleted with the token) but owed nothing.
    watches = session.execute(
        select(Watch.id, Watch.stage, Watch.repo_id, Watch.publisher, Watch.vendor, Watch.runtime, Watch.sku)
        .join(ApiToken, ApiToken.id == Watch.token_id)
        .where(ApiToken.revoked_at.is_(None))
        .order_by(Watch.id)
    ).all()
    rows_by_filter: dict[WatchFilter, list[GapRow]] = {}
    new: list[dict[str, object]] = []
    for watch_id, *parts in watches:
        watch_filter = WatchFilter(*parts)
        if watch_filter not in rows_by_filter:  # watches with the same filter share one query
            rows_by_filter[watch_filter] = query_gaps_among(
                session, watch_filter.gap_filters(), identities, now=now
            )
        for row in rows_by_filter[watch_filter]:
            delivery_id = str(uuid.uuid4())
            new.append(
                {
                    "delivery_id": delivery_id,
                    "watch_id": watch_id,
                    "dedupe_key": dedupe_key(row),
                    "body": payload(watch_id, delivery_id, row),
                    "state": DeliveryState.PENDING,
                    "created_at": now,
                    "next_attempt_at": now,
                    "attempts": 0,
                }
            )
    inserted = 0
    for start in range(0, len(new), 500):
        inserted += insert_ignoring_conflicts(
            session, WatchDelivery.__table__, new[start : start + 500], ["watch_id", "dedupe_key"]
        )  # type: ignore[arg-type]
    return inserted

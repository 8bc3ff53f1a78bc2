"""The database-backed gauges of /metrics, read when scraped (shared state: the same from every process)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.vocabulary import DeliveryState
from app.metrics import GAP_ROWS, REGISTRY, WATCH_DELIVERIES
from app.models import GapRecord, WatchDelivery


def read_database_gauges(session: Session) -> None:
    """Set the gap-row and outbox gauges from two GROUP BY queries."""
    counts = session.execute(
        select(GapRecord.stage, GapRecord.status, func.count()).group_by(GapRecord.stage, GapRecord.status)
    ).all()
    GAP_ROWS.clear()  # a status no longer present must not keep its last count
    for stage, status, count in counts:
        GAP_ROWS.labels(stage=stage, status=status).set(count)
    states = dict(
        session.execute(select(WatchDelivery.state, func.count()).group_by(WatchDelivery.state)).all()
    )
    for state in DeliveryState:
        WATCH_DELIVERIES.labels(state=state).set(states.get(state, 0))


def exposition(session: Session) -> tuple[bytes, str]:
    """The metrics in Prometheus text format, and its content type."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    read_database_gauges(session)
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST

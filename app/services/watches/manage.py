"""Create, list and delete watches, and read their delivery log. Every read is scoped to one API token."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.vocabulary import Stage
from app.models import Watch, WatchDelivery, WatchDeliveryAttempt
from app.services.gaps.query import GapFilters, implied_row_kinds

# The guard alone: the HTTP client (httpx) is the sender's, not every gap refresh's.
from app.sources.outbound.guard import RefusedTarget, Resolver, resolve_target, system_resolver
from app.sources.runtimes.catalog import CATALOG, HARDWARE

__all__ = [
    "RefusedTarget", "Watch", "WatchFilter", "WatchFilterError", "count_deliveries", "create_watch", "delete_watch", "list_deliveries",
    "list_watches", "owned_watch",
]  # fmt: skip


class WatchFilterError(ValueError):
    """A filter naming a runtime or SKU the catalog does not know (it would never match anything)."""


@dataclass(frozen=True)
class WatchFilter:
    """The ``GET /api/v1/gaps`` query a watch stands for (None: not given; the stage defaults as there)."""

    stage: str = Stage.MERGED
    repo_id: str | None = None
    publisher: str | None = None
    vendor: str | None = None
    runtime: str | None = None
    sku: str | None = None

    def check(self) -> None:
        """``WatchFilterError`` for a runtime or SKU the catalog does not know, as ``/api/v1/gaps`` refuses."""
        if self.runtime is not None and self.runtime not in CATALOG:
            raise WatchFilterError(f"unknown runtime {self.runtime!r}; known: {', '.join(sorted(CATALOG))}")
        if self.sku is not None and self.sku not in HARDWARE:
            raise WatchFilterError(f"unknown sku {self.sku!r}; known: {', '.join(sorted(HARDWARE))}")

    def gap_filters(self) -> GapFilters:
        """The same filters ``/api/v1/gaps`` builds from these query parameters."""
        return GapFilters(
            stage=self.stage,
            runtime=self.runtime,
            vendor=self.vendor,
            sku=self.sku,
            publisher=self.publisher,
            repo_id=self.repo_id,
            rows=implied_row_kinds(runtime=self.runtime, vendor=self.vendor, sku=self.sku),
        )

    @classmethod
    def of(cls, watch: Watch) -> WatchFilter:
        return cls(
            stage=watch.stage,
            repo_id=watch.repo_id,
            publisher=watch.publisher,
            vendor=watch.vendor,
            runtime=watch.runtime,
            sku=watch.sku,
        )


def create_watch(
    session: Session,
    *,
    token_id: int,
    url: str,
    secret: str,
    watch_filter: WatchFilter,
    now: datetime,
    allow_private: bool,
    resolver: Resolver = system_resolver,
) -> Watch:
    """A new watch owned by ``token_id``; ``WatchFilterError`` for a bad filter, ``RefusedTarget`` when the
    URL is not one LaunchGap will call."""
    watch_filter.check()
    target = resolve_target(url, allow_private=allow_private, resolver=resolver)
    watch = Watch(
        token_id=token_id,
        url=target.url,
        secret=secret,
        stage=watch_filter.stage,
        repo_id=watch_filter.repo_id,
        publisher=watch_filter.publisher,
        vendor=watch_filter.vendor,
        runtime=watch_filter.runtime,
        sku=watch_filter.sku,
        created_at=now,
    )
    session.add(watch)
    session.flush()
    return watch


def list_watches(session: Session, token_id: int) -> list[Watch]:
    """The token's watches, oldest first."""
    return list(session.scalars(select(Watch).where(Watch.token_id == token_id).order_by(Watch.id)))


def owned_watch(session: Session, token_id: int, watch_id: int) -> Watch | None:
    """The watch, if it exists and belongs to the token (another token's watch is as good as absent)."""
    watch = session.get(Watch, watch_id)
    return watch if watch is not None and watch.token_id == token_id else None


def delete_watch(session: Session, watch: Watch) -> None:
    """Delete the watch with its deliveries (pending ones are never sent) and their log."""
    session.delete(watch)
    session.flush()


def count_deliveries(session: Session, watch_id: int) -> int:
    statement = select(func.count()).select_from(WatchDelivery).where(WatchDelivery.watch_id == watch_id)
    return session.scalar(statement) or 0


def list_deliveries(
    session: Session, watch_id: int, *, limit: int | None, offset: int
) -> list[tuple[WatchDelivery, Sequence[WatchDeliveryAttempt]]]:
    """A page of the watch's deliveries, newest first, each with its attempts in order."""
    statement = (
        select(WatchDelivery)
        .where(WatchDelivery.watch_id == watch_id)
        .order_by(WatchDelivery.created_at.desc(), WatchDelivery.id.desc())
        .offset(offset)
    )
    if limit is not None:
        statement = statement.limit(limit)
    deliveries = list(session.scalars(statement))
    attempts: dict[int, list[WatchDeliveryAttempt]] = {d.id: [] for d in deliveries}
    if deliveries:
        for attempt in session.scalars(
            select(WatchDeliveryAttempt)
            .where(WatchDeliveryAttempt.delivery_pk.in_(list(attempts)))
            .order_by(WatchDeliveryAttempt.number, WatchDeliveryAttempt.id)
        ):
            attempts[attempt.delivery_pk].append(attempt)
    return [(delivery, attempts[delivery.id]) for delivery in deliveries]

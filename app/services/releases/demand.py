"""How much each release is used: demand per release family, and the most used families.

A family's demand is its members' downloads summed (Base, Instruct and FP8 repos of one release are one
release to its users); it counts as read when any member's figures were read from the Hub
(``demand_read_at``), so "never read" stays apart from "0 downloads". Statistics weighted by downloads and
the pages limited to the most used releases read it from here (docs/api.md, "Demand").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from app.models import DerivativeSighting, Model, Publisher


@dataclass(frozen=True)
class FamilyDemand:
    """How much one release family is used: its members' downloads summed, and whether any was read."""

    downloads: int
    read: bool


def _family_totals(publisher: str | None) -> Select[tuple[str, int, int]]:
    query = select(
        Model.family,
        func.coalesce(func.sum(Model.downloads), 0).label("downloads"),
        func.count(Model.demand_read_at).label("read"),
    ).where(Model.family.is_not(None), Model.is_derivative.is_(False))
    if publisher is not None:
        query = query.join(Publisher, Model.publisher_id == Publisher.id).where(
            Publisher.hub_org == publisher
        )
    return query.group_by(Model.family)


def family_demand(session: Session, *, publisher: str | None = None) -> dict[str, FamilyDemand]:
    """Every release family's demand, by family key (one query)."""
    return {
        family: FamilyDemand(int(downloads), read > 0)
        for family, downloads, read in session.execute(_family_totals(publisher))
    }


def top_families(session: Session, n: int, *, publisher: str | None = None) -> list[str]:
    """The ``n`` most downloaded release families whose demand was read, most downloaded first (ties by
    family key, so the choice is stable)."""
    totals = _family_totals(publisher).subquery()
    query = (
        select(totals.c.family)
        .where(totals.c.read > 0)
        .order_by(totals.c.downloads.desc(), totals.c.family)
        .limit(n)
    )
    return list(session.scalars(query))


def count_derivatives(session: Session, model_ids: Iterable[int]) -> None:
    """Set ``models.derivatives`` of ``model_ids`` to the derivatives of each the Hub firehose has seen
    (``derivative_sightings``, one per derivative's ``_id``, so a repo read twice counts once). The caller
    commits."""
    counted = (
        select(func.count())
        .where(DerivativeSighting.base_model_id == Model.id)
        .correlate(Model)
        .scalar_subquery()
    )
    ids = sorted(set(model_ids))
    for start in range(0, len(ids), 400):
        # One statement per 400 bases (the count correlated to each row), not one per base.
        chunk = ids[start : start + 400]
        session.execute(update(Model).where(Model.id.in_(chunk)).values(derivatives=counted))

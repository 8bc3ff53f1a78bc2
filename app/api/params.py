"""Query parameters several routes share, checked once: catalog names, time zones, gap filters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import HTTPException, Query
from sqlalchemy.orm import Session

from app.schemas.common import UtcTime
from app.services.gaps.query import GapFilters, implied_row_kinds
from app.services.releases.demand import top_families
from app.services.runtimes.catalog_views import known_sku, runtime_names, sku_names

SinceQuery = Annotated[UtcTime | None, Query(description="Releases at or after (ISO-8601).")]
UntilQuery = Annotated[UtcTime | None, Query(description="Releases before (ISO-8601).")]
"""The release-time window the statistics and the answers take (a time without a zone is a 422)."""


def check_runtime(runtime: str | None) -> None:
    """422 for a runtime the catalog does not know."""
    known = runtime_names()
    if runtime is not None and runtime not in known:
        raise HTTPException(422, f"unknown runtime {runtime!r}; known: {', '.join(known)}")


def check_sku(sku: str | None) -> str | None:
    """The catalog's spelling of a SKU asked for in any case or count (``h200``, ``rtx_5090_2x``); 422 for
    one the catalog does not know."""
    if sku is None:
        return None
    spelled = known_sku(sku)
    if spelled is None:
        raise HTTPException(422, f"unknown sku {sku!r}; known: {', '.join(sku_names())}")
    return spelled


def check_time_zones(*values: datetime | None) -> None:
    """422 for a time without a zone: the API never guesses one."""
    for value in values:
        if value is not None and value.tzinfo is None:
            raise HTTPException(422, "since/until need a time zone (e.g. 2025-01-01T00:00:00Z)")


def gap_filters(*, rows: Sequence[str] | None = None, **fields: Any) -> GapFilters:
    """``GapFilters`` from query parameters (``fields`` are its own: stage, runtime, vendor, sku, status,
    publisher, since, until), checked; without ``rows``, the row kinds the other filters imply."""
    runtime, vendor, sku = fields.get("runtime"), fields.get("vendor"), fields.get("sku")
    if sku is not None:
        # one chip, one spelling: ``h200`` and ``rtx_5090_2x`` ask for the catalog's H200 and rtx_5090
        sku = fields["sku"] = check_sku(sku)
    check_runtime(runtime)
    check_time_zones(fields.get("since"), fields.get("until"))
    kinds = tuple(dict.fromkeys(rows)) if rows else implied_row_kinds(runtime=runtime, vendor=vendor, sku=sku)
    return GapFilters(rows=kinds, **fields)


TopQuery = Annotated[
    int | None,
    Query(
        ge=1,
        le=1000,
        description="Only the N most downloaded release families (each family's members summed; families "
        "whose downloads were never read are left out).",
    ),
]


def most_used(session: Session, top: int | None, publisher: str | None = None) -> tuple[str, ...] | None:
    """The release families a ``top=N`` parameter keeps (None: no limit)."""
    return None if top is None else tuple(top_families(session, top, publisher=publisher))

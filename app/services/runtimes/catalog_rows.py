"""Keeps the catalog's rows (vendors, SKUs, runtimes, runtime↔vendor links) in step with the code catalog."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.upsert import insert_ignoring_conflicts
from app.domain.vocabulary import VENDOR_LABELS
from app.models.runtime import HardwareSku, Runtime, RuntimeVendor, Vendor
from app.sources.runtimes.catalog import CATALOG, HARDWARE


def sync_catalog(session: Session) -> None:
    """Idempotently upsert Vendor, HardwareSku, Runtime and RuntimeVendor rows from the catalog.

    Safe to run at every start and from several processes: inserts ignore conflicts, then the rows are
    updated in place (display names, URLs) and runtime↔vendor links follow the catalog exactly.
    The caller commits.
    """
    insert_ignoring_conflicts(
        session,
        Vendor.__table__,
        [{"slug": s, "name": n} for s, n in VENDOR_LABELS.items()],
        ["slug"],  # type: ignore[arg-type]
    )
    vendors = {v.slug: v for v in session.execute(select(Vendor)).scalars()}
    for slug, name in VENDOR_LABELS.items():
        vendors[slug].name = name
    insert_ignoring_conflicts(
        session,
        HardwareSku.__table__,  # type: ignore[arg-type]
        [{"name": sku, "vendor_id": vendors[slug].id} for sku, slug in HARDWARE.items()],
        ["name"],
    )
    for sku in session.execute(select(HardwareSku)).scalars():
        if sku.name in HARDWARE:
            sku.vendor_id = vendors[HARDWARE[sku.name]].id
    insert_ignoring_conflicts(
        session,
        Runtime.__table__,  # type: ignore[arg-type]
        [
            {
                "name": s.name,
                "display_name": s.display_name,
                "repo_url": s.repo_url,
                "default_branch": s.default_branch,
            }
            for s in CATALOG.values()
        ],
        ["name"],
    )
    runtimes = {r.name: r for r in session.execute(select(Runtime)).scalars()}
    links: list[dict[str, int]] = []
    for spec in CATALOG.values():
        runtime = runtimes[spec.name]
        runtime.display_name = spec.display_name
        runtime.repo_url = spec.repo_url
        runtime.default_branch = spec.default_branch
        links.extend({"runtime_id": runtime.id, "vendor_id": vendors[v].id} for v in spec.vendors)
    session.flush()
    insert_ignoring_conflicts(session, RuntimeVendor.__table__, links, ["runtime_id", "vendor_id"])  # type: ignore[arg-type]
    wanted = {(link["runtime_id"], link["vendor_id"]) for link in links}
    catalog_ids = {runtimes[name].id for name in CATALOG}
    for link in session.execute(select(RuntimeVendor)).scalars():
        if link.runtime_id in catalog_ids and (link.runtime_id, link.vendor_id) not in wanted:
            session.delete(link)
    session.flush()

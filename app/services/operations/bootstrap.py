"""Reference data every process needs before it serves or watches: the runtime catalog, the publishers and,
unless disabled, the bundled release facts and (on a database with no runtime evidence) the bundled snapshot."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from app.config import Settings
from app.domain.vocabulary import ReleaseSource
from app.services.releases.facts import import_releases
from app.services.releases.publishers import sync_publishers
from app.services.releases.store import refresh_families
from app.services.runtimes.catalog_rows import sync_catalog
from app.services.snapshot.build import BUNDLED_SNAPSHOT
from app.services.snapshot.seed import seed_snapshot

BUNDLED_RELEASE_FACTS = Path(__file__).resolve().parents[2] / "data" / "releases.csv"


def load_reference_data(
    session: Session, settings: Settings, *, now: datetime, snapshot: Path | None = BUNDLED_SNAPSHOT
) -> None:
    """Idempotently sync catalog runtimes, vendors, hardware, release facts and watched publishers into the
    database and seed an empty one with ``snapshot`` (the bundled one by default; None: the release facts
    only). ``LAUNCHGAP_SEED_RELEASE_FACTS=false`` turns all seeding off (facts and snapshot). The gap rows
    are the workflow's part (``app/services/jobs.py``, ``bootstrap_reference_data``); the caller commits."""
    sync_catalog(session)
    if settings.seed_release_facts:
        import_releases(session, BUNDLED_RELEASE_FACTS, kind=ReleaseSource.BUNDLED)
        if snapshot is not None:
            seed_snapshot(session, snapshot, now=now)
    # After the import, so the publishers file alone decides who is watched (importing may create publishers).
    sync_publishers(session, settings.publishers_file, named=settings.hub_orgs or ())
    # Who is watched may have changed (the file, LAUNCHGAP_HUB_ORGS): classify releases accordingly.
    refresh_families(session)

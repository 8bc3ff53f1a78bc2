"""Reference data every process needs before it serves or watches: the runtime catalog, the publishers and,
unless disabled, the bundled release facts."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db.session import session_scope
from app.services.catalog import sync_catalog
from app.services.gaps.refresh import refresh_gaps
from app.services.publishers import sync_publishers
from app.services.release_import import import_releases

BUNDLED_RELEASE_FACTS = Path(__file__).resolve().parents[1] / "data" / "releases.csv"


def bootstrap_reference_data(factory: sessionmaker[Session], settings: Settings) -> None:
    """Idempotently sync catalog runtimes, vendors, hardware, release facts and watched publishers into the
    database, then bring the materialised gap rows up to date."""
    with session_scope(factory) as session:
        sync_catalog(session)
        if settings.seed_release_facts:
            import_releases(session, BUNDLED_RELEASE_FACTS)
        # After the import, so the publishers file alone decides who is watched (importing may create publishers).
        sync_publishers(session, settings.publishers_file)
        # The gap table must reflect what is in the database now (facts imported, catalog changed) even when
        # no watcher runs; the refresh writes only differences, so a restart with nothing new costs a diff.
        refresh_gaps(session)

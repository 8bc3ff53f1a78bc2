"""Reference data every process needs before it serves or watches: the runtime catalog, the publishers and,
unless disabled, the bundled release facts."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db.session import session_scope
from app.services.catalog import sync_catalog
from app.services.publishers import sync_publishers
from app.services.release_import import import_releases

BUNDLED_RELEASE_FACTS = Path(__file__).resolve().parents[1] / "data" / "releases.csv"


def bootstrap_reference_data(factory: sessionmaker[Session], settings: Settings) -> None:
    """Idempotently sync catalog runtimes, vendors, hardware and watched publishers into the database."""
    with session_scope(factory) as session:
        sync_catalog(session)
        if settings.seed_release_facts:
            import_releases(session, BUNDLED_RELEASE_FACTS)
        # Last, so the publishers file alone decides who is watched (importing facts may create publishers).
        sync_publishers(session, settings.publishers_file)

"""Reference data every process needs before it serves or watches: the runtime catalog and the publishers."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db.session import session_scope
from app.services.catalog import sync_catalog
from app.services.publishers import sync_publishers


def bootstrap_reference_data(factory: sessionmaker[Session], settings: Settings) -> None:
    """Idempotently sync catalog runtimes, vendors, hardware and watched publishers into the database."""
    with session_scope(factory) as session:
        sync_catalog(session)
        sync_publishers(session, settings.publishers_file)

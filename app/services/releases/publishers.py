"""Watched publishers: catalog data loaded from a CSV (``hub_org,name,country,confidence``), and the one lookup
of a publisher by its Hub org name (case-insensitive, as the Hub's names are)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.publisher import Publisher
from app.services.csv_files import read_csv
from app.sources.hub.types import InvalidName, check_org

REQUIRED_COLUMNS = ("hub_org", "name", "country")


class PublishersFileError(ValueError):
    """The publishers CSV cannot be used; nothing was written."""


@dataclass(frozen=True)
class PublisherRow:
    hub_org: str
    name: str
    country: str | None
    confidence: str | None


def default_publishers_path() -> Path:
    """The bundled default list (a copy of shared/data/publishers.csv)."""
    return Path(str(resources.files("app") / "data" / "publishers.csv"))


def read_publishers(path: Path | None = None) -> list[PublisherRow]:
    """Parse and validate the whole file before anything is written; raises ``PublishersFileError``."""
    path = path or default_publishers_path()
    rows: dict[str, PublisherRow] = {}
    errors: list[str] = []
    for line, raw in read_csv(path, REQUIRED_COLUMNS, PublishersFileError):
        org = raw.get("hub_org", "")
        try:
            check_org(org)
        except InvalidName as exc:
            errors.append(f"line {line}: {exc}")
            continue
        if org in rows:
            errors.append(f"line {line}: duplicate hub_org {org!r}")
            continue
        rows[org] = PublisherRow(
            hub_org=org,
            name=raw.get("name") or org,
            country=raw.get("country") or None,
            confidence=raw.get("confidence") or None,
        )
    if errors:
        raise PublishersFileError(f"{path}: " + "; ".join(errors))
    return list(rows.values())


def sync_publishers(session: Session, path: Path | None = None, named: Sequence[str] = ()) -> list[str]:
    """Make the Publisher rows match the file; returns the file's org names (file order).

    ``named`` orgs (``LAUNCHGAP_HUB_ORGS``) are watched too, as is every org an operator named before
    (``watch hub --org``). Orgs that left the file and were never named stay in the database (their models
    keep their publisher) but are no longer watched. The caller commits.
    """
    rows = read_publishers(path)
    name_publishers(session, named)
    existing = {p.hub_org: p for p in session.execute(select(Publisher)).scalars()}
    for row in rows:
        publisher = existing.get(row.hub_org)
        if publisher is None:
            publisher = Publisher(hub_org=row.hub_org)
            session.add(publisher)
        publisher.name = row.name
        publisher.country = row.country
        publisher.confidence = row.confidence
        publisher.watched = True
    listed = {row.hub_org for row in rows}
    for org, publisher in existing.items():
        if org not in listed and not publisher.named:
            publisher.watched = False
    session.flush()
    return [row.hub_org for row in rows]


def name_publishers(session: Session, orgs: Sequence[str]) -> bool:
    """Watch ``orgs`` because an operator named them (created if unknown, matched case-insensitively);
    returns whether any publisher changed (its releases then need classifying). The caller commits."""
    if not orgs:
        return False
    by_lower = {p.hub_org.lower(): p for p in session.execute(select(Publisher)).scalars()}
    changed = False
    for org in dict.fromkeys(check_org(org) for org in orgs):
        publisher = by_lower.get(org.lower())
        if publisher is None:
            publisher = Publisher(hub_org=org, name=org, watched=True, named=True)
            session.add(publisher)
            by_lower[org.lower()] = publisher
            changed = True
        elif not (publisher.watched and publisher.named):
            publisher.watched = publisher.named = True
            changed = True
    session.flush()
    return changed


def watched_orgs(session: Session) -> list[str]:
    """Org names currently watched, alphabetically."""
    return list(
        session.execute(
            select(Publisher.hub_org).where(Publisher.watched.is_(True)).order_by(Publisher.hub_org)
        ).scalars()
    )


def find_publisher(session: Session, org: str) -> Publisher | None:
    """The Publisher row for ``org``, matched case-insensitively (the exact spelling first, should an old
    database hold two spellings)."""
    rows = session.scalars(select(Publisher).where(func.lower(Publisher.hub_org) == org.lower())).all()
    return next((row for row in rows if row.hub_org == org), rows[0] if rows else None)


def watched_publisher(session: Session, org: str) -> Publisher | None:
    """The Publisher row for ``org`` if it is watched (case-insensitive), else None."""
    publisher = find_publisher(session, org)
    return publisher if publisher is not None and publisher.watched else None


def publisher_for(session: Session, org: str) -> Publisher:
    """The Publisher row for ``org`` (case-insensitive), created watched when an org is named explicitly."""
    publisher = find_publisher(session, org)
    if publisher is None:
        publisher = Publisher(hub_org=org, name=org, watched=True)
        session.add(publisher)
        session.flush()
    return publisher

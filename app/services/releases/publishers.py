"""Watched publishers: catalog data loaded from a CSV (``hub_org,name,country,confidence``), orgs an operator
named, orgs the Hub firehose discovered (docs/hub.md, "The firehose"), an operator's un-watching, and the one
lookup of a publisher by its Hub org name (case-insensitive, as the Hub's names are)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.publisher import Publisher
from app.services.csv_files import read_keyed_rows
from app.sources.hub.types import check_org

REQUIRED_COLUMNS = ("hub_org", "name", "country")
WATCHED_BECAUSE = ("file", "named", "discovered")
"""Why a publisher is watched, in the order one reason outranks the next (``watched_because``)."""


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
    return read_keyed_rows(
        path or default_publishers_path(),
        REQUIRED_COLUMNS,
        PublishersFileError,
        _publisher_row,
        key=lambda row: row.hub_org,
        duplicate="duplicate hub_org {key!r}",
    )


def _publisher_row(cells: dict[str, str]) -> PublisherRow:
    """One row; an invalid org name raises ``InvalidName`` (a ``ValueError``)."""
    org = check_org(cells.get("hub_org", ""))
    return PublisherRow(
        hub_org=org,
        name=cells.get("name") or org,
        country=cells.get("country") or None,
        confidence=cells.get("confidence") or None,
    )


def sync_publishers(session: Session, path: Path | None = None, named: Sequence[str] = ()) -> list[str]:
    """Make the Publisher rows match the file; returns the file's org names (file order).

    ``named`` orgs (``LAUNCHGAP_HUB_ORGS``) are watched too, as is every org an operator named before
    (``watch hub --org``) and every org the firehose discovered. Orgs that left the file and were neither
    named nor discovered stay in the database (their models keep their publisher) but are no longer watched.
    An org an operator un-watched stays un-watched whatever the file says. The caller commits.
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
        publisher.listed = True
        publisher.watched = not publisher.unwatched_by_operator
    listed = {row.hub_org for row in rows}
    for org, publisher in existing.items():
        if org not in listed:
            publisher.listed = False
            # Discovered by the firehose, or named: watched whatever the file says, unless un-watched.
            kept = publisher.named or publisher.discovered_at is not None
            publisher.watched = kept and not publisher.unwatched_by_operator
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
        elif not publisher.named or publisher.watched == publisher.unwatched_by_operator:
            publisher.named = True
            publisher.watched = not publisher.unwatched_by_operator
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


def discover_publisher(
    session: Session, org: str, *, release: str, reason: str, now: datetime
) -> Publisher | None:
    """Watch ``org`` because the firehose found a release of it with a new architecture or model type
    (``release``, its repo id; ``reason``, what was new). Returns the publisher, watched; None when an
    operator un-watched it (its uploads are then no releases). A publisher watched already keeps its
    reason. The caller commits."""
    publisher = find_publisher(session, org)
    if publisher is None:
        publisher = Publisher(hub_org=org, name=org, watched=False)
        session.add(publisher)
    elif publisher.unwatched_by_operator:
        return None
    if not publisher.watched:
        publisher.watched = True
        publisher.discovered_at = now
        publisher.discovered_release = release
        publisher.discovered_reason = reason[:300]
    session.flush()
    return publisher


def watched_because(publisher: Publisher) -> str | None:
    """Why ``publisher`` is watched: ``file``, ``named`` or ``discovered`` (None: not watched)."""
    if not publisher.watched:
        return None
    if publisher.listed:
        return "file"
    if publisher.discovered_at is not None and not publisher.named:
        return "discovered"
    return "named"  # named by an operator (or re-watched by one)


def discovered_orgs(session: Session) -> list[str]:
    """Watched orgs the firehose discovered (polled even when ``LAUNCHGAP_HUB_ORGS`` replaces the file)."""
    rows = session.execute(
        select(Publisher).where(Publisher.watched.is_(True), Publisher.discovered_at.is_not(None))
    ).scalars()
    return sorted(p.hub_org for p in rows if watched_because(p) == "discovered")


@dataclass(frozen=True)
class PublisherView:
    """A publisher as the API shows it."""

    name: str
    watched: bool
    watched_because: str | None
    discovered_at: datetime | None
    discovered_release: str | None
    discovered_reason: str | None
    unwatched_by_operator: bool

    @classmethod
    def of(cls, publisher: Publisher) -> PublisherView:
        return cls(
            name=publisher.hub_org,
            watched=bool(publisher.watched),
            watched_because=watched_because(publisher),
            discovered_at=publisher.discovered_at,
            discovered_release=publisher.discovered_release,
            discovered_reason=publisher.discovered_reason,
            unwatched_by_operator=bool(publisher.unwatched_by_operator),
        )


def list_publisher_views(session: Session, *, watched: bool | None = None) -> list[PublisherView]:
    """Every publisher (or only the watched / un-watched ones), by org name."""
    query = select(Publisher).order_by(func.lower(Publisher.hub_org), Publisher.hub_org)
    if watched is not None:
        query = query.where(Publisher.watched.is_(watched))
    return [PublisherView.of(p) for p in session.execute(query).scalars()]


def set_watched(session: Session, org: str, watched: bool) -> Publisher | None:
    """An operator watches or un-watches ``org`` (None: no such publisher). Un-watched, it stays so across
    restarts and firehose cycles; watched again, it is watched for the reason it had, or as named. The
    caller commits and refreshes what depends on who is watched."""
    publisher = find_publisher(session, org)
    if publisher is None:
        return None
    publisher.unwatched_by_operator = not watched
    if watched and not (publisher.listed or publisher.discovered_at is not None):
        publisher.named = True
    publisher.watched = watched
    session.flush()
    return publisher

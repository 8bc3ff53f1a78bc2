"""The firehose: every public model the Hub lists, newest first, read from a cursor to now (docs/hub.md,
"The firehose").

Two listings, each a source of its own (``SourceState`` kind ``hub_firehose``, names ``created`` and
``modified``), with the lease and due-check rules of the publisher polls:

- ``created`` (sorted by ``createdAt``): every repository created since its cursor. The first run, with no
  cursor, reads back ``backfill`` (``LAUNCHGAP_HUB_FIREHOSE_BACKFILL_DAYS``); what it reads was public before
  anyone looked, so its release time is the ``createdAt`` estimate. Later passes saw each repository turn
  public since the last one: observed.
- ``modified`` (sorted by ``lastModified``): repositories made public after their creation sort by their old
  ``createdAt``, below the ``created`` cursor, so they are caught here, classified when first seen public
  (release time: this observation, as for publisher polls). It waits for the ``created`` listing's first pass
  and reads from the time that pass started (the backfill lists what was public then; what turned public
  while it ran is modified since), and leaves what was created before the ``created`` listing's first
  horizon alone (it cannot tell an old repository turned public from an old one edited).

A *pass* reads from the newest item down to the cursor. The Hub lists newest first and the classifier needs
oldest first, so each page's items wait in ``firehose_items`` and the pass state (the Hub's next-page URL,
the newest item read) is saved with them, page by page: a pass cut short (a 429, our budget, a restart,
another process) resumes from the page it stopped at and never reads a page twice. When the pass reaches
the cursor, its items are classified oldest first (``firehose_classify.py``), deleted, and the cursor moves
to the newest item of the pass, all in one transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from app.db.session import session_scope
from app.db.upsert import insert_ignoring_conflicts
from app.models import FirehoseItem
from app.services.gaps.decide import DEFAULT_EARLY_ACCESS_WINDOW
from app.services.hub.firehose_classify import Classified, Classifier
from app.services.hub.poll import retry_time
from app.services.operations import source_state
from app.services.releases.publishers import watched_orgs
from app.services.releases.store import refresh_families
from app.sources.hub import HubClient, HubError, HubModel, HubRateLimited

log = logging.getLogger(__name__)

KIND = source_state.HUB_FIREHOSE
CREATED = "created"
MODIFIED = "modified"
LISTINGS = {CREATED: "createdAt", MODIFIED: "lastModified"}
DEFAULT_INTERVAL = timedelta(minutes=5)
DEFAULT_BACKFILL = timedelta(days=90)
CLASSIFY_BATCH = 1000
"""Items classified per batch (read in creation order from ``firehose_items``)."""


@dataclass(frozen=True)
class ListingResult:
    """What one cycle did with one listing. ``status``: ok (the pass reached the cursor), partial (pages
    read, the pass resumes next time), rate_limited / error (nothing more could be read now), skipped
    (another process holds the lease), not-due, or waiting (``modified`` before the ``created`` listing's
    first pass is done)."""

    listing: str
    status: str
    pages: int = 0
    items: int = 0
    releases: tuple[str, ...] = ()
    discovered: tuple[str, ...] = ()
    derivatives: int = 0
    error: str | None = None
    retry_at: datetime | None = None
    observed: bool = True
    """The classified items were seen turning public (False: the first, backfilling pass)."""
    changed: bool = False
    """Models, publishers or derivative counts changed (the gap rows need a refresh)."""


@dataclass(frozen=True)
class FirehoseReport:
    started_at: datetime
    results: tuple[ListingResult, ...]
    requests: int

    @property
    def changed(self) -> bool:
        """Whether any listing changed models, publishers or derivative counts (the gap rows need a refresh)."""
        return any(r.changed for r in self.results)

    @property
    def releases(self) -> list[str]:
        return [repo for r in self.results for repo in r.releases]

    @property
    def discovered(self) -> list[str]:
        return [org for r in self.results for org in r.discovered]


@dataclass
class _Pass:
    """A pass in progress, as saved in the listing's cursor."""

    floor: str
    """Items older than this (ISO time) were read by earlier passes: the pass ends at the first one."""
    observed: bool
    floor_id: str | None = None
    """The ``_id`` of the item at ``floor`` read last time: reaching it ends the pass (items of the same
    time sort by ``_id``, so everything below it was read too)."""
    next_url: str | None = None
    top: str | None = None
    """The newest item's time read in this pass (the cursor once the pass is done)."""
    top_id: str | None = None
    pages: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "floor": self.floor,
            "floor_id": self.floor_id,
            "observed": self.observed,
            "next_url": self.next_url,
            "top": self.top,
            "top_id": self.top_id,
            "pages": self.pages,
        }


def read_firehose(
    session_factory: sessionmaker[Session],
    client: HubClient,
    now: datetime,
    *,
    owner: str | None = None,
    only_due: bool = False,
    interval: timedelta = DEFAULT_INTERVAL,
    backfill: timedelta = DEFAULT_BACKFILL,
    retry_after_error: timedelta = timedelta(minutes=5),
    window: timedelta = DEFAULT_EARLY_ACCESS_WINDOW,
) -> FirehoseReport:
    """One firehose cycle: the ``created`` listing, then ``modified``, each from its cursor to now.

    Never raises on Hub errors: they end that listing's pass for now (saved, resumed next cycle) and are
    recorded in its source state. No transaction is open while waiting on the Hub.
    """
    owner = owner or source_state.process_owner()
    before = client.requests_sent
    results = []
    for listing in (CREATED, MODIFIED):
        with source_state.lease(session_factory, KIND, listing, owner, now) as won:
            if not won:
                results.append(ListingResult(listing, "skipped", error="another worker holds the lease"))
                continue
            if only_due and not _is_due(session_factory, listing, now):
                results.append(ListingResult(listing, "not-due"))
                continue
            result = _read_listing(
                session_factory, client, listing, now, interval, backfill, retry_after_error, window
            )
        results.append(result)
        if result.error is not None:
            break  # the same Hub (and budget) would stop the other listing too
    return FirehoseReport(now, tuple(results), client.requests_sent - before)


def _is_due(session_factory: sessionmaker[Session], listing: str, now: datetime) -> bool:
    with session_scope(session_factory) as session:
        state = source_state.get_state(session, KIND, listing)
        return state.next_check_at is None or state.next_check_at <= now


def _start_pass(
    cursor: dict[str, Any], listing: str, now: datetime, backfill: timedelta, modified_from: str | None
) -> _Pass:
    saved = cursor.get("pass")
    if isinstance(saved, dict) and saved.get("floor"):
        return _Pass(
            floor=saved["floor"],
            observed=bool(saved.get("observed")),
            floor_id=saved.get("floor_id"),
            next_url=saved.get("next_url"),
            top=saved.get("top"),
            top_id=saved.get("top_id"),
            pages=int(saved.get("pages") or 0),
        )
    mark = cursor.get("mark")
    if mark:
        return _Pass(floor=mark, observed=True, floor_id=cursor.get("mark_id"))
    if listing == CREATED:
        return _Pass(floor=(now - backfill).isoformat(), observed=False)
    # ``modified`` starts when the ``created`` listing's first pass did: that backfill lists whatever was
    # public then, and a repository made public while it ran is modified since.
    return _Pass(floor=modified_from or now.isoformat(), observed=True)


def _item_time(listing: str, hub: HubModel) -> datetime:
    if listing == MODIFIED:
        return hub.last_modified or hub.created_at
    return hub.created_at


def _read_listing(
    session_factory: sessionmaker[Session],
    client: HubClient,
    listing: str,
    now: datetime,
    interval: timedelta,
    backfill: timedelta,
    retry_after_error: timedelta,
    window: timedelta,
) -> ListingResult:
    horizon: str | None = None
    created_mark: str | None = None
    modified_from: str | None = None
    with session_scope(session_factory) as session:
        cursor = dict(source_state.get_state(session, KIND, listing).cursor or {})
        if listing == CREATED:
            cursor.setdefault("horizon", (now - backfill).isoformat())
            cursor.setdefault("started", now.isoformat())
        else:
            created = source_state.get_state(session, KIND, CREATED).cursor or {}
            horizon, created_mark = created.get("horizon"), created.get("mark")
            modified_from = created.get("started")
    if listing == MODIFIED and created_mark is None:
        # Until the ``created`` listing's first pass is done there is nothing to tell turned public from.
        return ListingResult(listing, "waiting")
    current = _start_pass(cursor, listing, now, backfill, modified_from)
    with session_scope(session_factory) as session:
        watched = {org.lower() for org in watched_orgs(session)}
    floor = datetime.fromisoformat(current.floor)
    pages = items = 0
    done = False
    error: HubError | None = None
    while not done:
        try:
            page = client.firehose_page(LISTINGS[listing], current.next_url)
        except HubError as exc:
            error = exc
            break
        pages += 1
        rows = []
        for hub, raw in page.items:
            at = _item_time(listing, hub)
            if at < floor or (at == floor and hub.hub_id == current.floor_id):
                done = True
                break
            if current.top is None or at > datetime.fromisoformat(current.top):
                current.top, current.top_id = at.isoformat(), hub.hub_id
            if listing == MODIFIED and not _maybe_turned_public(hub, horizon, created_mark):
                continue
            if not _may_matter(hub, watched):
                continue
            rows.append(
                {
                    "listing": listing,
                    "hub_id": hub.hub_id,
                    "created_at": hub.created_at,
                    "item": _compact(raw),
                }
            )
        current.next_url = page.next_url
        current.pages += 1
        done = done or page.next_url is None
        with session_scope(session_factory) as session:
            # The page's items and the place to resume from are saved together.
            items += insert_ignoring_conflicts(
                session,
                FirehoseItem.__table__,  # type: ignore[arg-type]
                rows,
                ["listing", "hub_id"],
                bulk=True,
            )
            state = source_state.get_state(session, KIND, listing)
            state.cursor = {**cursor, "pass": current.as_json()}
    if not done:
        assert error is not None
        return _record_stop(session_factory, listing, now, error, pages, items, retry_after_error)
    classified = _classify(session_factory, listing, now, current, cursor, interval, window)
    return ListingResult(
        listing,
        "ok",
        pages=pages,
        items=items,
        releases=tuple(classified.releases),
        discovered=tuple(classified.discovered),
        derivatives=classified.derivatives,
        observed=current.observed,
        changed=classified.changed,
    )


_CONFIG_KEPT = ("architectures", "model_type", "auto_map", "quantization_config")


def _may_matter(hub: HubModel, watched: set[str]) -> bool:
    """Whether an item can change anything: a watched publisher's repository (stored), one that names a
    base (a derivative to count), or one with an architecture or model type (a release, if new). The rest
    (no config, no lineage, nobody watching) is dropped before it is kept."""
    return bool(hub.org.lower() in watched or hub.base_models or hub.architectures or hub.model_type)


def _compact(raw: dict[str, Any]) -> dict[str, Any]:
    """The item as kept until classified: the config summary cut to what is read (its tokenizer config can
    hold a whole chat template), so a 90-day backfill waits in a fraction of the space."""
    config = raw.get("config")
    if isinstance(config, dict):
        return {**raw, "config": {k: v for k, v in config.items() if k in _CONFIG_KEPT}}
    return raw


def _maybe_turned_public(hub: HubModel, horizon: str | None, created_mark: str | None) -> bool:
    """Whether a ``modified`` item may be a repository turned public after its creation: created after the
    ``created`` listing's first horizon (older ones: no telling) and before its cursor (newer ones are that
    listing's to classify, in creation order)."""
    if horizon is None or hub.created_at < datetime.fromisoformat(horizon):
        return False
    return created_mark is not None and hub.created_at < datetime.fromisoformat(created_mark)


def _classify(
    session_factory: sessionmaker[Session],
    listing: str,
    now: datetime,
    current: _Pass,
    cursor: dict[str, Any],
    interval: timedelta,
    window: timedelta,
) -> Classified:
    """Classify the pass's items oldest first, delete them and move the cursor, in one transaction."""
    with session_scope(session_factory) as session:
        classifier = Classifier(session, now, window=window)
        last: tuple[datetime, int] | None = None
        while True:
            query = select(FirehoseItem).where(FirehoseItem.listing == listing)
            if last is not None:
                query = query.where(
                    (FirehoseItem.created_at > last[0])
                    | ((FirehoseItem.created_at == last[0]) & (FirehoseItem.id > last[1]))
                )
            batch = session.execute(
                query.order_by(FirehoseItem.created_at, FirehoseItem.id).limit(CLASSIFY_BATCH)
            ).scalars()
            rows = list(batch)
            if not rows:
                break
            hubs = []
            for row in rows:
                try:
                    hubs.append(HubModel.from_api(row.item))
                except HubError:
                    continue
            classifier.classify_batch(hubs, observed=current.observed)
            last = (rows[-1].created_at, rows[-1].id)
        report = classifier.finish()
        session.execute(delete(FirehoseItem).where(FirehoseItem.listing == listing))
        if report.changed:
            refresh_families(session)
        state = source_state.get_state(session, KIND, listing)
        new_cursor = {k: v for k, v in cursor.items() if k != "pass"}
        if current.top is not None:
            new_cursor.update(mark=current.top, mark_id=current.top_id)
        else:
            new_cursor.update(mark=current.floor, mark_id=current.floor_id)
        new_cursor.update(
            last_pass={
                "pages": current.pages,
                "observed": current.observed,
                "releases": len(report.releases),
                "derivatives": report.derivatives,
            },
        )
        source_state.record_success(session, state, now, now + interval, cursor=new_cursor)
    for org in report.discovered:
        log.info("firehose discovered publisher %s", org)
    return report


def _record_stop(
    session_factory: sessionmaker[Session],
    listing: str,
    now: datetime,
    error: HubError,
    pages: int,
    items: int,
    retry_after_error: timedelta,
) -> ListingResult:
    rate_limited = isinstance(error, HubRateLimited)
    retry_at = retry_time(error, now, retry_after_error)
    message = f"rate limit: {error}" if rate_limited else str(error)
    # Debug only: the listing's state logs it when it starts failing or fails differently, not every cycle
    # (``source_state.record_failure``).
    log.debug("firehose %s listing stopped after %d page(s): %s", listing, pages, message)
    with session_scope(session_factory) as session:
        state = source_state.get_state(session, KIND, listing)
        source_state.record_failure(session, state, now, message, retry_at)
    status = ("rate_limited" if rate_limited else "error") if pages == 0 else "partial"
    return ListingResult(listing, status, pages=pages, items=items, error=message, retry_at=retry_at)

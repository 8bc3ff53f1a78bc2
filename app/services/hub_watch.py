"""The Hub release watcher: retrieve → decide → apply over the watched publishers.

Each cycle lists every watched publisher in full (a repo made public late sorts by its old ``createdAt``,
so "newest N" would miss it), keys models by the Hub ``_id`` (renames are followed), confirms with
``model_info`` any known repo that vanished from a complete listing (deleted or made private again: marked
``gone``, never dropped), and records per-org poll state in ``SourceState`` (kind ``hub_publisher``).

"Seen turning public" needs a complete listing of that publisher read before: the cursor keeps
``complete_listing_at``, written only when every page was read, so a cycle cut short by a rate limit never
makes old repos look new. Hub errors are reported in the ``CycleReport`` and the poll state, never raised.
"""

from __future__ import annotations

import logging
import os
import socket
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from app.db.session import session_scope
from app.models.model import Model
from app.models.publisher import Publisher
from app.models.webhook_delivery import WebhookDelivery
from app.services import source_state
from app.services.gaps.refresh import refresh_gaps
from app.services.publishers import sync_publishers, watched_orgs
from app.services.releases import (
    CREATED_AT_ESTIMATE,
    IMPORTED,
    ReleaseCandidate,
    ReleaseTime,
    assign_families,
    choose_release_time,
    classify,
    import_conflicts,
    poll_release_time,
    webhook_release_time,
)
from app.sources.hub import (
    HubClient,
    HubError,
    HubModel,
    HubPublisherNotFound,
    HubRateLimited,
    HubRepoNotFound,
    HubUnavailable,
)
from app.sources.hub.types import InvalidName, check_org, check_repo_id
from app.sources.hub.webhook import HubWebhookPayload

log = logging.getLogger(__name__)

KIND = source_state.HUB_PUBLISHER
DEFAULT_INTERVAL = timedelta(minutes=15)
DEFAULT_RETRY = timedelta(minutes=5)
LEASE_TTL = timedelta(minutes=10)


@dataclass(frozen=True)
class OrgResult:
    """What one cycle did for one publisher. ``status``: ok, partial, rate_limited, not_found, error,
    skipped (another worker holds its lease) or deferred (the cycle stopped first: a rate limit, or the Hub
    could not be reached)."""

    org: str
    status: str
    pages: int = 0
    listed: int = 0
    new: int = 0
    updated: int = 0
    renamed: int = 0
    gone: int = 0
    error: str | None = None
    retry_at: datetime | None = None
    rate_limited: bool = False
    unreachable: bool = False
    """The Hub could not be reached at all (no response): polling the other orgs now would only wait too."""


@dataclass(frozen=True)
class CycleReport:
    """One polling cycle over the watched publishers."""

    started_at: datetime
    results: tuple[OrgResult, ...]
    requests: int
    rate_limited: bool = False
    problems: tuple[str, ...] = ()

    @property
    def failed(self) -> list[OrgResult]:
        return [r for r in self.results if r.status in ("error", "not_found", "rate_limited", "partial")]

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def new_models(self) -> int:
        return sum(r.new for r in self.results)


@dataclass
class _Counts:
    new: int = 0
    updated: int = 0
    renamed: int = 0
    gone: int = 0
    changed_ids: set[int] = field(default_factory=set)


def default_owner() -> str:
    """A lease owner name unique to this process."""
    return f"{socket.gethostname()}:{os.getpid()}"


# -- apply Hub models -------------------------------------------------------------------------------------

_IN_CHUNK = 400
"""Ids per ``IN`` list when loading rows: far below SQLite's and PostgreSQL's bound-parameter limits."""


class _RowIndex:
    """The rows a batch may touch, by ``hub_id`` and by ``repo_id``, kept in step as rows are added,
    renamed and deleted so later models of the same batch see earlier ones' effects without a query."""

    def __init__(self) -> None:
        self.by_hub: dict[str, Model] = {}
        self.by_repo: dict[str, Model] = {}

    def add(self, row: Model) -> None:
        if row.hub_id is not None:
            self.by_hub[row.hub_id] = row
        self.by_repo[row.repo_id] = row

    def set_repo_id(self, row: Model, repo_id: str) -> None:
        if self.by_repo.get(row.repo_id) is row:
            del self.by_repo[row.repo_id]
        row.repo_id = repo_id
        self.by_repo[repo_id] = row

    def remove(self, row: Model) -> None:
        if self.by_repo.get(row.repo_id) is row:
            del self.by_repo[row.repo_id]
        if row.hub_id is not None and self.by_hub.get(row.hub_id) is row:
            del self.by_hub[row.hub_id]


def _load_index(session: Session, hubs: Sequence[HubModel], publisher: Publisher | None) -> _RowIndex:
    """Every row ``hubs`` may touch: the publisher's rows in one query, then, by ``IN`` lists, any other
    row holding a listed ``hub_id`` (a repo moved in from another org) or a listed ``repo_id`` (an
    imported row without ``hub_id``, or a name left behind by a repo that was deleted or moved away).

    On a cycle with no changes the second query is not even sent: the publisher's rows hold every id.
    """
    index = _RowIndex()
    if publisher is not None and publisher.id is not None:
        for row in session.execute(select(Model).where(Model.publisher_id == publisher.id)).scalars():
            index.add(row)
    hub_ids = list(dict.fromkeys(h.hub_id for h in hubs if h.hub_id not in index.by_hub))
    repo_ids = list(dict.fromkeys(h.repo_id for h in hubs if h.repo_id not in index.by_repo))
    for start in range(0, max(len(hub_ids), len(repo_ids)), _IN_CHUNK):
        hub_chunk, repo_chunk = hub_ids[start : start + _IN_CHUNK], repo_ids[start : start + _IN_CHUNK]
        query = select(Model).where(or_(Model.hub_id.in_(hub_chunk), Model.repo_id.in_(repo_chunk)))
        for row in session.execute(query).scalars():
            index.add(row)
    return index


def _release_of(row: Model) -> ReleaseTime | None:
    if row.release_at is None or row.release_at_source is None:
        return None
    return ReleaseTime(
        row.release_at,
        row.release_at_source,
        row.release_at_precision or "second",
        row.release_source_detail,
        row.release_confidence,
    )


def _set_release(row: Model, release: ReleaseTime) -> None:
    row.release_at = release.at
    row.release_at_source = release.source
    row.release_at_precision = release.precision
    row.release_source_detail = release.detail
    row.release_confidence = release.confidence


def _free_repo_id(
    session: Session, index: _RowIndex, repo_id: str, keeper: Model | None, now: datetime
) -> None:
    """Make ``repo_id`` available to ``keeper``: the Hub says that name is now ``keeper``'s repo."""
    other = index.by_repo.get(repo_id)
    if other is None or other is keeper:
        return
    if other.hub_id is None and keeper is not None:
        # An imported placeholder for this very repo: fold its imported facts into the Hub row.
        if other.release_at_source == IMPORTED:
            merged = choose_release_time(_release_of(keeper), _release_of(other))  # type: ignore[arg-type]
            _set_release(keeper, merged)
        keeper.hub_extra = {
            **(keeper.hub_extra or {}),
            **{k: v for k, v in (other.hub_extra or {}).items() if k == "imported"},
        }
        index.remove(other)
        session.delete(other)
    else:
        # The name belonged to another repo (deleted, or moved away); keep it, under a name that says so.
        index.set_repo_id(other, f"{repo_id}#{other.hub_id}")
        if other.visibility != "gone":
            other.visibility = "gone"
            other.gone_at = now
    # The unique repo_id must be free in the database before the keeper's INSERT or UPDATE is flushed.
    session.flush()


def apply_hub_model(
    session: Session,
    hub: HubModel,
    publisher: Publisher | None,
    now: datetime,
    *,
    seen_turning_public: bool,
    seen_at: datetime | None = None,
) -> str:
    """Insert or update the row for ``hub``; returns ``new``, ``renamed``, ``updated`` or ``unchanged``.

    Matched by ``hub_id``, else by ``repo_id`` for a row that has no ``hub_id`` yet (imported from facts).
    ``seen_turning_public`` says the caller saw this repo become public (at ``now``, the poller); a
    webhook saying so passes its receipt time as ``seen_at``. Only a first sighting (or one earlier than
    the first) sets a release time: a repo public again after private or deleted is no new release.
    """
    index = _load_index(session, [hub], None)
    outcome = _apply(session, index, hub, publisher, now, seen_turning_public, seen_at, None)
    session.flush()
    return outcome


def apply_hub_models(
    session: Session,
    hubs: Sequence[HubModel],
    publisher: Publisher,
    now: datetime,
    *,
    seen_turning_public: bool,
) -> Counter[str]:
    """``apply_hub_model`` for one publisher's listing, in a few queries: its rows are loaded at once and
    matched in memory, changes flushed once, new rows inserted together at the end. Returns how many
    models had each outcome."""
    index = _load_index(session, hubs, publisher)
    outcomes: Counter[str] = Counter()
    new_rows: list[Model] = []
    for hub in hubs:
        outcomes[_apply(session, index, hub, publisher, now, seen_turning_public, None, new_rows)] += 1
    session.flush()
    _insert_new_rows(session, new_rows)
    return outcomes


_MODEL_COLUMNS = tuple((attr.key, attr.columns[0].name) for attr in Model.__mapper__.column_attrs)


def _insert_new_rows(session: Session, rows: Sequence[Model]) -> None:
    """INSERT the batch's new rows in one executemany, after every UPDATE of the batch (renames that
    freed a name a new row takes are already in the database).

    Core rather than ``session.add``: the ORM needs each new id back (RETURNING), which makes both
    dialects render one huge multi-row statement that psycopg re-parses per page; without RETURNING,
    psycopg pipelines one cached single-row statement. Nothing in this cycle needs the new objects.
    """
    if not rows:
        return
    values = [
        {column: row.__dict__.get(key) for key, column in _MODEL_COLUMNS if key != "id"} for row in rows
    ]
    session.execute(insert(Model.__table__), values)


def _apply(
    session: Session,
    index: _RowIndex,
    hub: HubModel,
    publisher: Publisher | None,
    now: datetime,
    seen_turning_public: bool,
    seen_at: datetime | None,
    new_rows: list[Model] | None,
) -> str:
    """Apply one Hub model; a new row goes to ``new_rows`` for the caller to insert, or (None) is added
    to the session."""
    row = index.by_hub.get(hub.hub_id)
    if row is None:
        candidate = index.by_repo.get(hub.repo_id)
        if candidate is not None and candidate.hub_id is None:
            row = candidate
    outcome = "updated"
    if row is None:
        _free_repo_id(session, index, hub.repo_id, keeper=None, now=now)
        row = Model(
            repo_id=hub.repo_id,
            hub_id=hub.hub_id,
            architectures=[],
            base_models=[],
            tags=[],
            hub_extra={},
            visibility="public",
            is_derivative=False,
            uses_remote_code=False,
            new_architecture=False,
            new_model_type=False,
            release_at_precision="second",
        )
        if new_rows is None:
            session.add(row)
        else:
            new_rows.append(row)
        index.add(row)
        outcome = "new"
    elif row.repo_id != hub.repo_id:
        _free_repo_id(session, index, hub.repo_id, keeper=row, now=now)
        log.info("Hub repo %s renamed to %s", row.repo_id, hub.repo_id)
        index.set_repo_id(row, hub.repo_id)
        # Flushed at once: a later model of this batch may take the old name (an INSERT, or an UPDATE
        # flushed in primary-key order), and the unique repo_id must not see both at the same time.
        session.flush()
        outcome = "renamed"

    before = _snapshot(row)
    first_sighting = row.first_seen_public_at is None
    if row.hub_id != hub.hub_id:
        row.hub_id = hub.hub_id
        index.add(row)
    if publisher is not None:
        row.publisher_id = publisher.id
    row.created_at = hub.created_at
    row.architectures = list(hub.architectures)
    row.model_type = hub.model_type
    row.parameters = hub.parameters
    row.gated = hub.gated
    row.base_models = list(hub.base_model_ids)
    row.tags = list(hub.tags)
    row.library_name = hub.library_name
    row.pipeline_tag = hub.pipeline_tag
    verdict = classify(hub.repo_id, hub.base_models, hub.tags, hub.library_name)
    row.is_derivative = verdict.is_derivative
    row.derivative_reason = verdict.reason
    extra = dict(row.hub_extra or {})
    extra.update(
        sha=hub.sha,
        last_modified=hub.last_modified.isoformat() if hub.last_modified else None,
        quant_method=hub.quant_method,
        auto_map_now=hub.auto_map,
        parameters_by_dtype=dict(hub.parameters_by_dtype),
        base_model_relations=[list(pair) for pair in hub.base_models],
    )
    if hub.problems:
        extra["problems"] = list(hub.problems)
    row.hub_extra = extra
    if row.visibility != "public":
        log.info("Hub repo %s is public again", hub.repo_id)
        row.visibility = "public"
        row.gone_at = None

    if first_sighting:
        seen = seen_at or now
        row.first_seen_public_at = seen
        # Remote code "at launch": what the repo needed when we first saw it public, kept afterwards.
        row.uses_remote_code = hub.auto_map
        sighting = (
            webhook_release_time(seen_at)
            if seen_at is not None
            else poll_release_time(hub.created_at, seen_turning_public=seen_turning_public, now=seen)
        )
        _set_release(row, choose_release_time(_release_of(row), sighting))
    elif seen_at is not None and row.first_seen_public_at is not None and seen_at < row.first_seen_public_at:
        # A webhook processed after the poller had seen the repo: the earlier sighting wins. A sighting
        # later than the first one is the repo turning public again (after private or deleted), no release.
        row.first_seen_public_at = seen_at
        _set_release(row, choose_release_time(_release_of(row), webhook_release_time(seen_at)))
    if row.release_at_source == CREATED_AT_ESTIMATE:
        row.release_at = hub.created_at  # createdAt can only be refined by the Hub itself

    imported = extra.get("imported")
    if isinstance(imported, dict):
        row.release_conflict = import_conflicts(
            imported.get("architecture"),
            imported.get("model_type"),
            _parse_iso(imported.get("release_at")),
            hub.architectures,
            hub.model_type,
            hub.created_at,
        )
    if outcome == "updated" and _snapshot(row) == before:
        outcome = "unchanged"
    return outcome


def _parse_iso(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _snapshot(row: Model) -> tuple[Any, ...]:
    return (
        row.repo_id,
        row.architectures,
        row.model_type,
        row.parameters,
        row.gated,
        row.base_models,
        row.tags,
        row.library_name,
        row.pipeline_tag,
        row.visibility,
        row.release_at,
        row.release_at_source,
        row.is_derivative,
        row.publisher_id,
    )


def mark_gone(session: Session, row: Model, now: datetime, why: str) -> bool:
    """Record that a repo is no longer public (deleted or private again); the row and its facts stay."""
    if row.visibility == "gone":
        return False
    log.info("Hub repo %s is gone: %s", row.repo_id, why)
    row.visibility = "gone"
    row.gone_at = now
    row.hub_extra = {**(row.hub_extra or {}), "gone_reason": why}
    session.flush()
    return True


def publisher_for(session: Session, org: str) -> Publisher:
    """The Publisher row for ``org`` (case-insensitive), created watched when an org is named explicitly."""
    publisher = session.execute(select(Publisher).where(Publisher.hub_org == org)).scalar_one_or_none()
    if publisher is None:
        for candidate in session.execute(select(Publisher)).scalars():
            if candidate.hub_org.lower() == org.lower():
                return candidate
        publisher = Publisher(hub_org=org, name=org, watched=True)
        session.add(publisher)
        session.flush()
    return publisher


# -- one cycle --------------------------------------------------------------------------------------------


def poll_publishers(
    session_factory: sessionmaker[Session],
    client: HubClient,
    orgs: Sequence[str] | None,
    now: datetime,
    *,
    owner: str | None = None,
    interval: timedelta = DEFAULT_INTERVAL,
    retry_after_error: timedelta = DEFAULT_RETRY,
) -> CycleReport:
    """Run one cycle over ``orgs`` (default: every watched publisher) and report what happened.

    Never raises on Hub errors: each org's outcome is in the report and in its SourceState. A rate limit
    (ours or the Hub's) or an unreachable Hub ends the cycle; the orgs not reached are ``deferred`` and polled
    next time.
    """
    owner = owner or default_owner()
    requests_before = client.requests_sent
    problems: list[str] = []
    with session_scope(session_factory) as session:
        if orgs is None:
            org_list = watched_orgs(session) or sync_publishers(session, None)
        else:
            org_list = []
            for org in orgs:
                try:
                    org_list.append(check_org(org))
                except InvalidName as exc:
                    problems.append(str(exc))
                    log.error("%s", exc)

    results: list[OrgResult] = []
    rate_limited = False
    stopped_by: str | None = None
    any_change = False
    for org in org_list:
        if stopped_by is not None:
            results.append(OrgResult(org, "deferred", error=stopped_by))
            continue
        with session_scope(session_factory) as session:
            won = source_state.try_acquire_lease(session, KIND, org, owner, now, LEASE_TTL)
        if not won:
            results.append(OrgResult(org, "skipped", error="another worker holds the lease"))
            continue
        try:
            result, changed = _poll_org(session_factory, client, org, now, interval, retry_after_error)
        finally:
            with session_scope(session_factory) as session:
                source_state.release_lease(session, KIND, org, owner)
        results.append(result)
        any_change = any_change or changed
        rate_limited = result.rate_limited
        if result.rate_limited:
            stopped_by = "cycle stopped by a rate limit"
        elif result.unreachable:
            # Connection refused, DNS failure, timeout: every other org would wait for the same retries.
            stopped_by = f"cycle stopped: the Hub could not be reached while polling {org}"

    if any_change:
        with session_scope(session_factory) as session:
            refresh_release_facts(session)
    return CycleReport(
        started_at=now,
        results=tuple(results),
        requests=client.requests_sent - requests_before,
        rate_limited=rate_limited,
        problems=tuple(problems),
    )


def _poll_org(
    session_factory: sessionmaker[Session],
    client: HubClient,
    org: str,
    now: datetime,
    interval: timedelta,
    retry_after_error: timedelta,
) -> tuple[OrgResult, bool]:
    # Retrieve (no transaction open while waiting on the network).
    try:
        listing = client.list_publisher_models(org)
    except HubError as exc:
        return _record_org_failure(session_factory, org, now, exc, retry_after_error), False

    counts = _Counts()
    with session_scope(session_factory) as session:
        state = source_state.get_state(session, KIND, org)
        cursor = dict(state.cursor or {})
        already_watched = bool(cursor.get("complete_listing_at"))
        publisher = publisher_for(session, org)
        # A token that sees private repos must not make them look released.
        public = [hub for hub in listing.models if not hub.private]
        listed_ids = {hub.hub_id for hub in public}
        outcomes = apply_hub_models(session, public, publisher, now, seen_turning_public=already_watched)
        counts.new, counts.updated, counts.renamed = outcomes["new"], outcomes["updated"], outcomes["renamed"]
        vanished: list[tuple[int, str, str]] = []
        if listing.complete and not listing.rejected:
            rows = session.execute(
                select(Model.id, Model.repo_id, Model.hub_id).where(
                    Model.publisher_id == publisher.id,
                    Model.visibility == "public",
                    Model.hub_id.is_not(None),
                )
            ).all()
            vanished = [(r.id, r.repo_id, r.hub_id) for r in rows if r.hub_id not in listed_ids]

    # Confirm each vanished repo one by one: deleted/private (404), moved elsewhere (307), or a glitch.
    confirm_error: HubError | None = None
    for model_pk, repo_id, hub_id in vanished:
        try:
            info: HubModel | None = client.model_info(repo_id)
        except HubRepoNotFound:
            info = None
        except (HubError, InvalidName) as exc:
            confirm_error = exc if isinstance(exc, HubError) else HubError(str(exc))
            break
        with session_scope(session_factory) as session:
            row = session.get(Model, model_pk)
            if row is None:
                continue
            if info is None or info.hub_id != hub_id or info.private:
                if mark_gone(session, row, now, "not listed; model_info says not found or private"):
                    counts.gone += 1
            else:
                # Moved to another org: the model follows its new owner.
                new_owner = publisher_for(session, info.org) if info.org.lower() != org.lower() else None
                outcome = apply_hub_model(session, info, new_owner, now, seen_turning_public=False)
                if outcome == "renamed":
                    counts.renamed += 1
                elif outcome != "unchanged":
                    counts.updated += 1  # counted so the cycle recomputes release facts

    error: HubError | None = listing.error if isinstance(listing.error, HubError) else None
    error = error or confirm_error
    with session_scope(session_factory) as session:
        state = source_state.get_state(session, KIND, org)
        cursor = dict(state.cursor or {})
        if listing.complete:
            cursor.setdefault("first_complete_listing_at", now.isoformat())
            cursor["complete_listing_at"] = now.isoformat()
        cursor["last_listing"] = {
            "pages": listing.pages,
            "models": len(listing.models),
            "rejected": len(listing.rejected),
            "complete": listing.complete,
        }
        state.cursor = cursor
        messages = []
        if error is not None:
            messages.append(f"rate limit: {error}" if isinstance(error, HubRateLimited) else str(error))
        if listing.rejected:
            messages.append(
                f"{len(listing.rejected)} listing item(s) rejected: " + "; ".join(listing.rejected[:5])
            )
        common = dict(
            pages=listing.pages,
            listed=len(listing.models),
            new=counts.new,
            updated=counts.updated,
            renamed=counts.renamed,
            gone=counts.gone,
        )
        if messages:
            message = "; ".join(messages)
            retry_at = _retry_at(error, now, retry_after_error) if error else now + interval
            source_state.record_failure(session, state, now, message, retry_at)
            log.error("Hub poll of %s incomplete: %s", org, message)
            result = OrgResult(
                org,
                "partial",
                **common,
                error=message,
                retry_at=retry_at,
                rate_limited=isinstance(error, HubRateLimited),
            )
        else:
            source_state.record_success(session, state, now, now + interval, cursor=cursor)
            result = OrgResult(org, "ok", **common)
    return result, bool(counts.new or counts.updated or counts.renamed or counts.gone)


def _retry_at(error: HubError, now: datetime, retry_after_error: timedelta) -> datetime:
    if isinstance(error, HubRateLimited):
        return now + timedelta(seconds=error.retry_after)
    return now + retry_after_error


def _record_org_failure(
    session_factory: sessionmaker[Session],
    org: str,
    now: datetime,
    exc: HubError,
    retry_after_error: timedelta,
) -> OrgResult:
    if isinstance(exc, HubPublisherNotFound):
        status, message = "not_found", f"org {org!r} does not exist on the Hub"
    elif isinstance(exc, HubRateLimited):
        status, message = "rate_limited", f"rate limit: {exc}"
    else:
        status, message = "error", str(exc)
    retry_at = _retry_at(exc, now, retry_after_error)
    log.error("Hub poll of %s failed: %s", org, message)
    with session_scope(session_factory) as session:
        state = source_state.get_state(session, KIND, org)
        source_state.record_failure(session, state, now, message, retry_at)
    return OrgResult(
        org,
        status,
        error=message,
        retry_at=retry_at,
        rate_limited=isinstance(exc, HubRateLimited),
        unreachable=isinstance(exc, HubUnavailable) and exc.status is None,
    )


# -- families and new architectures ------------------------------------------------------------------------


def refresh_release_facts(session: Session) -> int:
    """Recompute release families and new-architecture flags over every original of a watched publisher.

    Returns how many rows changed. Derivatives and models of unwatched publishers get no family.
    """
    rows = session.execute(
        select(
            Model.id,
            Model.repo_id,
            Model.architectures,
            Model.model_type,
            Model.release_at,
            Model.is_derivative,
            Model.family,
            Model.new_architecture,
            Model.new_model_type,
            Publisher.hub_org,
            Publisher.watched,
        ).join(Publisher, Model.publisher_id == Publisher.id, isouter=True)
    ).all()
    candidates = [
        ReleaseCandidate(
            id=r.id,
            repo_id=r.repo_id,
            org=r.hub_org or r.repo_id.split("/", 1)[0],
            architecture=(r.architectures or [None])[0],
            model_type=r.model_type,
            release_at=r.release_at,
        )
        for r in rows
        if not r.is_derivative and r.watched
    ]
    facts = assign_families(candidates)
    changes = []
    for r in rows:
        fact = facts.get(r.id)
        wanted = (fact.family, fact.new_architecture, fact.new_model_type) if fact else (None, False, False)
        if (r.family, bool(r.new_architecture), bool(r.new_model_type)) != wanted:
            changes.append({"row_id": r.id, "f": wanted[0], "na": wanted[1], "nt": wanted[2]})
    if changes:
        # One executemany instead of loading each ORM object: a first cycle changes every row.
        table = Model.__table__
        statement = (
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(family=bindparam("f"), new_architecture=bindparam("na"), new_model_type=bindparam("nt"))
        )
        session.execute(statement, changes)
        # Objects already loaded in this session must not keep (or later write back) the old values.
        for change in changes:
            loaded = session.identity_map.get(identity_key(Model, change["row_id"]))
            if loaded is not None:
                set_committed_value(loaded, "family", change["f"])
                set_committed_value(loaded, "new_architecture", change["na"])
                set_committed_value(loaded, "new_model_type", change["nt"])
    return len(changes)


# -- webhooks ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryReceipt:
    """What the webhook endpoint answers: a new delivery to process, or a duplicate already recorded."""

    delivery_id: int
    duplicate: bool


def record_webhook_delivery(session: Session, payload: HubWebhookPayload, now: datetime) -> DeliveryReceipt:
    """Store the delivery once (idempotent on its dedupe key, even under concurrent deliveries)."""
    key = payload.dedupe_key()
    row = {
        "dedupe_key": key,
        "received_at": now,
        "scope": payload.event.scope[:64],
        "action": payload.event.action[:32],
        "repo_hub_id": (payload.repo.id or None),
        "repo_name": payload.repo.name[:300],
    }
    # RETURNING tells a fresh insert from a skipped one on both dialects (psycopg's rowcount does not).
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(WebhookDelivery.__table__)
        .values(row)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(WebhookDelivery.__table__.c.id)
    )
    inserted = session.execute(statement).scalar_one_or_none()
    delivery_id = session.execute(
        select(WebhookDelivery.id).where(WebhookDelivery.dedupe_key == key)
    ).scalar_one()
    return DeliveryReceipt(delivery_id, duplicate=inserted is None)


def process_webhook_delivery(
    session_factory: sessionmaker[Session], client: HubClient, delivery_id: int, payload: HubWebhookPayload
) -> str:
    """Refresh the model a delivery is about and note the outcome on the delivery. Never raises.

    Turned public (created public, or ``repo.config`` private→public): the release time is observed at the
    delivery's receipt time. Deleted or private again: the model is marked gone. Moved: followed.
    Anything else: the model is refreshed with ``model_info``. Only watched publishers' models are stored.
    """
    with session_scope(session_factory) as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None:
            return "unknown delivery"
        received_at = delivery.received_at
    try:
        outcome = _process(session_factory, client, payload, received_at)
    except (HubError, InvalidName) as exc:
        outcome = f"error: {exc}"
        log.error("Hub webhook for %s failed: %s (the next poll cycle will catch up)", payload.repo.name, exc)
    with session_scope(session_factory) as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is not None:
            delivery.outcome = outcome[:2000]
            delivery.processed_at = received_at
        if outcome.startswith(("refreshed", "gone")):
            # Webhooks are for latency: bring this model's gap rows up to date now, not at the next poll.
            changed = _model_of(session, payload)
            if changed is not None:
                refresh_gaps(session, models=[changed.id])
    return outcome


def _model_of(session: Session, payload: HubWebhookPayload) -> Model | None:
    if payload.repo.id:
        row = session.execute(select(Model).where(Model.hub_id == payload.repo.id)).scalar_one_or_none()
        if row is not None:
            return row
    name = payload.moved_to.name if payload.event.action == "move" and payload.moved_to else payload.repo.name
    return session.execute(select(Model).where(Model.repo_id == name)).scalar_one_or_none()


def _process(
    session_factory: sessionmaker[Session],
    client: HubClient,
    payload: HubWebhookPayload,
    received_at: datetime,
) -> str:
    if payload.repo.type != "model":
        return f"ignored: {payload.repo.type} repo"
    scope = payload.base_scope
    if not scope.startswith("repo"):
        return f"ignored: scope {payload.event.scope}"
    name = payload.moved_to.name if payload.event.action == "move" and payload.moved_to else payload.repo.name
    check_repo_id(name)

    with session_scope(session_factory) as session:
        row = None
        if payload.repo.id:
            row = session.execute(select(Model).where(Model.hub_id == payload.repo.id)).scalar_one_or_none()
        watched = _watched_publisher(session, name.split("/", 1)[0])
        if row is None and watched is None:
            return f"ignored: {name.split('/', 1)[0]} is not a watched publisher"
        if (scope == "repo" and payload.event.action == "delete") or payload.turned_private:
            if row is None:
                return "ignored: unknown repo"
            why = "deleted (webhook)" if payload.event.action == "delete" else "made private (webhook)"
            return "gone" if mark_gone(session, row, received_at, why) else "already gone"

    try:
        hub = client.model_info(name)
    except HubRepoNotFound:
        return "not public (model_info: not found)"
    with session_scope(session_factory) as session:
        publisher = _watched_publisher(session, hub.org) or publisher_for(session, hub.org)
        state = source_state.get_state(session, KIND, hub.org)
        already_watched = bool((state.cursor or {}).get("complete_listing_at"))
        outcome = apply_hub_model(
            session,
            hub,
            publisher,
            received_at,
            seen_turning_public=payload.turned_public or already_watched,
            seen_at=received_at if payload.turned_public else None,
        )
        refresh_release_facts(session)
    return f"refreshed ({outcome})"


def _watched_publisher(session: Session, org: str) -> Publisher | None:
    publisher = session.execute(select(Publisher).where(Publisher.hub_org == org)).scalar_one_or_none()
    return publisher if publisher is not None and publisher.watched else None

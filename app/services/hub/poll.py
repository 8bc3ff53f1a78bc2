"""One Hub polling cycle: retrieve each watched publisher's full listing, apply it, record the poll state.

Each cycle lists every watched publisher in full (a repo made public late sorts by its old ``createdAt``,
so "newest N" would miss it), keys models by the Hub ``_id`` (renames are followed), confirms with
``model_info`` any known repo that vanished from a complete listing (deleted or made private again: marked
gone, never dropped), and records per-org poll state in ``SourceState`` (kind ``hub_publisher``).

"Seen turning public" needs a complete listing of that publisher read before: the cursor keeps
``complete_listing_at``, written only when every page was read, so a cycle cut short by a rate limit never
makes old repos look new. Hub errors are reported in the ``CycleReport`` and the poll state, never raised.
No transaction is open while waiting on the network.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.db.session import session_scope
from app.models.model import Model
from app.services.hub.apply import (
    apply_hub_model,
    apply_hub_models,
    mark_gone,
)
from app.services.hub.decide import PUBLIC
from app.services.operations import source_state
from app.services.releases.publishers import name_publishers, publisher_for, sync_publishers, watched_orgs
from app.services.releases.store import refresh_families
from app.sources.hub import (
    HubClient,
    HubError,
    HubModel,
    HubPublisherNotFound,
    HubRateLimited,
    HubRepoNotFound,
    HubUnavailable,
)
from app.sources.hub.types import InvalidName, check_org

log = logging.getLogger(__name__)

KIND = source_state.HUB_PUBLISHER
DEFAULT_INTERVAL = timedelta(minutes=15)
DEFAULT_RETRY = timedelta(minutes=5)


@dataclass(frozen=True)
class OrgResult:
    """What one cycle did for one publisher. ``status``: ok, partial, rate_limited, not_found, error,
    skipped (another worker holds its lease), not-due (polled recently, by this process or another) or
    deferred (the cycle stopped first: a rate limit, or the Hub could not be reached)."""

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


def poll_publishers(
    session_factory: sessionmaker[Session],
    client: HubClient,
    orgs: Sequence[str] | None,
    now: datetime,
    *,
    owner: str | None = None,
    only_due: bool = False,
    interval: timedelta = DEFAULT_INTERVAL,
    retry_after_error: timedelta = DEFAULT_RETRY,
) -> CycleReport:
    """Run one cycle over ``orgs`` (default: every watched publisher) and report what happened.

    ``only_due`` (the watchers): an org whose next check is still ahead is left alone (``not-due``). That is
    checked after winning its lease, so when several processes watch one database, an org just polled by
    one is not polled again by the next: together they send what one process would.

    Never raises on Hub errors: each org's outcome is in the report and in its SourceState. A rate limit
    (ours or the Hub's) or an unreachable Hub ends the cycle; the orgs not reached are ``deferred`` and polled
    next time.
    """
    owner = owner or source_state.process_owner()
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
            # An org polled by name is watched: its releases get families and new-architecture flags.
            if name_publishers(session, org_list):
                refresh_families(session)

    results: list[OrgResult] = []
    rate_limited = False
    stopped_by: str | None = None
    any_change = False
    stop_retry_at: datetime | None = None
    for org in org_list:
        if stopped_by is not None:
            # Shown as waiting, with the time the loop really comes back (the stopping org's retry).
            waiting_until = stop_retry_at or now + retry_after_error
            with session_scope(session_factory) as session:
                state = source_state.get_state(session, KIND, org)
                source_state.record_waiting(session, state, stopped_by, waiting_until)
            results.append(OrgResult(org, "deferred", error=stopped_by, retry_at=waiting_until))
            continue
        with source_state.lease(session_factory, KIND, org, owner, now) as won:
            if not won:
                results.append(OrgResult(org, "skipped", error="another worker holds the lease"))
                continue
            if only_due and not _is_due(session_factory, org, now):
                results.append(OrgResult(org, "not-due"))
                continue
            result, changed = _poll_org(session_factory, client, org, now, interval, retry_after_error)
        results.append(result)
        any_change = any_change or changed
        rate_limited = result.rate_limited
        if result.rate_limited or result.unreachable:
            stop_retry_at = result.retry_at
        if result.rate_limited:
            stopped_by = "cycle stopped by a rate limit"
        elif result.unreachable:
            # Connection refused, DNS failure, timeout: every other org would wait for the same retries.
            stopped_by = f"cycle stopped: the Hub could not be reached while polling {org}"

    if any_change:
        with session_scope(session_factory) as session:
            refresh_families(session)
    return CycleReport(
        started_at=now,
        results=tuple(results),
        requests=client.requests_sent - requests_before,
        rate_limited=rate_limited,
        problems=tuple(problems),
    )


def _is_due(session_factory: sessionmaker[Session], org: str, now: datetime) -> bool:
    with session_scope(session_factory) as session:
        state = source_state.get_state(session, KIND, org)
        return state.next_check_at is None or state.next_check_at <= now


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
                    Model.visibility == PUBLIC,
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
            retry_at = retry_time(error, now, retry_after_error) if error else now + interval
            source_state.record_failure(session, state, now, message, retry_at)
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


def retry_time(error: HubError, now: datetime, retry_after_error: timedelta) -> datetime:
    """When to ask the Hub again after ``error``: when a rate limit says, else after ``retry_after_error``
    (the publisher polls and the firehose alike)."""
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
    retry_at = retry_time(exc, now, retry_after_error)
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

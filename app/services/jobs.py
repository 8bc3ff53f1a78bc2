"""The workflows every entry point runs, written once: each brings the gap rows up to date after the data
it changed, so the CLI, the watcher loop and the webhook endpoint cannot drift apart.

- reference data (catalog, facts, publishers, first-start snapshot) → refresh gaps, before a process serves
  or watches (``bootstrap_reference_data``);
- scan → refresh gaps → commit (``scan_then_refresh``);
- poll → refresh gaps (``poll_then_refresh``), and the same for the Hub firehose (``firehose_then_refresh``);
- import → refresh gaps (``import_then_refresh``, ``import_snapshot_then_refresh``);
- a webhook delivery → refresh the model and its gaps (``process_webhook``).

Each refresh reports the cells that gained support; the workflows owe them to the matching watches by
writing the outbox in the refresh's own transaction (``app/services/watches/outbox.py``), except what is
history: a source's first successful scan or poll lists its whole past, and imports load past facts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from app.db.session import refresh_planner_statistics, run_in_transaction, session_scope
from app.domain.runtime_spec import RuntimeSpec
from app.services.gaps.refresh import refresh_gaps
from app.services.operations import source_state
from app.services.runtimes.scan import ScanError, ScanSummary, scan_runtime
from app.services.snapshot.build import BUNDLED_SNAPSHOT
from app.services.watches.outbox import enqueue_deliveries, first_poll_models

if TYPE_CHECKING:
    from app.config import Settings
    from app.services.hub.firehose import FirehoseReport
    from app.services.hub.poll import CycleReport
    from app.services.hub.webhook_queue import WebhookQueue
    from app.services.releases.facts import ImportReport
    from app.services.releases.publishers import PublisherView
    from app.services.snapshot.exchange import SnapshotImport
    from app.services.snapshot.format import Snapshot
    from app.sources.hub.webhook import HubWebhookPayload

# Each workflow imports the sources it alone runs (the Hub client, the release and snapshot readers) when it
# runs: a one-off `launchgap scan` loads no Hub client (docs/operations.md, "The command line").


def bootstrap_reference_data(
    factory: sessionmaker[Session],
    settings: Settings,
    *,
    now: datetime,
    snapshot: Path | None = BUNDLED_SNAPSHOT,
) -> None:
    """Reference data every process needs (``load_reference_data``: catalog, release facts, publishers, the
    bundled snapshot on an empty database), then the materialised gap rows, in one transaction before the
    server listens: a first start serves the snapshot's data from its first request. Past facts notify no
    watch."""

    from app.services.operations.bootstrap import load_reference_data

    def bootstrap(session: Session) -> None:
        load_reference_data(session, settings, now=now, snapshot=snapshot)
        # The gap table must reflect what is in the database now (facts imported, catalog changed) even when
        # no watcher runs; the refresh writes only differences, so a restart with nothing new costs a diff.
        refresh_gaps(session)
        refresh_planner_statistics(session)

    # Several processes starting at once on one database race to create the same rows: the loser runs
    # the bootstrap again and finds them.
    run_in_transaction(factory, bootstrap)


def scan_then_refresh(
    session: Session,
    spec: RuntimeSpec,
    *,
    data_dir: Path,
    repo: str | None,
    now: datetime,
    upstream: str | None = None,
    ref: str | None = None,
    progress: Callable[[str], None] | None = None,
    interval: timedelta = timedelta(minutes=15),
    retry_after: timedelta = timedelta(minutes=5),
    one_off: bool = False,
    pull_requests: bool = True,
) -> ScanSummary:
    """Scan one runtime (``repo``: a copy of ``upstream``, which evidence links name), bring its gap rows up
    to date and commit both together (``one_off``: see ``scan_runtime``; the configured source's health is
    left alone).

    On ``ScanError`` the failure noted on the runtime's source state (and nothing of the scan) is committed,
    and the error is raised again for the caller to report.
    """
    try:
        summary = scan_runtime(
            session,
            spec,
            data_dir=data_dir,
            repo=repo,
            upstream=upstream,
            ref=ref,
            now=now,
            progress=progress,
            interval=interval,
            retry_after=retry_after,
            one_off=one_off,
            pull_requests=pull_requests,
        )
    except ScanError:
        session.commit()
        raise
    # Nothing the gap rows read changed (a rescan with nothing new): they are up to date already.
    if summary.changed or summary.first_scan:
        report = refresh_gaps(session, runtimes=[spec.name])
        if not summary.first_scan:  # the support a later scan finds is news, whatever the age of its commit
            enqueue_deliveries(session, report.gained_support, now=now)
    session.commit()
    return summary


def poll_then_refresh(
    factory: sessionmaker[Session],
    settings: Settings,
    orgs: Sequence[str] | None,
    now: datetime,
    **options: Any,
) -> CycleReport:
    """One Hub polling cycle over ``orgs`` (None: every watched publisher), then the gap rows.

    ``options`` go to ``poll_publishers`` (lease owner, interval, retry delay). The refresh diffs the whole
    table: it also picks up models a webhook changed since the last cycle.
    """
    from app.services.hub.poll import poll_publishers
    from app.sources.hub.client import HubClient

    with factory() as session:
        polled_before = source_state.ever_succeeded(session, source_state.HUB_PUBLISHER)
    with HubClient.from_settings(settings) as client:
        report = poll_publishers(factory, client, orgs, now, **options)
    with session_scope(factory) as session:
        refreshed = refresh_gaps(session)
        # A model that appears with support already there is news, unless its publisher's first successful
        # poll listed it (that poll is history).
        history = first_poll_models(session, polled_before)
        gained = [key for key in refreshed.gained_support if key[0] not in history]
        enqueue_deliveries(session, gained, now=now)
    return report


def firehose_then_refresh(
    factory: sessionmaker[Session], settings: Settings, now: datetime, **options: Any
) -> FirehoseReport:
    """One Hub firehose cycle (``app/services/hub/firehose.py``; ``options``: lease owner, due check), then
    the gap rows when it changed anything. Releases the first, backfilling pass found are history; later
    ones were seen turning public and may be news to a watch."""
    from app.services.hub.firehose import read_firehose
    from app.sources.hub.client import HubClient

    with HubClient.from_settings(settings) as client:
        report = read_firehose(
            factory,
            client,
            now,
            interval=timedelta(seconds=settings.hub_firehose_interval_seconds),
            backfill=timedelta(days=settings.hub_firehose_backfill_days),
            retry_after_error=timedelta(seconds=settings.retry_after_error_seconds),
            window=settings.early_access_window,
            **options,
        )
    if report.changed:
        with session_scope(factory) as session:
            refreshed = refresh_gaps(session)
            if all(result.observed for result in report.results):
                enqueue_deliveries(session, refreshed.gained_support, now=now)
    return report


def set_publisher_watched(session: Session, org: str, watched: bool) -> PublisherView | None:
    """An operator watches or un-watches a publisher (None: unknown), then the release facts and gap rows
    that depend on who is watched; the caller commits. Nothing it changes is news to a watch."""
    from app.services.releases.publishers import PublisherView, set_watched
    from app.services.releases.store import refresh_families

    publisher = set_watched(session, org, watched)
    if publisher is None:
        return None
    refresh_families(session)
    refresh_gaps(session)
    return PublisherView.of(publisher)


def import_file(factory: sessionmaker[Session], settings: Settings, path: Path) -> ImportReport:
    """``launchgap import releases``: sync the publishers, import ``path`` and refresh the gaps in one
    transaction, run again if a concurrent import created the same rows first."""
    from app.services.releases.publishers import sync_publishers

    def work(session: Session) -> ImportReport:
        sync_publishers(session, settings.publishers_file, named=settings.hub_orgs or ())
        return import_then_refresh(session, path)

    return run_in_transaction(factory, work)


def import_then_refresh(session: Session, path: Path) -> ImportReport:
    """Import the release facts in ``path`` (idempotent), then the gap rows; the caller commits. Past facts
    notify no watch."""
    from app.services.releases.facts import import_releases

    report = import_releases(session, path)
    refresh_gaps(session)
    return report


def import_snapshot_then_refresh(session: Session, snapshot: Snapshot, *, now: datetime) -> SnapshotImport:
    """Add a snapshot's evidence and facts (never overwriting), then the gap rows; the caller commits, so the
    import is one transaction."""
    from app.services.snapshot.exchange import import_snapshot

    report = import_snapshot(session, snapshot, now=now)
    if report.changed:
        refresh_gaps(session)
    return report


def webhook_queue(factory: sessionmaker[Session], settings: Settings) -> WebhookQueue:
    """The queue Hub webhooks wait in (``app/services/hub/webhook_queue.py``), processing each with
    ``process_webhook`` on a thread of its own."""
    from app.services.hub.webhook_queue import WebhookQueue
    from app.services.hub.webhooks import mark_coalesced

    return WebhookQueue(
        lambda delivery_id, payload: process_webhook(factory, settings, delivery_id, payload),  # type: ignore[arg-type]
        lambda delivery_ids, into: mark_coalesced(factory, delivery_ids, into),
    )


def process_webhook(
    factory: sessionmaker[Session], settings: Settings, delivery_id: int, payload: HubWebhookPayload
) -> str:
    """Process a recorded webhook delivery with a Hub client of its own, then the changed model's gap rows
    (webhooks are for latency: now, not at the next poll; should this refresh fail, the next poll cycle's
    whole-table refresh catches up). Returns the delivery's outcome."""
    from app.services.hub.webhooks import process_webhook_delivery
    from app.sources.hub.client import HubClient

    with HubClient.from_settings(settings) as client:
        result = process_webhook_delivery(factory, client, delivery_id, payload)
    if result.changed_model is not None and result.received_at is not None:
        with session_scope(factory) as session:
            report = refresh_gaps(session, models=[result.changed_model])
            # A webhook is a live observation, never history: cells it makes supported notify watches.
            enqueue_deliveries(session, report.gained_support, now=result.received_at)
    return result.outcome

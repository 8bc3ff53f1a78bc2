"""The watcher loop: polls the Hub and scans runtime repositories, each source on its own schedule.

Each source's schedule lives in its SourceState (``next_check_at``), so restarts and several processes
agree on what is due. A failing source is recorded and retried later; it never stops the loop or the
other sources. Blocking work (HTTP, git) runs in worker threads so the API keeps answering.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db.session import session_scope
from app.domain.runtime_spec import RuntimeSpec
from app.services.hub.poll import CycleReport
from app.services.jobs import firehose_then_refresh, poll_then_refresh, scan_then_refresh
from app.services.operations import source_state
from app.services.operations.announce import first_cycle_summary
from app.services.releases.publishers import discovered_orgs
from app.services.runtimes.fetch import declared_source
from app.services.runtimes.scan import ScanError
from app.services.watches.sender import DeliverySender
from app.sources.runtimes.catalog import CATALOG

if TYPE_CHECKING:
    from app.services.hub.firehose import FirehoseReport

logger = logging.getLogger(__name__)


def configured_runtimes(settings: Settings) -> list[RuntimeSpec]:
    """The catalog runtimes the watchers scan: ``LAUNCHGAP_RUNTIMES`` when set, else the whole catalog."""
    names = settings.runtimes if settings.runtimes is not None else list(CATALOG)
    return [CATALOG[name] for name in names if name in CATALOG]


class WatcherLoop:
    """Runs the Hub watcher and the runtime scanners until asked to stop."""

    def __init__(
        self,
        settings: Settings,
        factory: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        owner: str | None = None,
        after_refresh: Callable[[], None] | None = None,
    ) -> None:
        self.settings = settings
        self.factory = factory
        self.clock = clock
        self.owner = owner or source_state.process_owner()
        self.stopping = threading.Event()
        """Set when the loop is asked to stop: cycles check it between sources."""
        self.first_cycle_logged = False
        """Whether the line after the first runtime cycle (``announce.first_cycle_summary``) was logged."""
        self.after_refresh = after_refresh
        """Called (in the cycle's thread; it must return at once) after each refresh of the gap rows this
        loop ran: ``launchgap serve`` computes the common answers then (``app/api/warm.py``)."""
        self.sender = DeliverySender(
            factory, owner=self.owner, allow_private=settings.webhook_allow_private, clock=clock
        )

    def runtimes(self) -> list[RuntimeSpec]:
        return configured_runtimes(self.settings)

    def hub_cycle(self) -> float | None:
        """One Hub polling cycle over ``LAUNCHGAP_HUB_ORGS`` and the publishers the firehose discovered when
        set (``[]``: no publisher at all), else every watched publisher (errors are recorded per publisher).

        Returns the seconds until the next cycle: the interval, or sooner when a publisher failed or waits,
        so the retry time recorded (and shown on the dashboard) is when the loop really comes back.
        """
        if self.settings.hub_orgs == []:
            return None
        orgs = self.settings.hub_orgs
        if orgs is not None:
            with session_scope(self.factory) as session:
                # The list replaces the publishers file, not what the firehose discovered.
                orgs = list(dict.fromkeys([*orgs, *discovered_orgs(session)]))
        report = poll_then_refresh(
            self.factory,
            self.settings,
            orgs,
            self.clock(),
            owner=self.owner,
            only_due=True,
            interval=timedelta(seconds=self.settings.watch_interval_seconds),
            retry_after_error=timedelta(seconds=self.settings.retry_after_error_seconds),
        )
        self.refreshed()  # a polling cycle always ends with a refresh
        return next_hub_wait(report, self.clock(), self.settings.watch_interval_seconds)

    def firehose_cycle(self) -> float | None:
        """One firehose cycle (both listings, each from its cursor to now) when ``LAUNCHGAP_HUB_FIREHOSE``
        is on; returns the seconds until the next one (sooner after a rate limit or an error that set an
        earlier retry)."""
        if not self.settings.hub_firehose:
            return None
        report = firehose_then_refresh(
            self.factory, self.settings, self.clock(), owner=self.owner, only_due=True
        )
        if report.changed:
            self.refreshed()
        return next_hub_wait(report, self.clock(), self.settings.hub_firehose_interval_seconds)

    def runtime_cycle(self) -> None:
        """Scan every runtime that is due and whose lease this process wins (until asked to stop); after the
        first full cycle, log once how many runtime sources were reached."""
        for spec in self.runtimes():
            if self.stopping.is_set():
                return
            self.scan_if_due(spec)
        if not self.first_cycle_logged:
            self.first_cycle_logged = True
            with session_scope(self.factory) as session:
                logger.info("%s", first_cycle_summary(session, [spec.name for spec in self.runtimes()]))

    def scan_if_due(self, spec: RuntimeSpec) -> None:
        now = self.clock()
        with session_scope(self.factory) as session:
            state = source_state.get_state(session, source_state.RUNTIME_REPO, spec.name)
            if state.next_check_at is not None and state.next_check_at > now:
                return
        with source_state.lease(self.factory, source_state.RUNTIME_REPO, spec.name, self.owner, now) as won:
            if won:
                self._scan(spec, now)

    def _scan(self, spec: RuntimeSpec, now: datetime) -> None:
        try:
            with session_scope(self.factory) as session:
                # The scan writes the SourceState itself (success with the next check, or the failure with
                # its retry time, outside its rolled-back savepoint), and the workflow commits either.
                repo, upstream = declared_source(spec, self.settings.runtime_repos)
                scan_then_refresh(
                    session,
                    spec,
                    data_dir=self.settings.data_dir,
                    repo=repo,
                    upstream=upstream,
                    now=now,
                    interval=timedelta(seconds=self.settings.watch_interval_seconds),
                    retry_after=timedelta(seconds=self.settings.retry_after_error_seconds),
                    pull_requests=not (repo and spec.name in self.settings.fork_copies),
                )
            # A scan that found nothing refreshed nothing: every answer is still kept, and warming costs a
            # version read per answer.
            self.refreshed()
        except ScanError:
            # Recorded on the source's state, which logs it when the source starts failing or fails
            # differently (``source_state.record_failure``), not at every retry.
            pass
        except Exception as exc:  # e.g. a database error: one broken runtime must not stop the others
            logger.exception("scan of %s failed", spec.name)
            with session_scope(self.factory) as session:
                state = source_state.get_state(session, source_state.RUNTIME_REPO, spec.name)
                retry = self.clock() + timedelta(seconds=self.settings.retry_after_error_seconds)
                source_state.record_failure(
                    session, state, self.clock(), f"{type(exc).__name__}: {exc}", retry
                )

    def refreshed(self) -> None:
        """Tell ``after_refresh`` that the gap rows were refreshed (its failure is logged, never raised)."""
        if self.after_refresh is None:
            return
        try:
            self.after_refresh()
        except Exception:
            logger.exception("could not start warming the answers after a refresh")

    def delivery_cycle(self) -> None:
        """Send every watch delivery that is due (until asked to stop)."""
        while not self.stopping.is_set() and self.sender.run_once(should_stop=self.stopping.is_set):
            pass

    async def _repeat(
        self, name: str, work: Callable[[], float | None], stop: asyncio.Event, period: float
    ) -> None:
        """Run ``work`` until stopped, waiting ``period`` between runs, or what ``work`` returns instead."""
        while not stop.is_set():
            wait = period
            try:
                wait = await run_in_daemon_thread(work, f"launchgap-{name}") or period
            except Exception:
                logger.exception("%s watcher cycle failed; retrying next period", name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)

    async def run(self, stop: asyncio.Event) -> None:
        """Run both watchers until ``stop`` is set."""
        # Sources keep their own next_check_at; waking up more often than the interval only checks what is due.
        period = max(5.0, min(60.0, self.settings.watch_interval_seconds / 4))

        async def relay_stop() -> None:
            await stop.wait()
            self.stopping.set()

        relay = asyncio.create_task(relay_stop())
        try:
            await asyncio.gather(
                self._repeat("hub", self.hub_cycle, stop, self.settings.watch_interval_seconds),
                self._repeat(
                    "firehose", self.firehose_cycle, stop, self.settings.hub_firehose_interval_seconds
                ),
                self._repeat("runtimes", self.runtime_cycle, stop, period),
                self._repeat(
                    "deliveries", self.delivery_cycle, stop, self.settings.watch_send_interval_seconds
                ),
            )
        finally:
            relay.cancel()
            self.release_leases()

    def release_leases(self) -> None:
        """Give back every lease this process holds (at shutdown), so other processes need not wait for
        them to expire. Idempotent."""
        try:
            with session_scope(self.factory) as session:
                released = source_state.release_all_leases(session, self.owner)
        except Exception:  # shutting down: the leases expire by themselves within LEASE_TTL anyway
            logger.exception("could not release this process's leases")
            return
        if released:
            logger.info("released %d lease(s) held by %s", released, self.owner)


# The Hub loop never comes back sooner than this after a failure (a flapping Hub is not hammered).
MIN_HUB_WAIT_SECONDS = 5.0


def next_hub_wait(report: CycleReport | FirehoseReport, now: datetime, interval_seconds: float) -> float:
    """Seconds until the next Hub cycle (publisher polls or the firehose): the earliest retry a publisher
    or listing was given, else the interval."""
    retries = [r.retry_at for r in report.results if r.retry_at is not None]
    if not retries:
        return float(interval_seconds)
    until_retry = (min(retries) - now).total_seconds()
    return min(float(interval_seconds), max(MIN_HUB_WAIT_SECONDS, until_retry))


async def run_in_daemon_thread(work: Callable[[], float | None], name: str) -> float | None:
    """Run blocking ``work`` in a daemon thread and await it.

    Unlike ``asyncio.to_thread``, a daemon thread does not hold the process at exit: on shutdown the server
    waits a bounded time for the current step, then exits; an interrupted step's transaction is rolled back
    by the database, and every write is idempotent, so the next run redoes it.
    """
    loop = asyncio.get_running_loop()
    finished: asyncio.Future[float | None] = loop.create_future()

    def settle(result: float | None, error: BaseException | None) -> None:
        if finished.done():
            return
        if error is None:
            finished.set_result(result)
        else:
            finished.set_exception(error)

    def target() -> None:
        result: float | None = None
        error: BaseException | None = None
        try:
            result = work()
        except BaseException as exc:
            error = exc
        with contextlib.suppress(RuntimeError):  # the event loop may already be closed at shutdown
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=target, name=name, daemon=True).start()
    return await finished

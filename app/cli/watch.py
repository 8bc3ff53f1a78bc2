"""``launchgap watch …`` and ``launchgap import releases FILE.csv``: parse, call a service, print."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from app.cli import get_settings
from app.clock import utcnow

if TYPE_CHECKING:
    from app.config import Settings


def _outcome(error: str | None, retry_at: datetime | None) -> str:
    """The end of a Hub result line, the same for publisher polls and firehose listings: the error, and when
    the rate limit lets the next request go."""
    line = f" error={error}" if error else ""
    return line + (f" retry_at={retry_at:%Y-%m-%dT%H:%M:%SZ}" if retry_at else "")


def register(cli: typer.Typer) -> None:
    """Add the ``watch`` group and the ``import`` group to the ``launchgap`` command."""
    watch = typer.Typer(help="Watch sources for new releases and support.", invoke_without_command=True)
    importer = typer.Typer(help="Import facts from files.", no_args_is_help=True)

    @watch.callback()
    def watch_all(ctx: typer.Context) -> None:
        """Without a sub-command: run every watcher in a loop until interrupted."""
        if ctx.invoked_subcommand is None:
            _run_forever(get_settings())

    @watch.command("hub")
    def watch_hub(
        once: bool = typer.Option(False, "--once", help="Run one cycle and exit."),
        org: list[str] = typer.Option(None, "--org", help="Poll only this org (repeatable)."),
    ) -> None:
        """Poll the watched Hugging Face publishers (the endpoint comes from the settings / HF_ENDPOINT)."""
        from app.db.session import open_database, session_scope
        from app.services.jobs import poll_then_refresh
        from app.services.releases.publishers import sync_publishers

        settings = get_settings()
        if org:
            # Named orgs are watched (and polled) exactly as if LAUNCHGAP_HUB_ORGS listed them.
            settings = settings.model_copy(update={"hub_orgs": list(org)})
        if not once:
            _run_forever(settings)
            return
        with open_database(settings.database_url) as factory:
            with session_scope(factory) as session:
                sync_publishers(session, settings.publishers_file, named=settings.hub_orgs or ())
            # --org, else LAUNCHGAP_HUB_ORGS (an empty list polls nothing), else (None) every watched publisher.
            orgs = list(org) if org else settings.hub_orgs
            report = poll_then_refresh(factory, settings, orgs, utcnow())
        for problem in report.problems:
            typer.echo(f"error: {problem}", err=True)
        for r in report.results:
            line = f"{r.org}: {r.status} pages={r.pages} listed={r.listed} new={r.new} updated={r.updated}"
            line += f" renamed={r.renamed} gone={r.gone}"
            typer.echo(line + _outcome(r.error, r.retry_at))
        typer.echo(
            f"{report.requests} Hub request(s); {'rate limited' if report.rate_limited else 'complete'}"
        )
        if not report.ok or report.problems:
            raise typer.Exit(1)

    @watch.command("firehose")
    def watch_firehose() -> None:
        """One firehose cycle: read the whole Hub's newest models, each listing from its cursor to now (docs/hub.md,
        "The firehose"); safe beside running watchers (leases)."""
        from app.db.session import open_database, session_scope
        from app.services.jobs import firehose_then_refresh
        from app.services.releases.publishers import sync_publishers

        settings = get_settings()
        with open_database(settings.database_url) as factory:
            with session_scope(factory) as session:
                sync_publishers(session, settings.publishers_file, named=settings.hub_orgs or ())
            report = firehose_then_refresh(factory, settings, utcnow())
        for r in report.results:
            line = f"{r.listing}: {r.status} pages={r.pages} items={r.items} releases={len(r.releases)}"
            line += f" discovered={','.join(r.discovered) or '-'} derivatives={r.derivatives}"
            typer.echo(line + _outcome(r.error, r.retry_at))
        typer.echo(f"{report.requests} Hub request(s)")
        if any(r.error for r in report.results):
            raise typer.Exit(1)

    @watch.command("deliveries")
    def watch_deliveries(
        once: bool = typer.Option(False, "--once", help="Send what is due now, then exit."),
    ) -> None:
        """Send due watch deliveries (what every watcher process also does), alone; safe beside others."""
        import signal
        import threading

        from app.db.session import open_database
        from app.services.watches.sender import run_sender

        settings = get_settings()
        stop = threading.Event()
        if not once:
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: stop.set())
        with open_database(settings.database_url) as factory:
            sent = run_sender(factory, settings, once=once, stop=stop, clock=utcnow)
        if once:
            typer.echo(f"{sent} delivery attempt(s)")

    @importer.command("releases")
    def import_releases_cmd(
        file: Path = typer.Argument(..., help="CSV in the format of data/releases.csv"),
    ) -> None:
        """Import dated release facts (idempotent); conflicts with the Hub are flagged, not overwritten."""
        from app.db.session import open_database
        from app.services.jobs import import_file
        from app.services.releases.facts import ReleaseFileError

        settings = get_settings()
        try:
            with open_database(settings.database_url) as factory:
                report = import_file(factory, settings, file)
        except ReleaseFileError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        typer.echo(
            f"{report.rows} fact(s): {report.created} model(s) created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {len(report.conflicts)} conflict(s)"
        )
        for conflict in report.conflicts:
            typer.echo(f"conflict: {conflict}")

    cli.add_typer(watch, name="watch")
    cli.add_typer(importer, name="import")


def _run_forever(settings: Settings) -> None:
    """Run every watcher in the foreground until SIGINT or SIGTERM."""
    import asyncio
    import signal

    from app.db.session import open_database
    from app.services.jobs import bootstrap_reference_data
    from app.services.operations.watcher_loop import WatcherLoop

    with open_database(settings.database_url) as factory:
        bootstrap_reference_data(factory, settings, now=utcnow())

        async def main() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await WatcherLoop(settings, factory, clock=utcnow).run(stop)

        asyncio.run(main())

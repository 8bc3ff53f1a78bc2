"""``launchgap snapshot export|import|build``: parse, call the snapshot services, print (``docs/data.md``)."""

from __future__ import annotations

from pathlib import Path

import typer

from app.cli import get_settings
from app.clock import utcnow


def _say(message: str) -> None:
    typer.echo(message, err=True)


def register(cli: typer.Typer) -> None:
    """Add the ``snapshot`` group to the ``launchgap`` command."""
    group = typer.Typer(
        help="Snapshots of runtime evidence and release facts (docs/data.md).", no_args_is_help=True
    )

    @group.command("export")
    def export(file: Path = typer.Argument(..., help="Where to write the snapshot (.jsonl.gz).")) -> None:
        """Write every support event, key mapping, coverage record and release fact of the database to FILE."""
        from app.db.session import open_database
        from app.services.snapshot import write_snapshot
        from app.services.snapshot.exchange import export_snapshot

        with open_database(get_settings().database_url) as factory, factory() as session:
            snapshot = export_snapshot(session)
        size = write_snapshot(file, snapshot)
        counts = ", ".join(f"{n} {k}" for k, n in snapshot.counts().items())
        typer.echo(f"wrote {file} ({size / 1e6:.1f} MB): {counts}")

    @group.command("import")
    def import_(
        file: Path = typer.Argument(..., help="A snapshot written by `snapshot export` or `build`."),
    ) -> None:
        """Add FILE's evidence and facts to the database in one transaction; nothing stored is overwritten."""
        from app.db.session import open_database, session_scope
        from app.services.jobs import import_snapshot_then_refresh
        from app.services.snapshot import SnapshotError, read_snapshot

        try:
            snapshot = read_snapshot(file)
            with open_database(get_settings().database_url) as factory, session_scope(factory) as session:
                report = import_snapshot_then_refresh(session, snapshot, now=utcnow())
        except SnapshotError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        cutoff = report.cutoff.date().isoformat() if report.cutoff else "not known"
        typer.echo(
            f"imported {file} (as of {cutoff}): {report.events_new} new events "
            f"({report.events_present} already stored), {report.key_mappings_new} key mappings "
            f"({report.key_mappings_kept} kept), coverage of {report.coverage_new} runtime stages "
            f"({report.coverage_kept} kept), {report.statements_new} version statements "
            f"({report.statements_kept} kept), releases {report.releases_created} created, "
            f"{report.releases_filled} filled, {report.releases_kept} kept as they were"
        )

    @group.command("build")
    def build(
        copies_dir: Path = typer.Option(
            ..., "--copies", help="Directory holding the copies (owner+name/repo, owner+name or owner/name)."
        ),
        out: Path = typer.Option(
            None, "--out", help="Snapshot to write (default: the bundled app/data one)."
        ),
        sources: Path = typer.Option(None, "--sources", help="List of copies (default: app/data's)."),
        work_dir: Path = typer.Option(
            Path("var/snapshot-build"), "--work-dir", help="Scratch space for the build's database."
        ),
    ) -> None:
        """Scan every listed copy with the catalog's rules into a scratch database and export it."""
        from app.services.runtimes.scan import ScanError
        from app.services.snapshot import SnapshotError, write_snapshot
        from app.services.snapshot.build import BUNDLED_SNAPSHOT, SOURCES_FILE, build_snapshot, read_sources

        target = out or BUNDLED_SNAPSHOT
        try:
            copies = read_sources(sources or SOURCES_FILE)
            snapshot = build_snapshot(
                copies, copies_dir=copies_dir, work_dir=work_dir, clock=utcnow, progress=_say
            )
        except (SnapshotError, ScanError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
        before = target.read_bytes() if target.exists() else None
        size = write_snapshot(target, snapshot)
        same = before is not None and before == target.read_bytes()
        counts = ", ".join(f"{n} {k}" for k, n in snapshot.counts().items())
        cutoff = snapshot.cutoff.isoformat() if snapshot.cutoff else "not known"
        typer.echo(
            f"wrote {target} ({size / 1e6:.2f} MB, cutoff {cutoff}): {counts}"
            + (" (unchanged)" if same else "")
        )

    cli.add_typer(group, name="snapshot")

"""``launchgap scan RUNTIME|--all``, ``launchgap catalog verify`` and ``catalog audit``: parse, call the
services, print."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import typer

from app.cli import get_settings
from app.clock import utcnow

if TYPE_CHECKING:
    from app.config import Settings
    from app.domain.runtime_spec import RuntimeSpec
    from app.services.runtimes.catalog_audit import AuditReport


def _progress(message: str) -> None:
    # Progress goes to stderr so ``--json`` output stays clean on stdout.
    if sys.stderr.isatty():
        typer.echo(f"\r\033[K{message}", err=True, nl=False)
    else:
        typer.echo(message, err=True)


def register(cli: typer.Typer) -> None:
    """Add ``scan`` and the ``catalog`` group to the ``launchgap`` command."""
    catalog = typer.Typer(help="The runtime catalog.", no_args_is_help=True)

    @cli.command("scan")
    def scan(
        runtime: str = typer.Argument(None, help="Catalog name (vllm, llama.cpp, sglang …)."),
        all_runtimes: bool = typer.Option(False, "--all", help="Scan every runtime of the catalog."),
        repo: str = typer.Option(
            None, "--repo", help="Local path or URL to scan instead of the default remote."
        ),
        ref: str = typer.Option(None, "--ref", help="Head to walk instead of the default branch."),
        upstream: str = typer.Option(
            None, "--upstream", help="The repository --repo is a copy of (URL): evidence links point there."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print the events as JSON and store nothing."),
        no_pull_requests: bool = typer.Option(
            False,
            "--no-pull-requests",
            help="--repo is a fork: its refs/pull/* are its own pull requests, not the runtime's (not read).",
        ),
    ) -> None:
        """Scan runtime histories for support events (stored idempotently, incrementally).

        Pull-request heads (``refs/pull/N/head``) date the ``proposed`` stage: a URL is fetched with them; a
        local copy is read for them when it carries them, as the runtime's own unless --no-pull-requests.
        """
        from app.domain.runtime_spec import UnknownRuntimeError
        from app.services.runtimes.catalog_views import runtimes_named

        if all_runtimes == (runtime is not None):
            raise typer.BadParameter("give one RUNTIME or --all")
        if all_runtimes and (repo or ref or upstream or no_pull_requests):
            raise typer.BadParameter(
                "--repo, --ref, --upstream and --no-pull-requests apply to one runtime, not --all"
            )
        if no_pull_requests and not repo:
            raise typer.BadParameter("--no-pull-requests says --repo is a fork's copy: give --repo too")
        if upstream and not repo:
            raise typer.BadParameter("--upstream names what --repo is a copy of: give --repo too")
        if upstream and not upstream.startswith(("https://", "http://")):
            raise typer.BadParameter(f"--upstream must be a web URL (https://…), not {upstream!r}")
        settings = get_settings()
        try:
            specs = runtimes_named(None if all_runtimes else runtime)
        except UnknownRuntimeError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        pulls = _pull_requests(settings, repo, no_pull_requests)
        if as_json:
            _print_json(specs, settings, repo, ref, upstream, pulls)
            return
        # A one-off rescan of a local copy (the configured source's check times are the server's to record)
        one_off = bool(repo) and repo != settings.runtime_repos.get(specs[0].name)
        if one_off and not ref and _nothing_new(specs[0], settings, repo, upstream, pulls(specs[0].name)):
            return
        _store(specs, settings, repo, ref, upstream, pulls)

    @catalog.command("verify")
    def verify(
        runtime: str = typer.Argument(..., help="Catalog name."),
        repo: str = typer.Option(..., "--repo", help="A real history (local path or URL) to check against."),
    ) -> None:
        """Check the hand-checked facts of RUNTIME against a real history; non-zero exit on a mismatch."""
        from app.domain.runtime_spec import UnknownRuntimeError
        from app.services.runtimes.catalog_views import runtime_named
        from app.services.runtimes.scan import ScanError
        from app.services.runtimes.verify import verify_facts

        try:
            spec = runtime_named(runtime)
            checks = verify_facts(spec, repo=repo, data_dir=get_settings().data_dir, progress=_progress)
        except (UnknownRuntimeError, ScanError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        if not checks:
            typer.echo(f"no hand-checked facts for {runtime}", err=True)
            raise typer.Exit(1)
        for check in checks:
            mark = ("ok  " if check.ok else "FAIL") if check.checked else "skip"
            fact = check.fact
            stage = fact.stage if fact.event == "added" else f"{fact.stage}-{fact.event}"
            key = f"{fact.key} @{fact.sku}" if fact.sku else fact.key
            typer.echo(f"{mark} {stage:<16} {key:<40} {fact.commit[:12]} {check.message}")
        checked = [c for c in checks if c.checked]
        failed = sum(not c.ok for c in checked)
        skipped = len(checks) - len(checked)
        typer.echo(
            f"{len(checked) - failed}/{len(checked)} facts hold"
            + (f" ({skipped} recorded on other copies not checkable here)" if skipped else "")
        )
        if failed or not checked:
            raise typer.Exit(1)

    @catalog.command("audit")
    def audit(
        runtime: str = typer.Argument(..., help="Catalog name."),
        repo: str = typer.Option(None, "--repo", help="Local path or URL (default: the catalog's remote)."),
        ref: str = typer.Option(None, "--ref", help="Head to walk instead of the default branch."),
        as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    ) -> None:
        """Audit RUNTIME's rules on a real history: era spans, silences, flaps, drops, moved files, tags, and
        (against what the configured database knows) signals whose keys are mostly dead.

        Exit 1 when a finding has no reason declared in the catalog (``audit_expected``), 2 on bad input.
        """
        from app.domain.runtime_spec import UnknownRuntimeError
        from app.services.runtimes.catalog_audit import audit_runtime, known_keys_in
        from app.services.runtimes.catalog_views import runtime_named
        from app.services.runtimes.scan import ScanError

        try:
            spec = runtime_named(runtime)
            settings = get_settings()
            report = audit_runtime(
                spec, repo=repo or settings.runtime_repos.get(spec.name), ref=ref, data_dir=settings.data_dir,
                progress=_progress, known=known_keys_in(settings.database_url, spec.name),
            )  # fmt: skip
        except (UnknownRuntimeError, ScanError) as exc:
            typer.echo(f"\nerror: {exc}", err=True)
            raise typer.Exit(2) from None
        if as_json:
            typer.echo(
                json.dumps({**report.as_json(max_findings=100_000), "seconds": report.seconds}, indent=1)
            )
        else:
            _print_audit(report)
        if report.unexplained:
            raise typer.Exit(1)

    cli.add_typer(catalog, name="catalog")


def _print_audit(report: AuditReport) -> None:
    typer.echo(
        f"\n{report.runtime}: head {report.head[:12]} ({report.head_at[:10]}), {report.commits_walked} commits "
        f"walked in {report.seconds:.1f}s"
        + (" (resumed: spans start at the first audited scan)" if report.partial else "")
    )
    for era in report.eras:
        spans = "; ".join(f"{(s[1] or '?')[:10]}..{(s[3] or 'head')[:10]}" for s in era.spans) or "never"
        silent = sum(s[4] for s in era.silences)
        typer.echo(
            f"  {era.signal} era {era.era} ({', '.join(era.globs)}): {spans}; first key "
            f"{era.first_key[1][:10] if era.first_key else '-'}; {era.keys_at_head} keys at head; "
            f"{len(era.silences)} silence(s), {silent} silent commit(s)"
        )
    for finding in sorted(report.findings, key=lambda f: (f.reason is not None, f.id)):
        mark = "expected" if finding.reason else "FINDING "
        typer.echo(
            f"{mark} {finding.id}: {finding.summary}" + (f" — {finding.reason}" if finding.reason else "")
        )
    for pattern in report.expected_unused:
        typer.echo(f"note: declared expectation {pattern!r} matched nothing in this history")
    typer.echo(f"{len(report.findings)} finding(s), {len(report.unexplained)} unexplained")


def _nothing_new(spec: RuntimeSpec, settings: Settings, repo: str, upstream: str | None, pulls: bool) -> bool:
    """Answer a one-off rescan of a local copy whose refs have not moved since its last scan, before the
    ORM and the services are loaded (``app/services/runtimes/quick_rescan.py``); False: scan as usual."""
    import time

    from app.services.runtimes.quick_rescan import unchanged_scan

    started = time.perf_counter()
    seen = unchanged_scan(spec, settings.database_url, repo=repo, pull_requests=pulls, upstream=upstream)
    if seen is None:
        return False
    typer.echo(
        f"\n{spec.name}: head {seen.head[:12]} on {seen.ref}: 0 commits, 0 file versions, 0 events (0 new, "
        f"0 retracted), keys -, {time.perf_counter() - started:.1f}s (no ref moved since the last scan)"
    )
    if seen.audit_unexplained:
        typer.echo(
            f"warning: {spec.name} audit: {len(seen.audit_unexplained)} unexplained finding(s) "
            f"({', '.join(seen.audit_unexplained[:5])}); see `launchgap catalog audit {spec.name}`",
            err=True,
        )
    return True


def _source(
    spec: RuntimeSpec, settings: Settings, repo: str | None, upstream: str | None
) -> tuple[str | None, str | None]:
    """``--repo`` (a copy of ``--upstream`` when given), else the configured copy or the catalog's URL."""
    from app.services.runtimes.fetch import declared_source

    if repo:
        return repo, upstream
    return declared_source(spec, settings.runtime_repos)


def _pull_requests(settings: Settings, repo: str | None, no_pull_requests: bool) -> Callable[[str], bool]:
    """Per runtime, whether its source's pull requests are its own: not with --no-pull-requests, nor for a
    configured copy declared a fork (``LAUNCHGAP_FORK_COPIES``) when no --repo is given."""
    if repo:
        return lambda _name: not no_pull_requests
    return lambda name: not (name in settings.runtime_repos and name in settings.fork_copies)


def _print_json(
    specs: list[RuntimeSpec],
    settings: Settings,
    repo: str | None,
    ref: str | None,
    upstream: str | None,
    pulls: Callable[[str], bool],
) -> None:
    from app.services.runtimes.fetch import collect_events
    from app.services.runtimes.scan import ScanError

    out = []
    for spec in specs:
        source, declared = _source(spec, settings, repo, upstream)
        try:
            events = collect_events(
                spec, data_dir=settings.data_dir, repo=source, ref=ref, upstream=declared,
                pull_requests=pulls(spec.name),
            )  # fmt: skip
        except ScanError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
        out.extend(e.as_json() for e in events)
    typer.echo(json.dumps(out, indent=1))


def _store(
    specs: list[RuntimeSpec],
    settings: Settings,
    repo: str | None,
    ref: str | None,
    upstream: str | None,
    pulls: Callable[[str], bool],
) -> None:
    from app.db.session import open_database
    from app.services.jobs import scan_then_refresh
    from app.services.runtimes.catalog_rows import sync_catalog
    from app.services.runtimes.scan import ScanError

    failures = 0
    with open_database(settings.database_url) as factory, factory() as session:
        sync_catalog(session)
        session.commit()
        for spec in specs:
            source, declared = _source(spec, settings, repo, upstream)
            configured = settings.runtime_repos.get(spec.name)
            try:
                summary = scan_then_refresh(
                    session, spec, data_dir=settings.data_dir, repo=source, upstream=declared, ref=ref,
                    now=utcnow(), progress=_progress,
                    # --repo naming another copy is a one-off: the server's record of its source stays.
                    one_off=repo is not None and repo != configured, pull_requests=pulls(spec.name),
                )  # fmt: skip
            except ScanError as exc:
                # Noted on the runtime's source state when the configured source failed, nothing else.
                failures += 1
                typer.echo(f"\nerror: {exc}", err=True)
                continue
            keys = ", ".join(f"{k}={v}" for k, v in summary.keys_by_signal.items()) or "-"
            typer.echo(
                f"\n{spec.name}: head {summary.head[:12]} on {summary.ref}: {summary.commits_walked} commits, "
                f"{summary.versions_read} file versions, {summary.events_found} events "
                f"({summary.events_inserted} new, {summary.retracted} retracted), keys {keys}, "
                f"{summary.seconds:.1f}s"
            )
            if summary.audit_unexplained:
                typer.echo(
                    f"warning: {spec.name} audit: {len(summary.audit_unexplained)} unexplained finding(s) "
                    f"({', '.join(summary.audit_unexplained[:5])}); see `launchgap catalog audit {spec.name}`",
                    err=True,
                )
            for name in summary.empty_signals:
                typer.echo(f"warning: {spec.name} signal {name!r} matched nothing in this history", err=True)
    if failures:
        raise typer.Exit(1)

"""`launchgap serve`: the API, the dashboard and the watchers in one process."""

from __future__ import annotations

import typer

from app.cli import get_settings


def register(cli: typer.Typer) -> None:
    @cli.command("serve")
    def serve(
        host: str | None = typer.Option(None, help="Bind address (default: LAUNCHGAP_HOST)."),
        port: int | None = typer.Option(None, help="Port (default: LAUNCHGAP_PORT)."),
        watch: bool = typer.Option(
            True, "--watch/--no-watch", help="Run the Hub and runtime watchers in-process."
        ),
    ) -> None:
        """Serve the dashboard and the REST API; SIGINT/SIGTERM shut it down cleanly."""
        import uvicorn

        from app.db.migrate import pending_revisions
        from app.main import MAX_CONCURRENT_REQUESTS, create_app

        settings = get_settings()
        pending = pending_revisions(settings.database_url)
        if pending:
            typer.echo(
                f"the database at {settings.database_url} is not migrated ({len(pending)} revision(s) pending); "
                "run `launchgap db upgrade` first",
                err=True,
            )
            raise typer.Exit(2)
        app = create_app(settings, start_watchers=watch, warm_main_page=True, warm_answers=True)
        # uvicorn installs its own SIGINT/SIGTERM handlers and runs the lifespan shutdown (watchers stop).
        uvicorn.run(
            app,
            host=host or settings.host,
            port=port or settings.port,
            log_level=settings.log_level.lower(),
            limit_concurrency=MAX_CONCURRENT_REQUESTS,
        )

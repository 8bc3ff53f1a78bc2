"""`launchgap db …`: migrations, always through the app's settings."""

from __future__ import annotations

import typer

from app.cli import get_settings


def register(cli: typer.Typer) -> None:
    group = typer.Typer(help="Database migrations.", no_args_is_help=True)

    @group.command("upgrade")
    def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
        """Migrate the database to the newest schema (or REVISION)."""
        from app.db import migrate

        migrate.upgrade(get_settings().database_url, revision)

    @group.command("downgrade")
    def downgrade(revision: str = typer.Argument(..., help="Target revision, e.g. `base` or `-1`.")) -> None:
        """Migrate the database back to REVISION."""
        from app.db import migrate

        migrate.downgrade(get_settings().database_url, revision)

    @group.command("check")
    def check() -> None:
        """Fail (exit 1) when the ORM models and the migrations differ."""
        from app.db import migrate

        difference = migrate.check(get_settings().database_url)
        if difference:
            typer.echo(f"models and migrations differ: {difference}", err=True)
            raise typer.Exit(1)
        typer.echo("models and migrations agree")

    @group.command("revision")
    def revision(message: str = typer.Option(..., "-m", "--message")) -> None:
        """Autogenerate a dated migration from the models (developers)."""
        from app.db import migrate

        migrate.revision(get_settings().database_url, message)

    cli.add_typer(group, name="db")

"""`launchgap tokens create|list|revoke`: API tokens for write endpoints (claims)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer

from app.cli import get_settings
from app.clock import utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def register(cli: typer.Typer) -> None:
    group = typer.Typer(help="API tokens (stored hashed; the secret is shown once).", no_args_is_help=True)

    @contextmanager
    def _session() -> Iterator[Session]:
        from app.db.session import open_database, session_scope

        # A command is one unit of work: leave no pooled connection behind.
        with open_database(get_settings().database_url) as factory, session_scope(factory) as session:
            yield session

    @group.command("create")
    def create(name: str = typer.Argument(..., help="Who or what the token is for.")) -> None:
        """Create a token and print its secret (it cannot be shown again)."""
        from app.services import tokens

        try:
            with _session() as session:
                token, secret = tokens.create_token(session, name, now=utcnow())
                token_id = token.id
        except ValueError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(2) from exc
        typer.echo(f"token {token_id} created for {name!r}; keep this secret, it is not stored:")
        typer.echo(secret)

    @group.command("list")
    def list_() -> None:
        """List tokens: id, name, prefix, created, last used, revoked."""
        from app.services import tokens

        with _session() as session:
            for t in tokens.list_tokens(session):
                revoked = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
                used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
                typer.echo(
                    f"{t.id}\t{t.name}\t{t.prefix}…\tcreated {t.created_at:%Y-%m-%d %H:%M}\tused {used}\t{revoked}"
                )

    @group.command("revoke")
    def revoke(token_id: int = typer.Argument(..., help="Token id from `tokens list`.")) -> None:
        """Revoke a token; requests with it get 401 from then on."""
        from app.services import tokens

        try:
            with _session() as session:
                tokens.revoke_token(session, token_id, now=utcnow())
        except LookupError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from exc
        typer.echo(f"token {token_id} revoked")

    cli.add_typer(group, name="tokens")

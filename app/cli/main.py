"""The `launchgap` command: one group, thin commands that call services."""

from __future__ import annotations

import logging
import sys

import typer

from app.cli import db, serve

cli = typer.Typer(
    name="launchgap",
    help="LaunchGap: time from an open-weights model release to runtime and hardware support.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _register_all() -> None:
    from app.cli import scan, tokens, watch

    serve.register(cli)
    db.register(cli)
    scan.register(cli)
    watch.register(cli)
    tokens.register(cli)


_register_all()


def main() -> None:
    """Console-script entry point."""
    from app.config import get_settings

    logging.basicConfig(
        level=get_settings().log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    cli()

"""The `launchgap` command: one group, thin commands that call services.

A command loads what it needs when it runs: the modules here import only typer at the top, and the settings
are read in the group's callback (which ``launchgap --help`` never reaches), so the help answers at once and
a command pays only for its own imports (docs/operations.md, "The command line").
"""

from __future__ import annotations

import logging
import sys

import typer

from app.cli import db, scan, serve, snapshot, tokens, watch, which

cli = typer.Typer(
    name="launchgap",
    help="LaunchGap: time from an open-weights model release to runtime and hardware support.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain click help: typer's rich help labels every flag `<bool>`, as if it took a value.
    rich_markup_mode=None,
)


@cli.callback()
def _start() -> None:
    """Read the settings once before any command: a bad setting (an empty webhook secret, a malformed JSON
    list) stops every command with one line per problem instead of a traceback."""
    from pydantic import ValidationError

    from app.config import get_settings

    try:
        settings = get_settings()
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            name = "LAUNCHGAP_" + "_".join(str(part) for part in error["loc"][:1]).upper()
            print(f"error: {name}: {error['msg']}", file=sys.stderr)
        raise SystemExit(2) from None
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Alembic's plugins announce themselves at INFO when first imported, which now happens after this setup.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


for _module in (serve, db, scan, snapshot, watch, tokens, which):
    _module.register(cli)


def main() -> None:
    """Console-script entry point."""
    cli()

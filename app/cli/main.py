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
    # Plain click help: typer's rich help labels every flag `<bool>`, as if it took a value.
    rich_markup_mode=None,
)


def _register_all() -> None:
    from app.cli import scan, snapshot, tokens, watch, which

    serve.register(cli)
    db.register(cli)
    scan.register(cli)
    snapshot.register(cli)
    watch.register(cli)
    tokens.register(cli)
    which.register(cli)


_register_all()


def main() -> None:
    """Console-script entry point."""
    from pydantic import ValidationError

    from app.config import get_settings

    try:
        settings = get_settings()
    except ValidationError as exc:
        # A bad setting (an empty webhook secret, a malformed JSON list) stops every command with one line
        # per problem instead of a traceback.
        for error in exc.errors(include_url=False):
            name = "LAUNCHGAP_" + "_".join(str(part) for part in error["loc"][:1]).upper()
            print(f"error: {name}: {error['msg']}", file=sys.stderr)
        raise SystemExit(2) from None
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    cli()

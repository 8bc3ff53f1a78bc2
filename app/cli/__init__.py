"""The ``launchgap`` command line (``app/cli/main.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.config import Settings


def get_settings() -> Settings:
    """``app.config.get_settings``, imported when a command runs: pydantic-settings is not loaded for
    ``--help`` (docs/operations.md, "The command line")."""
    from app.config import get_settings as read

    return read()

"""The wall clock, read in one place: entry points (routes through ``NowDep``, the CLI, the server's loops)
read it and pass ``now`` — or this function, to loops that run for long — into services, which never call
``datetime.now()`` themselves (docs/architecture.md, "Design decisions")."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, as an aware UTC time."""
    return datetime.now(UTC)

"""The Hub tests' shared set-up: pollers' sessions on the test's own connection, and Hub clients that never
wait (tests/integration/test_hub_poll.py, test_hub_orgs.py, test_firehose.py)."""

from __future__ import annotations

import socket

from sqlalchemy.orm import Session, sessionmaker

from app.sources.hub import HubClient


def savepoint_sessions(session: Session) -> sessionmaker[Session]:
    """Sessions sharing the test's rolled-back connection; their commits become savepoints, so what a poller
    commits is visible to the test and gone after it."""
    return sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )


def quiet_client(
    url: str,
    timeout: float = 2.0,
    *,
    max_retries: int = 3,
    max_body_bytes: int | None = None,
    page_size: int | None = None,
) -> HubClient:
    """A client of ``url`` that retries without waiting (no backoff, a sleep that returns at once)."""
    options: dict[str, int] = {}
    if max_body_bytes is not None:
        options["max_body_bytes"] = max_body_bytes
    if page_size is not None:
        options["page_size"] = page_size
    return HubClient(
        url, None, timeout, backoff_seconds=0, max_retries=max_retries, sleep=lambda _s: None, **options
    )


def closed_port_url() -> str:
    """The URL of a local port nobody listens on (bound, then closed): a Hub that cannot be reached."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"

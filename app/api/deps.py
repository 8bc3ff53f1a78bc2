"""FastAPI dependencies, declared once and reused by every route and view."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.config import Settings


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    """One session per request, from the factory the app built at startup."""
    session = request.app.state.session_factory()
    try:
        yield session
    finally:
        session.close()


def get_now() -> datetime:
    """The request's notion of "now" (the one place routes read the clock; services take it as an argument)."""
    return datetime.now(UTC)


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_session)]
NowDep = Annotated[datetime, Depends(get_now)]

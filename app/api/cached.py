"""Answers kept until the next gap refresh (``app/services/answers/cache.py``), for the routes that
summarise whole stages: statistics, the early-access map, lags, requirements and the gaps list's total."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from fastapi import Request
from sqlalchemy.orm import Session

from app.services.answers.cache import AnswerCache

T = TypeVar("T")


def cached(request: Request, session: Session, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``'s answer for ``key`` (the service call and every argument it takes), from this app's
    cache while no refresh happened since it was computed."""
    cache: AnswerCache = request.app.state.answer_cache
    return cache.get_or_compute(session, key, compute)

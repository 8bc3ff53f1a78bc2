"""Answers kept until the next gap refresh (``app/services/answers/cache.py``), for the routes that
summarise whole stages: statistics, the early-access map, lags, requirements and the gaps list's total.

Each kept answer is written once as an ``Answer`` (its key and its computation) by a function next to its
route; the route serves it through ``cached`` and the warmer (``app/api/warm.py``) computes the common ones
right after a refresh through ``kept``. Both go through the same function, so a warmed entry is the one the
next request looks up, never a look-alike under a different key.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from fastapi import Request
from sqlalchemy.orm import Session

from app.services.answers.cache import AnswerCache

T = TypeVar("T")


@dataclass(frozen=True)
class Answer(Generic[T]):
    """One answer as the cache keeps it: ``key`` names the service call and every argument it takes."""

    key: Hashable
    compute: Callable[[], T]


def kept(cache: AnswerCache, session: Session, answer: Answer[T]) -> T:
    """``answer``'s value from ``cache`` while no refresh happened since it was computed, else computed."""
    return cache.get_or_compute(session, answer.key, answer.compute)


def cached(request: Request, session: Session, answer: Answer[T]) -> T:
    """``answer``'s value from this app's cache (``kept``)."""
    return kept(request.app.state.answer_cache, session, answer)

"""Answers computed from the gap rows, kept until the next gap refresh.

At ten times today's data, statistics, the early-access map, lags and requirements cost hundreds of
milliseconds of Python per request; their inputs change only at a refresh (``app/services/gaps/version.py``).
So an answer is kept under its key and the version it was computed at; the first request after a refresh
computes it again (docs/operations.md).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlalchemy.orm import Session

from app.services.gaps.version import answers_version

T = TypeVar("T")


class AnswerCache:
    """Answers by key for the current version; at most ``max_entries`` (least recently used go)."""

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._version = ""
        self._entries: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, session: Session, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``'s answer for ``key``, kept until the gap rows are refreshed again."""
        version = answers_version(session)
        with self._lock:
            if version != self._version:
                self._entries.clear()
                self._version = version
            elif key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]  # type: ignore[return-value]
        answer = compute()
        with self._lock:
            if version == self._version:
                self._entries[key] = answer
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        return answer

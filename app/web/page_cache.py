"""A small in-process cache of rendered pages, for the dashboard's main page.

The main page summarises every release (leaderboard, survival curves, matrix): hundreds of milliseconds of
work whose inputs change only when a scan, poll or import lands (every few minutes at most). Serving it from
a rendered copy for a few seconds turns a burst of identical requests into one computation. When a copy
expires, one request renders the page again while the others keep getting the previous copy (stale while
revalidating), so no visitor waits behind a queue of renderings; only the very first rendering of a key is
waited for, once.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class PageCache:
    """Rendered bodies by key, fresh for ``ttl_seconds``; at most ``max_entries`` (least recently used go)."""

    def __init__(
        self, ttl_seconds: float, max_entries: int = 64, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}

    def _lookup(self, key: str) -> tuple[bytes | None, bool]:
        """The stored body (or None) and whether it is still fresh."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None, False
            self._entries.move_to_end(key)
            return entry[1], self._clock() - entry[0] < self.ttl_seconds

    def _key_lock(self, key: str) -> threading.Lock:
        with self._lock:
            return self._key_locks.setdefault(key, threading.Lock())

    def _store(self, key: str, body: bytes) -> None:
        with self._lock:
            self._entries[key] = (self._clock(), body)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                evicted, _ = self._entries.popitem(last=False)
                self._key_locks.pop(evicted, None)

    def get_or_render(self, key: str, render: Callable[[], bytes]) -> bytes:
        """A fresh body for ``key``; a stale one while another request re-renders it; else ``render()``'s."""
        if self.ttl_seconds <= 0:
            return render()
        body, fresh = self._lookup(key)
        if body is not None and fresh:
            return body
        key_lock = self._key_lock(key)
        if body is not None:
            if not key_lock.acquire(blocking=False):
                return body  # someone is re-rendering it: the previous copy will do meanwhile
        else:
            key_lock.acquire()  # first rendering of this key: wait for it rather than render it N times
        try:
            body, fresh = self._lookup(key)
            if body is None or not fresh:
                body = render()
                self._store(key, body)
            return body
        finally:
            key_lock.release()

    def __len__(self) -> int:
        """How many rendered pages are kept."""
        with self._lock:
            return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

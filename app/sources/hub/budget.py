"""Our own request budget per fixed 5-minute window, plus what the Hub's ``RateLimit`` headers tell us.

The Hub counts API requests in fixed 5-minute windows (500 for an anonymous IP). Spending at most a
configured share of that keeps room for everything else on the same IP, and stopping before the Hub says
429 means a cycle ends cleanly instead of sleeping inside the client.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from app.sources.hub.errors import HubRateLimited

WINDOW_SECONDS = 300.0


class RequestBudget:
    """At most ``limit`` requests per ``window`` seconds (fixed windows), and none while the Hub said wait.

    Thread-safe; one instance is shared by every request a ``HubClient`` makes, across cycles.
    """

    def __init__(
        self, limit: int, window: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1:
            raise ValueError("a request budget needs a limit of at least 1")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._window_start: float | None = None
        self._used = 0
        self._blocked_until = 0.0

    @property
    def used(self) -> int:
        """Requests spent in the current window."""
        with self._lock:
            self._roll(self._clock())
            return self._used

    def _roll(self, now: float) -> None:
        if self._window_start is None or now >= self._window_start + self.window:
            self._window_start = now
            self._used = 0

    def take(self) -> None:
        """Spend one request, or raise ``HubRateLimited`` saying how long until one is available."""
        with self._lock:
            now = self._clock()
            if now < self._blocked_until:
                wait = self._blocked_until - now
                raise HubRateLimited(f"the Hub asked us to wait {wait:.0f}s", retry_after=wait)
            self._roll(now)
            if self._used >= self.limit:
                assert self._window_start is not None
                wait = self._window_start + self.window - now
                raise HubRateLimited(
                    f"request budget of {self.limit} per {self.window:.0f}s spent; next window in {wait:.0f}s",
                    retry_after=wait,
                )
            self._used += 1

    def block_for(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (the Hub said 0 requests remain, or answered 429)."""
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._clock() + max(seconds, 0.0))

"""Hub webhooks waiting to be processed: a bounded queue of its own, one worker thread, repeated repos
coalesced.

A webhook is answered as soon as it is recorded; the work it causes (a Hub ``model_info``, a write, the
model's gap rows) runs here, off the event loop and off the worker threads that serve requests. A burst of
deliveries therefore never queues requests behind it, and the Hub is asked about each repo once however
many deliveries name it while it waits: the newest payload is processed and the deliveries it stands for
are marked as coalesced into it. At most ``capacity`` repos wait; beyond, the endpoint answers 503 with
``Retry-After`` (the delivery is not recorded, so the Hub's retry is processed; the next poll catches up in
any case).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

Process = Callable[[int, object], str]
"""Processes one delivery (its id, its payload) and returns its outcome; never raises."""
MarkCoalesced = Callable[[list[int], int], None]
"""Records on deliveries that another delivery (the second argument) was processed in their place."""


@dataclass
class _Waiting:
    delivery_id: int
    payload: object
    coalesced: list[int] = field(default_factory=list)


class WebhookQueue:
    """Deliveries waiting, keyed by repo (case-insensitive), oldest first; one daemon thread works them off."""

    def __init__(self, process: Process, mark_coalesced: MarkCoalesced, *, capacity: int = 200) -> None:
        self._process = process
        self._mark_coalesced = mark_coalesced
        self.capacity = capacity
        self._waiting: OrderedDict[str, _Waiting] = OrderedDict()
        self._lock = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._busy = False
        self.processed = 0

    def has_room_for(self, repo: str) -> bool:
        """Whether a delivery for ``repo`` would be taken: its repo already waits, or there is room."""
        with self._lock:
            return repo.lower() in self._waiting or len(self._waiting) < self.capacity

    def put(self, repo: str, delivery_id: int, payload: object) -> bool:
        """Queue a recorded delivery; False when the queue is full (nothing queued)."""
        key = repo.lower()
        with self._lock:
            waiting = self._waiting.get(key)
            if waiting is not None:
                # The newest payload says the most; the one it replaces is processed through it.
                waiting.coalesced.append(waiting.delivery_id)
                waiting.delivery_id, waiting.payload = delivery_id, payload
            elif len(self._waiting) >= self.capacity:
                return False
            else:
                self._waiting[key] = _Waiting(delivery_id, payload)
            self._start()
            self._lock.notify()
            return True

    def __len__(self) -> int:
        with self._lock:
            return len(self._waiting)

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="launchgap-webhooks", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._waiting and not self._stopping:
                    self._lock.wait()
                if self._stopping:
                    return
                _key, item = self._waiting.popitem(last=False)
                self._busy = True
            try:
                outcome = self._process(item.delivery_id, item.payload)
            except Exception as exc:  # the process callable records its own outcome; this is a last guard
                log.exception("webhook delivery %s failed", item.delivery_id)
                outcome = f"error: {type(exc).__name__}"
            if item.coalesced:
                try:
                    self._mark_coalesced(item.coalesced, item.delivery_id)
                except Exception:
                    log.exception("recording coalesced webhook deliveries failed")
            log.info("webhook delivery %s: %s", item.delivery_id, outcome)
            with self._lock:
                self._busy = False
                self.processed += 1 + len(item.coalesced)
                self._lock.notify_all()

    def wait_until_idle(self, timeout: float) -> bool:
        """Wait until nothing waits (tests, shutdown); False on timeout."""
        with self._lock:
            return self._lock.wait_for(lambda: not self._waiting and not self._busy, timeout)

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._lock.notify_all()

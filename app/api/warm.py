"""Computing the common answers right after a gap refresh, before a reader asks (docs/operations.md).

At ten times today's data the first request after a refresh computed its answer for seconds (propagation
7 s); every refresh (a Hub cycle, a scan that found something) opens a new version of the answers
(``app/services/gaps/version.py``). So the process that ran the refresh, and a process that starts, fills
its answer cache with the variants the dashboard and a plain API call ask for. It goes through the routes'
own ``Answer`` functions: the key warmed is the key looked up.

The work runs on one background thread: it never delays the watcher loop or the start, a nudge while it runs
asks for one more run (not one per nudge), and an error is logged, never raised. A refresh landing mid-run
only makes what was warmed before it stale: the cache drops entries of an old version by itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from sqlalchemy.orm import Session

from app.api.cached import Answer, kept
from app.api.params import gap_filters
from app.api.routes.answers import early_access_answer, latest_answer, propagation_answer, stage_lag_answer
from app.api.routes.gaps import gap_page_answer
from app.api.routes.stats import StatsParams, stats_answer
from app.clock import utcnow
from app.domain.vocabulary import Stage
from app.services.answers.cache import AnswerCache
from app.services.answers.lags import LagScope
from app.services.answers.latest import LatestScope

logger = logging.getLogger(__name__)

FIRST_GAPS_PAGE = 100
"""``GET /api/v1/gaps``'s default page size (``LimitQuery``'s default in the route)."""


def common_answers(session: Session, cache: AnswerCache, now: datetime) -> list[Answer[Any]]:
    """The answers asked for without any parameter: both statistics lists, the early-access map, the latest
    releases, propagation, the merged → documented lag and the first page of the gaps list (with its total).
    Every other variant is computed when first asked for, as before."""
    everything = LagScope()
    return [
        stats_answer(session, "vendor", StatsParams()),
        stats_answer(session, "runtime", StatsParams()),
        early_access_answer(session, now),
        latest_answer(session, LatestScope()),
        propagation_answer(session, everything),
        stage_lag_answer(session, everything),
        gap_page_answer(session, cache, gap_filters(stage=Stage.MERGED), FIRST_GAPS_PAGE, None),
    ]


def warm_answers(app: FastAPI, should_stop: Callable[[], bool] = lambda: False) -> int:
    """Compute ``common_answers`` into ``app``'s answer cache (those still kept cost one version read);
    returns how many failed. One failing answer is logged and the others are still computed."""
    cache: AnswerCache = app.state.answer_cache
    failed = 0
    with app.state.read_session_factory() as session:
        for answer in common_answers(session, cache, utcnow()):
            if should_stop():
                break
            try:
                kept(cache, session, answer)
            except Exception:
                failed += 1
                logger.exception("could not compute %r in advance", answer.key)
                session.rollback()  # PostgreSQL refuses every later statement of a failed transaction
    return failed


class Warmer:
    """Runs ``tasks`` on a background thread when nudged; at most one run at a time, plus one asked for
    while it ran (the refresh it follows may be newer than what the running one read)."""

    def __init__(self, tasks: Sequence[Callable[[], object]], name: str = "launchgap-warm-answers") -> None:
        self.tasks = tasks
        self.name = name
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._again = False
        self.stopping = threading.Event()
        self._idle = threading.Event()
        self._idle.set()

    def nudge(self) -> None:
        """A refresh happened (or the server starts): warm soon, without waiting for it."""
        with self._lock:
            if self.stopping.is_set():
                return
            if self._thread is not None:
                self._again = True
                return
            self._idle.clear()
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            for task in self.tasks:
                if self.stopping.is_set():
                    break
                try:
                    task()
                except Exception:  # warming is an optimisation: the reader computes what is missing
                    logger.exception("warming after a refresh failed")
            with self._lock:
                if not self._again or self.stopping.is_set():
                    self._thread = None
                    self._idle.set()
                    return
                self._again = False

    def stop(self, timeout: float) -> None:
        """No more runs; wait up to ``timeout`` for the current one (before the database is closed)."""
        with self._lock:
            self.stopping.set()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=timeout)

    def wait(self, timeout: float) -> bool:
        """Whether no run is going on within ``timeout`` seconds (tests, benchmarks)."""
        return self._idle.wait(timeout)

"""Application factory: the REST API, the dashboard and, unless disabled, the watchers in-process."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app import __version__
from app.api import warm
from app.api.deps import WRITE_SLOTS, KnownQueryOnly, add_body_schemas
from app.api.errors import install_error_handlers
from app.api.middleware import BodySizeLimit, RefuseNulBytes, SecurityHeaders
from app.api.request_metrics import RequestMetrics
from app.api.routes import (
    answers,
    claims,
    events,
    feeds,
    gaps,
    health,
    hooks,
    metrics,
    models,
    publishers,
    runtimes,
    stats,
    watches,
)
from app.clock import utcnow
from app.config import Settings, get_settings
from app.db.session import open_database, read_only_factory
from app.services.answers.cache import AnswerCache
from app.services.jobs import bootstrap_reference_data, webhook_queue
from app.services.operations.announce import serving_summary
from app.services.operations.watcher_loop import WatcherLoop, configured_runtimes
from app.web import views
from app.web.page_cache import PageCache

logger = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).parent / "web" / "static"
SHUTDOWN_GRACE_SECONDS = 10
REQUEST_THREADS = 8
MAX_CONCURRENT_REQUESTS = 100
"""Requests served at once by ``launchgap serve`` (uvicorn answers 503 beyond): bounds the database
connections a burst can open (``app.db.session.POOL_MAX_OVERFLOW``)."""
"""Worker threads serving sync routes. Route work is CPU-bound Python, so more threads add no throughput
on a few cores; they only queue for the GIL, and the event loop (``/healthz``, accepting connections) then
waits behind all of them: with anyio's default of 40, ``/healthz`` took up to 2 s under load."""


def _warm(app: FastAPI) -> None:
    try:
        views.warm_main_page(app, app.state.read_session_factory)
    except Exception as exc:  # a page that cannot render yet is rendered on request, as before
        logger.warning("could not render the main page in advance: %s", exc)


def _warming_tasks(app: FastAPI, *, main_page: bool) -> list[Callable[[], object]]:
    """What a refresh is followed by: the common answers, then the main page when it is kept (a copy still
    fresh is left alone; a stale one is rendered again now rather than at the next visit)."""
    tasks: list[Callable[[], object]] = [
        lambda: warm.warm_answers(app, should_stop=app.state.warmer.stopping.is_set)
    ]
    if main_page and app.state.settings.page_cache_seconds > 0:
        tasks.append(lambda: _warm(app))
    return tasks


def create_app(
    settings: Settings | None = None,
    *,
    start_watchers: bool = True,
    warm_main_page: bool = False,
    warm_answers: bool = False,
) -> FastAPI:
    """Build the ASGI app. Watchers run as background tasks of the lifespan when ``start_watchers``; with
    ``warm_main_page`` (``launchgap serve``) the main page is rendered into the page cache as the server
    starts; with ``warm_answers`` (``launchgap serve`` too) the common answers are computed into the answer
    cache as it starts and after each refresh the watchers run (``app/api/warm.py``), the main page too."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = REQUEST_THREADS
        with open_database(
            settings.database_url, busy_timeout_seconds=settings.sqlite_busy_timeout_seconds
        ) as factory:
            app.state.write_slots = asyncio.Semaphore(WRITE_SLOTS)
            app.state.webhook_queue = webhook_queue(factory, settings)
            app.state.settings = settings
            app.state.session_factory = factory
            app.state.read_session_factory = read_only_factory(factory)
            bootstrap_reference_data(factory, settings, now=utcnow())
            warming: threading.Thread | None = None
            if warm_main_page and settings.page_cache_seconds > 0:
                # Beside the startup, not in its way: visitors arriving before it is done wait for this
                # one rendering (the page cache's key lock) instead of each rendering the page.
                warming = threading.Thread(
                    target=_warm, args=(app,), name="launchgap-warm-main-page", daemon=True
                )
                warming.start()
            warmer: warm.Warmer | None = None
            if warm_answers:
                warmer = app.state.warmer = warm.Warmer(_warming_tasks(app, main_page=warm_main_page))
                warmer.nudge()
            stop = asyncio.Event()
            task: asyncio.Task[None] | None = None
            with factory() as session:  # once, what this process serves (the watchers say more later)
                names = [spec.name for spec in configured_runtimes(settings)]
                logger.info("%s", serving_summary(session, names, watching=start_watchers))
            if start_watchers:
                loop = WatcherLoop(
                    settings, factory, clock=utcnow, after_refresh=warmer.nudge if warmer else None
                )
                task = asyncio.create_task(loop.run(stop), name="launchgap-watchers")
            try:
                yield
            finally:
                stop.set()
                if warming is not None:
                    warming.join(timeout=SHUTDOWN_GRACE_SECONDS)  # before the database is closed
                if warmer is not None:
                    warmer.stop(timeout=SHUTDOWN_GRACE_SECONDS)
                if task is not None:
                    # Cycles check `stop` between sources. A step still running after the grace period (a long
                    # scan, a Hub retry) is left to its daemon thread and dies with the process; it is redone
                    # later.
                    try:
                        await asyncio.wait_for(task, timeout=SHUTDOWN_GRACE_SECONDS)
                    except (TimeoutError, asyncio.CancelledError):
                        logger.warning(
                            "watchers still busy after %ss; exiting anyway", SHUTDOWN_GRACE_SECONDS
                        )
                    loop.release_leases()
                app.state.webhook_queue.stop()

    app = FastAPI(
        title="LaunchGap",
        version=__version__,
        description="Time from an open-weights model release to support in each inference runtime and hardware vendor.",
        lifespan=lifespan,
        # /docs and /redoc are served by app/web/views.py from vendored assets (offline, strict CSP).
        docs_url=None,
        redoc_url=None,
    )
    app.state.page_cache = PageCache(settings.page_cache_seconds)
    app.state.answer_cache = AnswerCache()
    # Each middleware added wraps the ones before it: the body cap innermost, right around the routes, then
    # the NUL refusal; security headers go outermost, on every answer. All are plain ASGI (no
    # @app.middleware("http"), whose task group costs every request).
    app.add_middleware(BodySizeLimit, limits={"/hooks/huggingface": hooks.MAX_PAYLOAD_BYTES})
    app.add_middleware(RefuseNulBytes)
    install_error_handlers(app, html_error=views.error_page)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestMetrics)
    app.include_router(health.router)
    # Every API route and the feed answer 422 on a query parameter they do not know. The answers router comes
    # before models: /models/{repo_id}/requirements must match ahead of /models/{repo_id:path}.
    api_routers = (gaps.router, answers.router, models.router, runtimes.router, events.router, stats.router)
    for router in (*api_routers, claims.router, watches.router, publishers.router):
        app.include_router(router, prefix="/api/v1", dependencies=[KnownQueryOnly])
    app.include_router(feeds.router, dependencies=[KnownQueryOnly])
    app.include_router(metrics.router)
    app.include_router(hooks.router)
    # Pages refuse unknown query parameters too (an error page naming them), so `/?cb=N` is not a new page.
    app.include_router(views.router, dependencies=[KnownQueryOnly])
    add_body_schemas(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app

"""Engine and session factory. SQLite gets WAL, foreign keys and a busy timeout on every connection.

SQLite write transactions begin with ``BEGIN IMMEDIATE``: a transaction that starts as a plain (deferred)
``BEGIN``, reads, then writes while another process has written since its read snapshot fails at once with
"database is locked" — the busy timeout cannot help, as waiting would not make its snapshot current. Taking
the write lock up front makes a second writer wait (up to the busy timeout) instead. Sessions that only read
(API and dashboard GETs) say so with :data:`READ_ONLY` and keep the deferred ``BEGIN``, so readers never wait
for writers (WAL).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")
log = logging.getLogger(__name__)

READ_ONLY = "launchgap_read_only"
"""Execution option marking an engine or connection whose transactions never write (plain ``BEGIN``)."""

SQLITE_BUSY_TIMEOUT_SECONDS = 30
POOL_SIZE = 10
POOL_MAX_OVERFLOW = -1
"""No cap on connections beyond the 10 kept open: a thread must never wait for a pooled connection.
FastAPI closes a request's session only after the response model is validated, and that validation waits
for a worker thread; with a capped pool, 50 concurrent requests deadlocked (every worker thread waiting for a
connection, every connection held by a session waiting for a worker thread to validate its response).
Concurrency is bounded where it belongs instead: ``launchgap serve`` accepts at most
``app.main.MAX_CONCURRENT_REQUESTS`` requests at once (503 beyond), so connections stay bounded too."""


def _prepare_sqlite_file(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def create_db_engine(url: str, *, busy_timeout_seconds: float | None = None, **kwargs: object) -> Engine:
    """Create an engine for ``url``; for SQLite, create the file's directory and set the pragmas (a writer
    waits ``busy_timeout_seconds``, default ``SQLITE_BUSY_TIMEOUT_SECONDS``, for another's lock)."""
    if url.startswith("sqlite"):
        _prepare_sqlite_file(url)
        busy = SQLITE_BUSY_TIMEOUT_SECONDS if busy_timeout_seconds is None else busy_timeout_seconds
        if make_url(url).database not in (None, "", ":memory:"):
            kwargs = {"pool_size": POOL_SIZE, "max_overflow": POOL_MAX_OVERFLOW} | kwargs
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": busy}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={round(busy * 1000)}")
            cursor.close()
            # pysqlite begins transactions lazily and its own way, which breaks SAVEPOINTs (and so rolled-back
            # nested units of work). Take over: no implicit transactions, SQLAlchemy emits BEGIN itself.
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection):  # type: ignore[no-untyped-def]
            read_only = connection.get_execution_options().get(READ_ONLY, False)
            connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    if url.startswith("postgresql://"):
        # SQLAlchemy 2.1 picks psycopg 3 for a bare postgresql:// URL; say so explicitly anyway.
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    kwargs = {"pool_size": POOL_SIZE, "max_overflow": POOL_MAX_OVERFLOW} | kwargs
    return create_engine(url, pool_pre_ping=True, **kwargs)


def session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions on ``engine``; ``read_only`` ones never write (on SQLite: no write lock taken up front)."""
    bind = engine.execution_options(**{READ_ONLY: True}) if read_only else engine
    return sessionmaker(bind=bind, expire_on_commit=False)


@contextmanager
def open_database(url: str, *, busy_timeout_seconds: float | None = None) -> Iterator[sessionmaker[Session]]:
    """The one place a process opens its database: an engine for ``url`` while the block runs, disposed
    (its pooled connections closed) when it ends, however it ends."""
    engine = create_db_engine(url, busy_timeout_seconds=busy_timeout_seconds)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


def read_only_factory(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Sessions like ``factory``'s that never write (on SQLite: no write lock taken up front)."""
    engine: Engine = factory.kw["bind"]
    return session_factory(engine, read_only=True)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def brief_write(factory: sessionmaker[Session], *, wait_ms: int = 200) -> Iterator[Session]:
    """A unit of work that waits at most ``wait_ms`` for the write lock (SQLite's busy timeout, PostgreSQL's
    ``lock_timeout``) and raises ``OperationalError`` beyond: for bookkeeping that may be skipped (a token's
    last use) and must never hold a request behind another writer."""
    engine: Engine = factory.kw["bind"]
    with engine.connect() as connection:
        sqlite = engine.dialect.name == "sqlite"
        raw = connection.connection.dbapi_connection
        usual = None
        if sqlite and raw is not None:
            usual = raw.execute("PRAGMA busy_timeout").fetchone()[0]
            raw.execute(f"PRAGMA busy_timeout={int(wait_ms)}")
        try:
            with Session(bind=connection, expire_on_commit=False) as session, session.begin():
                if not sqlite:
                    session.execute(text(f"SET LOCAL lock_timeout = '{int(wait_ms)}ms'"))
                yield session
        finally:
            if usual is not None and raw is not None:
                raw.execute(f"PRAGMA busy_timeout={int(usual)}")


def is_busy(error: BaseException) -> bool:
    """Whether a database error says another writer held the lock past the wait (SQLite "database is
    locked"/"busy", PostgreSQL lock timeout): the write may be tried again shortly."""
    message = str(getattr(error, "orig", error)).lower()
    return "database is locked" in message or "database is busy" in message or "lock timeout" in message


def retry_on_conflict(work: Callable[[], T], *, attempts: int = 3) -> T:
    """Run ``work`` (which commits or rolls back its own units of work) again when a concurrent writer won
    a race on a unique key first (two processes creating the same publisher, model or release row): the
    next run sees the other's row and updates it. The last attempt's IntegrityError propagates."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except IntegrityError as exc:
            if attempt == attempts:
                raise
            log.info("concurrent write on a unique key (%s); running the unit of work again", exc.orig)
    raise AssertionError("unreachable")


def run_in_transaction(
    factory: sessionmaker[Session], work: Callable[[Session], T], *, attempts: int = 3
) -> T:
    """Run ``work`` in a unit of work of its own (committed on success), again on a unique-key race."""

    def unit() -> T:
        with session_scope(factory) as session:
            return work(session)

    return retry_on_conflict(unit, attempts=attempts)


def refresh_planner_statistics(session: Session) -> None:
    """Refresh the planner's statistics of the tables reads depend on, after the gap rows were rebuilt.

    Without statistics SQLite's planner guesses, and for a release's gap rows it guessed the (stage,
    release_at) index over (repo_id, stage): a 30 ms scan instead of a 0.2 ms lookup (``ANALYZE``, bounded
    by ``analysis_limit``). PostgreSQL's autovacuum analyzes a freshly filled table only after a while; until
    then a page of gap rows was sorted in full (20 ms instead of 4). Cheap: a sample of each table.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA analysis_limit=1000"))
        session.execute(text("ANALYZE"))
    else:
        session.execute(text("ANALYZE gap_rows"))

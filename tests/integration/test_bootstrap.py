"""Startup reference data: catalog, publishers and the bundled release facts, idempotently."""

from __future__ import annotations

import csv
from datetime import UTC, datetime

from sqlalchemy import func, select

from app.config import Settings
from app.db.session import create_db_engine, session_factory
from app.models import GapRecord, Model, Publisher, Runtime
from app.services.jobs import bootstrap_reference_data
from app.services.operations.bootstrap import BUNDLED_RELEASE_FACTS
from app.sources.runtimes.catalog import CATALOG

NOW = datetime(2026, 11, 30, tzinfo=UTC)


def test_bootstrap_twice_changes_nothing_the_second_time(fresh_database_url: str) -> None:
    engine = create_db_engine(fresh_database_url)
    factory = session_factory(engine)
    settings = Settings(database_url=fresh_database_url)
    with BUNDLED_RELEASE_FACTS.open() as handle:
        facts = list(csv.DictReader(handle))

    def counts() -> tuple[int, int, int, int]:
        with factory() as session:
            return (
                session.scalar(select(func.count()).select_from(Runtime)) or 0,
                session.scalar(select(func.count()).select_from(Publisher)) or 0,
                session.scalar(select(func.count()).select_from(Model)) or 0,
                session.scalar(select(func.count()).select_from(GapRecord)) or 0,
            )

    try:
        # without the bundled snapshot: tests/integration/test_bundled_snapshot.py imports it once per database
        bootstrap_reference_data(factory, settings, now=NOW, snapshot=None)
        first = counts()
        assert first[0] == len(CATALOG)
        assert first[2] == len({row["hf_repo_id"] for row in facts})
        assert first[3] > 0  # gap rows materialised for the imported releases, with no watcher running
        bootstrap_reference_data(factory, settings, now=NOW, snapshot=None)
        assert counts() == first
        with factory() as session:
            v3 = session.execute(select(Model).where(Model.repo_id == "deepseek-ai/DeepSeek-V3")).scalar_one()
            assert (v3.release_at_source, v3.release_at_precision) == ("bundled", "day")
            assert v3.release_at is not None and v3.release_at.isoformat() == "2024-12-26T00:00:00+00:00"
    finally:
        engine.dispose()


def test_seeding_can_be_turned_off(fresh_database_url: str) -> None:
    engine = create_db_engine(fresh_database_url)
    factory = session_factory(engine)
    try:
        bootstrap_reference_data(
            factory, Settings(database_url=fresh_database_url, seed_release_facts=False), now=NOW
        )
        with factory() as session:
            assert session.scalar(select(func.count()).select_from(Model)) == 0
    finally:
        engine.dispose()


def test_publishers_file_alone_decides_who_is_watched(fresh_database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    publishers = tmp_path / "publishers.csv"
    publishers.write_text("hub_org,name,country,confidence\ndeepseek-ai,DeepSeek,CN,high\n")
    engine = create_db_engine(fresh_database_url)
    factory = session_factory(engine)
    try:
        # the bundled snapshot adds no publisher: this test leaves it out (the suite imports it once per database)
        bootstrap_reference_data(
            factory,
            Settings(database_url=fresh_database_url, publishers_file=publishers),
            now=NOW,
            snapshot=None,
        )
        with factory() as session:
            watched = session.scalars(select(Publisher.hub_org).where(Publisher.watched.is_(True))).all()
        assert watched == ["deepseek-ai"]
    finally:
        engine.dispose()


def test_an_operator_import_survives_any_number_of_restarts(fresh_database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from app.services.releases.facts import import_releases
    from app.services.releases.rules import release_conflicts

    engine = create_db_engine(fresh_database_url)
    factory = session_factory(engine)
    settings = Settings(database_url=fresh_database_url)
    operator_file = tmp_path / "mine.csv"
    operator_file.write_text(
        "hf_repo_id,org,architecture,model_type,public_release_date,createdAt,source,confidence,notes\n"
        "deepseek-ai/DeepSeek-V4-Flash,deepseek-ai,DeepseekV4ForCausalLM,deepseek_v4,2026-04-24T12:00:00Z,,"
        "https://example.org/v4,high,seen live\n"
    )

    def flash() -> Model:
        with factory() as session:
            return session.execute(
                select(Model).where(Model.repo_id == "deepseek-ai/DeepSeek-V4-Flash")
            ).scalar_one()

    try:
        bootstrap_reference_data(factory, settings, now=NOW, snapshot=None)
        assert (flash().release_at_source, flash().release_at_precision) == ("bundled", "day")
        with factory() as session:
            import_releases(session, operator_file)
            session.commit()
        for _restart in range(3):
            bootstrap_reference_data(factory, settings, now=NOW, snapshot=None)
            row = flash()
            assert row.release_at is not None
            assert row.release_at.isoformat() == "2026-04-24T12:00:00+00:00"
            assert (row.release_at_source, row.release_at_precision) == ("imported", "second")
            assert row.release_source_detail == "https://example.org/v4"
            assert row.release_times["imported"]["notes"] == "seen live"
            # the bundled day is kept beside it, and agrees (same day): no conflict
            assert row.release_times["bundled"]["precision"] == "day"
            assert release_conflicts(row.release_times) == []
    finally:
        engine.dispose()

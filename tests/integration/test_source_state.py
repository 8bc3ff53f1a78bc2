"""Poll state and leases: two processes sharing one database never work on the same source at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from app.db.session import create_db_engine, session_factory
from app.services.operations import source_state

NOW = datetime(2025, 1, 1, tzinfo=UTC)
TTL = timedelta(minutes=5)
KIND = source_state.RUNTIME_REPO


def test_lease_is_exclusive_until_released_or_expired(fresh_database_url: str) -> None:
    engine = create_db_engine(fresh_database_url)
    factory = session_factory(engine)
    try:
        with factory() as a, factory() as b:
            assert source_state.try_acquire_lease(a, KIND, "vllm", "worker-a", NOW, TTL)
            assert not source_state.try_acquire_lease(
                b, KIND, "vllm", "worker-b", NOW + timedelta(minutes=1), TTL
            )
            assert source_state.try_acquire_lease(a, KIND, "vllm", "worker-a", NOW, TTL)  # re-entrant
            assert source_state.try_acquire_lease(
                b, KIND, "sglang", "worker-b", NOW, TTL
            )  # other sources are free

            source_state.release_lease(a, KIND, "vllm", "worker-a")
            assert source_state.try_acquire_lease(b, KIND, "vllm", "worker-b", NOW, TTL)
            # A crashed owner's lease expires and can be taken over.
            assert source_state.try_acquire_lease(
                a, KIND, "vllm", "worker-a", NOW + TTL + timedelta(seconds=1), TTL
            )
    finally:
        engine.dispose()


def test_concurrent_acquirers_get_exactly_one_winner(fresh_database_url: str) -> None:
    engine = create_db_engine(fresh_database_url)
    factory = session_factory(engine)
    with factory() as session:
        source_state.get_state(session, KIND, "llama.cpp")
        session.commit()
    winners: list[str] = []
    barrier = threading.Barrier(6)

    def contend(owner: str) -> None:
        with factory() as session:
            barrier.wait()
            if source_state.try_acquire_lease(session, KIND, "llama.cpp", owner, NOW, TTL):
                winners.append(owner)

    threads = [threading.Thread(target=contend, args=(f"w{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()
    assert len(winners) == 1


def test_every_attempt_is_recorded(session: Session) -> None:
    state = source_state.get_state(session, KIND, "sglang")
    source_state.record_failure(
        session, state, NOW, "cannot clone: connection refused", NOW + timedelta(minutes=5)
    )
    source_state.record_failure(session, state, NOW, "again", NOW + timedelta(minutes=5))
    assert (state.consecutive_errors, state.last_error, state.last_checked_at) == (2, "again", NOW)
    health = {h.name: h for h in source_state.list_health(session)}
    assert not health["sglang"].ok and health["sglang"].next_check_at == NOW + timedelta(minutes=5)

    later = NOW + timedelta(hours=1)
    source_state.record_success(session, state, later, later + timedelta(minutes=15), cursor={"main": "abc"})
    assert (state.consecutive_errors, state.last_error, state.cursor) == (0, None, {"main": "abc"})
    assert state.last_success_at == later

"""Answers kept until the next gap refresh: served again while nothing was refreshed, recomputed after a
refresh made by anyone (the version lives in the database, so another process's refresh counts too)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.models import GapRecord, GapRefresh
from app.services.answers.cache import AnswerCache
from app.services.gaps.refresh import refresh_gaps
from app.services.gaps.version import KEEP_REFRESHES, PRUNE_EVERY, answers_version
from app.services.runtimes.catalog_rows import sync_catalog
from tests.support.coverage import observe
from tests.support.seed import Seed

NOW = datetime(2025, 10, 1, tzinfo=UTC)
RELEASE = datetime(2025, 9, 1, tzinfo=UTC)


def _vllm(client) -> dict:  # type: ignore[no-untyped-def, type-arg]
    items = client.get("/api/v1/stats/runtimes").json()["items"]
    return {s["group"]: s for s in items}["vllm"]


def test_statistics_are_kept_until_the_next_refresh(session: Session) -> None:
    sync_catalog(session)
    seed = Seed(session)
    observe(session, "vllm", until=NOW)
    seed.model("acme/A", release_at=RELEASE, architecture="AForCausalLM", model_type="a", family="acme/A")
    seed.support("vllm", "AForCausalLM", RELEASE + timedelta(hours=3))
    with seed.serving(NOW) as client:
        first = _vllm(client)
        assert (first["count"], first["day0_rate"], first["pending"]) == (1, 1.0, 0)
        page = client.get("/api/v1/gaps", params={"runtime": "vllm"}).json()
        total = page["total"]
        assert {item["status"] for item in page["items"]} == {"day-0"}

        # Rows changed behind the cache's back (no refresh): the kept answer, and the kept page, are served.
        session.execute(update(GapRecord).where(GapRecord.runtime == "vllm").values(status="pending"))
        assert _vllm(client) == first
        assert client.get("/api/v1/gaps", params={"runtime": "vllm"}).json() == page

        # A refresh (here recomputing the rows from the evidence) is a new version: answers follow it.
        seed.model("acme/B", release_at=RELEASE, architecture="BForCausalLM", model_type="b", family="acme/B")
        refresh_gaps(session)
        again = _vllm(client)
        assert (again["count"], again["day0_rate"], again["pending"]) == (2, 0.5, 1)
        after = client.get("/api/v1/gaps", params={"runtime": "vllm"}).json()
        assert after["total"] > total
        assert "acme/B" in {item["repo_id"] for item in after["items"]}


def test_each_refresh_is_a_new_version_and_old_ones_are_pruned(session: Session) -> None:
    before = answers_version(session)
    refresh_gaps(session)
    first = answers_version(session)
    refresh_gaps(session)
    assert len({before, first, answers_version(session)}) == 3
    for _ in range(KEEP_REFRESHES + 5):
        session.add(GapRefresh(token="x"))
    for _ in range(PRUNE_EVERY):
        refresh_gaps(session)
    assert session.scalar(select(func.count()).select_from(GapRefresh)) <= KEEP_REFRESHES + PRUNE_EVERY


def test_cache_computes_once_per_version_and_bounds_its_entries(session: Session) -> None:
    cache = AnswerCache(max_entries=2)
    calls: list[str] = []

    def compute(name: str) -> str:
        calls.append(name)
        return name.upper()

    refresh_gaps(session)
    assert cache.get_or_compute(session, "a", lambda: compute("a")) == "A"
    assert cache.get_or_compute(session, "a", lambda: compute("a")) == "A"
    cache.get_or_compute(session, "b", lambda: compute("b"))
    cache.get_or_compute(session, "c", lambda: compute("c"))  # "a" goes: at most two entries
    cache.get_or_compute(session, "a", lambda: compute("a"))
    assert calls == ["a", "b", "c", "a"]
    refresh_gaps(session)
    cache.get_or_compute(session, "c", lambda: compute("c"))
    assert calls == ["a", "b", "c", "a", "c"]

"""Demand (downloads, likes, derivatives): read by the publisher polls, listed, sorted and filtered on the
models API, shown on the release page, and weighing the statistics and the main page (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.models import Model
from app.services.hub.poll import poll_publishers
from app.services.runtimes.catalog_rows import sync_catalog
from app.services.runtimes.catalog_views import vendor_runtimes
from app.sources.hub import HubClient
from tests.fakes.fake_hub import FakeHub
from tests.support.coverage import observe
from tests.support.seed import Seed

NOW = datetime(2025, 10, 1, 12, 0, tzinfo=UTC)
RELEASE = datetime(2025, 9, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def factory(session: Session) -> sessionmaker[Session]:
    return sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )


def _row(session: Session, repo_id: str) -> Model:
    session.expire_all()
    return session.scalars(select(Model).where(Model.repo_id == repo_id)).one()


def test_polls_read_downloads_and_likes_with_the_time_they_were_read(
    session: Session, factory: sessionmaker[Session]
) -> None:
    with FakeHub() as hub:
        hub.add_model(
            "acme", "Acme-1", architectures=["AcmeForCausalLM"], model_type="acme", created_at=RELEASE
        )
        hub.model("acme/Acme-1").downloads = 1234
        hub.model("acme/Acme-1").likes = 56
        with HubClient(hub.url, None, 2.0, backoff_seconds=0, sleep=lambda _s: None) as client:
            poll_publishers(factory, client, ["acme"], NOW)
            row = _row(session, "acme/Acme-1")
            assert (row.downloads, row.likes, row.derivatives, row.demand_read_at) == (1234, 56, 0, NOW)

            hub.model("acme/Acme-1").downloads = 2000
            later = NOW + timedelta(hours=1)
            report = poll_publishers(factory, client, ["acme"], later)
            row = _row(session, "acme/Acme-1")
            assert (row.downloads, row.likes, row.demand_read_at) == (2000, 56, later)
            # A new download count is no change to the release: nothing to recompute.
            assert report.results[0].updated == 0

            # Within the hour, a move under 1 % is not worth a write: the stored read and its time stay.
            hub.model("acme/Acme-1").downloads = 2010
            poll_publishers(factory, client, ["acme"], later + timedelta(minutes=30))
            row = _row(session, "acme/Acme-1")
            assert (row.downloads, row.demand_read_at) == (2000, later)
            # An hour after the stored read it is read again, unchanged or not.
            poll_publishers(factory, client, ["acme"], later + timedelta(hours=1))
            row = _row(session, "acme/Acme-1")
            assert (row.downloads, row.demand_read_at) == (2010, later + timedelta(hours=1))
        # Every listing asked for the figures.
        listings = [r for r in hub.requests if r.path == "/api/models"]
        assert listings and all({"downloads", "likes"} <= set(r.param("expand")) for r in listings)


def _seed_demand(session: Session) -> Seed:
    """Four new-key release families supported on vLLM (the only runtime with support for NVIDIA):

    family   members (downloads)           vLLM merged     status
    acme/A   A 200, A-Instruct 100 → 300   release + 5 h   day-0
    acme/B   B 900                         release + 240 h later
    acme/C   C 10                          —               pending
    acme/D   D (never read)                release + 2 h   day-0
    and a quantisation of A with 5,000 downloads (a derivative: not part of any family's demand)."""
    sync_catalog(session)
    seed = Seed(session)
    observe(session, *vendor_runtimes("merged")["nvidia"], until=NOW)
    read = {"demand_read_at": NOW}
    families = {
        "acme/A": [("acme/A", 200), ("acme/A-Instruct", 100)],
        "acme/B": [("acme/B", 900)],
        "acme/C": [("acme/C", 10)],
        "acme/D": [("acme/D", None)],
    }
    gaps = {"acme/A": 5, "acme/B": 240, "acme/C": None, "acme/D": 2}
    for n, (family, members) in enumerate(families.items()):
        arch = f"Family{n}ForCausalLM"
        for offset, (repo_id, downloads) in enumerate(members):
            seed.model(
                repo_id,
                release_at=RELEASE + timedelta(days=n, minutes=offset),
                architecture=arch,
                model_type=f"family{n}",
                family=family,
                downloads=downloads or 0,
                likes=(downloads or 0) // 10,
                **(read if downloads is not None else {}),
            )
        if gaps[family] is not None:
            seed.support("vllm", arch, RELEASE + timedelta(days=n, hours=gaps[family]), commit=f"{n:040d}")
    seed.model(
        "someone/A-AWQ",
        release_at=RELEASE + timedelta(days=3),
        architecture="Family0ForCausalLM",
        model_type="family0",
        published=False,
        is_derivative=True,
        downloads=5000,
        likes=5,
        demand_read_at=NOW,
    )
    return seed


def test_models_carry_demand_sort_by_it_and_filter_on_downloads(session: Session) -> None:
    seed = _seed_demand(session)
    with seed.serving(NOW) as client:
        items = client.get("/api/v1/models", params={"sort": "-downloads"}).json()["items"]
        assert [(m["repo_id"], m["downloads"]) for m in items] == [
            ("someone/A-AWQ", 5000),
            ("acme/B", 900),
            ("acme/A", 200),
            ("acme/A-Instruct", 100),
            ("acme/C", 10),
            ("acme/D", 0),
        ]
        b = items[1]
        assert (b["likes"], b["derivatives"], b["demand_read_at"]) == (90, 0, "2025-10-01T12:00:00Z")
        assert items[-1]["demand_read_at"] is None  # never read: unknown, not 0

        likes = client.get("/api/v1/models", params={"sort": "likes", "derivatives": "false"}).json()["items"]
        assert [m["repo_id"] for m in likes] == ["acme/D", "acme/C", "acme/A-Instruct", "acme/A", "acme/B"]

        page = client.get("/api/v1/models", params={"min_downloads": 150, "sort": "-downloads"}).json()
        assert page["total"] == 3
        assert [m["repo_id"] for m in page["items"]] == ["someone/A-AWQ", "acme/B", "acme/A"]
        assert client.get("/api/v1/models", params={"min_downloads": -1}).status_code == 422
        fewest = client.get("/api/v1/models", params={"sort": "downloads"}).json()["items"]
        assert fewest[0]["repo_id"] == "acme/D"

        csv = client.get("/api/v1/models", params={"format": "csv", "sort": "-downloads"}).text
        header = csv.splitlines()[0].split(",")
        assert {"downloads", "likes", "derivatives", "demand_read_at"} <= set(header)

        detail = client.get("/api/v1/models/acme/B").json()
        assert (detail["downloads"], detail["likes"]) == (900, 90)


def test_release_page_shows_demand_and_says_when_it_was_never_read(session: Session) -> None:
    seed = _seed_demand(session)
    with seed.serving(NOW) as client:
        page = client.get("/releases/acme/B").text
        assert '<span id="release-downloads">900</span> downloads' in page
        assert "read from the Hub 2025-10-01 12:00 UTC" in page
        assert "not read from the Hub yet" in client.get("/releases/acme/D").text


def test_vendor_statistics_weighted_by_downloads_computed_by_hand(session: Session) -> None:
    seed = _seed_demand(session)
    with seed.serving(NOW) as client:
        plain = {s["group"]: s for s in client.get("/api/v1/stats/vendors").json()["items"]}["nvidia"]
        assert plain["weight"] is None and plain["day0_download_share"] is None
        response = client.get("/api/v1/stats/vendors", params={"weight": "downloads"})
        nvidia = {s["group"]: s for s in response.json()["items"]}["nvidia"]
    # Unweighted: 4 families; day-0: A and D; resolved gaps 2, 5, 240 → median 5 h.
    assert (nvidia["count"], nvidia["day0_rate"], nvidia["median_hours"]) == (4, 0.5, 5.0)
    # Weighted: D was never read (left out, said apart); A weighs 200 + 100, B 900, C 10 → 1,210.
    assert nvidia["weight"] == "downloads"
    assert (nvidia["weighted_families"], nvidia["unweighted_families"], nvidia["downloads"]) == (3, 1, 1210)
    # Day-0 share: A's 300 of 1,210 downloads.
    assert nvidia["day0_download_share"] == round(300 / 1210, 4) == 0.2479
    # Weighted median of resolved gaps: 5 h weighs 300, 240 h weighs 900; half of 1,200 is reached at 240 h.
    assert nvidia["weighted_median_hours"] == 240.0
    assert (plain["count"], plain["day0_rate"]) == (nvidia["count"], nvidia["day0_rate"])


def test_top_n_by_downloads_limits_statistics_and_the_main_page(session: Session) -> None:
    seed = _seed_demand(session)
    with seed.serving(NOW) as client:
        top = client.get("/api/v1/stats/runtimes", params={"top": 2}).json()["items"]
        vllm = {s["group"]: s for s in top}["vllm"]
        # The two most downloaded families are B (900) and A (300): one day-0 of two.
        assert (vllm["count"], vllm["day0_rate"]) == (2, 0.5)

        page = client.get("/", params={"top": 2}).text
        assert "/releases/acme/B" in page and "/releases/acme/A" in page
        assert "/releases/acme/C" not in page and "/releases/acme/D" not in page
        assert "the top 2 families by downloads" in page
        everything = client.get("/", params={"top": ""}).text
        assert "/releases/acme/C" in everything and "/releases/acme/D" in everything
        assert client.get("/", params={"top": "x"}).status_code == 422

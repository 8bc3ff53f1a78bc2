"""A release's time, its source, confidence, precision, source text and notes, and the sources that disagree:
on ``/api/v1/models/{repo_id}`` and on the release page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.api.deps import get_now, get_session
from app.main import create_app
from app.services.gaps.refresh import refresh_gaps
from app.services.releases.facts import import_releases
from app.services.releases.publishers import sync_publishers
from app.services.runtimes.catalog_rows import sync_catalog

NOW = datetime(2026, 6, 1, tzinfo=UTC)
HEADER = "hf_repo_id,org,architecture,model_type,public_release_date,createdAt,source,confidence,notes\n"
REPO = "acme/Acme-1"


@pytest.fixture
def client(session: Session, tmp_path: Path) -> Iterator[TestClient]:
    sync_catalog(session)
    sync_publishers(session, None)
    bundled = tmp_path / "bundled.csv"
    bundled.write_text(
        HEADER + f"{REPO},acme,AcmeForCausalLM,acme,2026-04-24,,a blog post,medium,seen in a blog\n"
    )
    mine = tmp_path / "mine.csv"
    mine.write_text(
        HEADER + f"{REPO},acme,AcmeForCausalLM,acme,2026-05-02T09:30:00Z,,https://example.org/x,high,\n"
    )
    import_releases(session, bundled, kind="bundled")
    import_releases(session, mine)
    refresh_gaps(session)
    app = create_app(start_watchers=False)
    app.dependency_overrides[get_session] = lambda: session
    app.dependency_overrides[get_now] = lambda: NOW
    yield TestClient(app)


def test_api_shows_the_source_and_lists_the_conflict(client: TestClient) -> None:
    body = client.get(f"/api/v1/models/{REPO}").json()
    assert body["release_at"] == "2026-05-02T09:30:00Z"
    assert (body["release_at_source"], body["release_precision"], body["release_confidence"]) == (
        "imported",
        "second",
        "high",
    )
    assert body["release_source_text"] == "https://example.org/x"
    assert [t["source"] for t in body["release_times"]] == ["imported", "bundled"]
    assert body["release_times"][1]["notes"] == "seen in a blog"
    [conflict] = body["release_conflicts"]
    assert (conflict["source"], conflict["at"], conflict["chosen_source"]) == (
        "bundled",
        "2026-04-24T00:00:00Z",
        "imported",
    )


def test_release_page_shows_source_text_notes_and_conflict(client: TestClient) -> None:
    html = client.get(f"/releases/{REPO}").text
    assert 'id="release-source">imported<' in html
    assert "https://example.org/x" in html and "high confidence" in html
    assert 'id="release-conflicts"' in html and "bundled says 2026-04-24" in html
    assert "seen in a blog" in html  # the bundled source's notes, in the table of sources


def test_a_day_precision_release_shows_as_a_day(client: TestClient, session: Session, tmp_path: Path) -> None:
    path = tmp_path / "day.csv"
    path.write_text(
        HEADER + "acme/Acme-2,acme,Acme2ForCausalLM,acme2,2026-03-01,,a paper,high,from the paper\n"
    )
    import_releases(session, path)
    html = client.get("/releases/acme/Acme-2").text
    assert '<span id="release-time">2026-03-01</span>' in html
    assert "a day, no time" in html and "from the paper" in html
    body = client.get("/api/v1/models/acme/Acme-2").json()
    assert (body["release_precision"], body["release_notes"], body["release_conflicts"]) == (
        "day",
        "from the paper",
        [],
    )

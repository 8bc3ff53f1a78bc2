"""What pages say in words (issue 24): no internal file path anywhere in their text, a CSV link for every list
and matrix that answers CSV, the Atom feed linked, and the age of the runtime evidence when it is over a day.

The path and link checks read every page of a first start on the bundled release facts and snapshot; the
data-age sentence is checked on seeded coverage at a fixed ``now`` (the route's clock).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.config import Settings
from app.db.migrate import upgrade
from app.db.session import open_database
from app.main import create_app
from app.services.jobs import bootstrap_reference_data
from app.services.operations.bootstrap import BUNDLED_RELEASE_FACTS
from app.services.runtimes.catalog_rows import sync_catalog
from app.sources.runtimes.catalog import CATALOG
from tests.support.coverage import observe
from tests.support.seed import Seed

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)

# What a path of this machine or of LaunchGap's own tree looks like in a page's text.
INTERNAL_PATH = re.compile(
    r"(?<![\w.:/-])/(?:work|home|tmp|root|var|usr|opt|srv|mnt)/"  # absolute paths on the machine
    r"|\b(?:app|tests|migrations|var|SAMPLES|data)/[\w.+-]"  # LaunchGap's tree, stored samples, data dirs
    r"|(?<![\w.:/-])(?:[\w.+-]+/)+[\w.+-]+\.(?:csv|jsonl|json|gz|py|sqlite|db|log)\b"  # a path to a data file
    r"|\b[\w.-]+\.(?:csv|jsonl\.gz|sqlite)\b"  # LaunchGap's data files by name
)


class _Text(HTMLParser):
    """A page's visible text (scripts and styles left out) and its links."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.links: list[tuple[str, dict[str, str | None]]] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._hidden += 1
        if tag in {"a", "link"}:
            values = dict(attrs)
            self.links.append((tag, values))

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())


def _read(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def bundled(scratch_databases) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    url = scratch_databases.new_url("sqlite")
    upgrade(url)
    settings = Settings(database_url=url)
    with open_database(url) as factory:
        bootstrap_reference_data(factory, settings, now=NOW)
    with TestClient(create_app(settings, start_watchers=False)) as client:
        yield client


def _pages() -> list[str]:
    with BUNDLED_RELEASE_FACTS.open(encoding="utf-8") as file:
        releases = [row["hf_repo_id"] for row in csv.DictReader(file)]
    return [
        "/",
        "/?view=vendors&stage=released",
        "/early-access",
        "/glossary",
        "/search?q=v4",
        *(f"/releases/{repo_id}" for repo_id in releases),
        *(f"/runtimes/{name}" for name in CATALOG),
    ]


def test_the_path_check_finds_paths() -> None:
    for text in (
        "copy /work/.mirror/vllm-project+vllm/repo",
        "from app/data/releases.csv",
        "(SAMPLES/list_models.json)",
        "imported facts.csv",
        "snapshot.jsonl.gz",
        "data/hf-samples",
    ):
        assert INTERNAL_PATH.search(text), text
    for text in (
        "huggingface.co/deepseek-ai/DeepSeek-V4-Flash",
        "vllm-project/vllm · registry.py",
        "2024-05-06/07",
    ):
        assert not INTERNAL_PATH.search(text), text


def test_no_page_text_shows_an_internal_path(bundled: TestClient) -> None:
    found: dict[str, list[str]] = {}
    for path in _pages():
        response = bundled.get(path)
        assert response.status_code == 200, path
        hits = [m.group(0) for m in INTERNAL_PATH.finditer(_read(response.text).text)]
        if hits:
            found[path] = hits
    assert not found, f"pages showing file paths: {found}"


def test_the_release_source_is_a_link_to_its_file(bundled: TestClient) -> None:
    page = _read(bundled.get("/releases/deepseek-ai/DeepSeek-V4-Flash").text)
    hrefs = [attrs.get("href") for tag, attrs in page.links if tag == "a"]
    assert (
        "https://github.com/vllm-project/vllm-project.github.io/blob/c3a01c4a/_posts/2026-04-24-deepseek-v4.md"
        in hrefs
    )
    assert "vllm-project/vllm-project.github.io · 2026-04-24-deepseek-v4.md" in page.text


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", {"/api/v1/gaps", "/api/v1/stats/vendors"}),
        ("/early-access", {"/api/v1/stats/early-access"}),
        (
            "/releases/deepseek-ai/DeepSeek-V4-Pro",
            {"/api/v1/gaps", "/api/v1/models/deepseek-ai/DeepSeek-V4-Pro/requirements"},
        ),
        ("/runtimes/vllm-ascend", {"/api/v1/events", "/api/v1/stats/propagation", "/api/v1/stats/lag"}),
        ("/search?q=v4", {"/api/v1/models"}),
    ],
)
def test_every_list_links_a_csv_that_answers(bundled: TestClient, path: str, expected: set[str]) -> None:
    links = [
        attrs["href"]
        for tag, attrs in _read(bundled.get(path).text).links
        if tag == "a" and "format=csv" in (attrs.get("href") or "")
    ]
    assert expected <= {unquote(link.split("?")[0]) for link in links}, links
    for link in links:
        response = bundled.get(link)
        assert response.status_code == 200, link
        assert response.headers["content-type"].startswith("text/csv"), link
        assert response.text.count("\n") >= 1, link  # at least its header row


def test_the_atom_feed_is_linked_in_the_head_and_on_the_page(bundled: TestClient) -> None:
    page = _read(bundled.get("/").text)
    alternates = [
        attrs for tag, attrs in page.links if tag == "link" and attrs.get("type") == "application/atom+xml"
    ]
    assert [a["rel"] for a in alternates] == ["alternate"]
    visible = [
        attrs["href"]
        for tag, attrs in page.links
        if tag == "a" and attrs.get("type") == "application/atom+xml"
    ]
    assert "/feeds/events.atom" in visible
    for href in {alternates[0]["href"], *visible}:
        response = bundled.get(href)
        assert response.status_code == 200 and "atom" in response.headers["content-type"], href


# --- Data age, said plainly ---------------------------------------------------------------------------------

OBSERVED = datetime(2026, 8, 22, 20, 52, tzinfo=UTC)


@pytest.fixture
def seeded(session: Session) -> Seed:
    sync_catalog(session)
    seed = Seed(session)
    seed.model(
        "acme/Model-1",
        release_at=OBSERVED - timedelta(days=30),
        architecture="AcmeForCausalLM",
        model_type="acme",
    )
    seed.support("vllm", "AcmeForCausalLM", OBSERVED - timedelta(days=20))
    observe(session, "vllm", until=OBSERVED)
    observe(session, "sglang", until=OBSERVED - timedelta(days=50))
    return seed


def _age(client: TestClient, path: str) -> str | None:
    """The data-age sentence of the page at ``path`` (None when it has none)."""
    match = re.search(r'<p class="data-age" id="data-age"[^>]*>(.*?)</p>', client.get(path).text, re.DOTALL)
    return _read(match.group(1)).text if match else None


def test_old_evidence_is_said_in_words_with_its_age(seeded: Seed) -> None:
    with seeded.serving(OBSERVED + timedelta(days=106, hours=3)) as client:
        sentence = (
            "Runtime evidence as of 2026-08-22 (106 days old) — the watchers update it as soon as they reach the "
            "repositories."
        )
        for path in ("/", "/releases/acme/Model-1", "/early-access", "/glossary"):
            assert _age(client, path) == sentence, path
        # A runtime's page keeps its own cutoff.
        assert _age(client, "/runtimes/sglang") == (
            "SGLang evidence as of 2026-07-03 (156 days old) — the watchers update it as soon as they reach the "
            "repository."
        )


def test_fresh_evidence_says_nothing(seeded: Seed) -> None:
    with seeded.serving(OBSERVED + timedelta(hours=23)) as client:
        assert _age(client, "/") is None
        assert _age(client, "/runtimes/vllm") is None
    with seeded.serving(OBSERVED + timedelta(days=1, hours=1)) as client:
        assert _age(client, "/") == (
            "Runtime evidence as of 2026-08-22 (1 day old) — the watchers update it as soon as they reach the "
            "repositories."
        )


def test_nothing_known_says_nothing(session: Session) -> None:
    sync_catalog(session)
    with Seed(session).serving(NOW) as client:
        assert _age(client, "/") is None

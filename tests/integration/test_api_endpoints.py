"""Every API endpoint against a small hand-built database: filters, vendor views, CSV, feed, claims."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.domain.vocabulary import KeyKind, Stage
from app.main import create_app
from app.schemas.answers import (
    EarlyAccessOut,
    LatestReleaseOut,
    PropagationOut,
    RequirementOut,
    StageLagOut,
)
from app.schemas.claims import ClaimIn, ClaimOut
from app.schemas.common import Page
from app.schemas.events import EventOut
from app.schemas.gaps import GapOut
from app.schemas.models import ModelDetailOut, ModelOut
from app.schemas.runtimes import RuntimeOut
from app.schemas.stats import StatsOut, SurvivalOut
from app.schemas.watches import DeliveryOut, WatchIn, WatchOut
from app.services.tokens import create_token, revoke_token
from tests.support.coverage import observe
from tests.support.seed import Seed

NOW = datetime(2026, 10, 1, tzinfo=UTC)
RELEASE = datetime(2026, 9, 1, 12, tzinfo=UTC)
OTHER_NVIDIA = ("ktransformers", "lightllm", "lmdeploy", "sglang", "tensorrt-llm", "tgi")


@pytest.fixture
def client(session: Session) -> Iterator[TestClient]:
    seed = Seed(session)
    seed.model(
        "acme/New-MoE",
        release_at=RELEASE,
        architecture="NewMoeForCausalLM",
        model_type="new_moe",
        new_architecture=True,
        family="acme/New-MoE",
    )
    seed.model(
        "acme/Old-7B",
        release_at=RELEASE - timedelta(days=400),
        architecture="LlamaForCausalLM",
        model_type="llama",
        source="imported",
    )
    seed.model(
        "someone/New-MoE-GGUF",
        release_at=RELEASE + timedelta(days=1),
        architecture="NewMoeForCausalLM",
        model_type="new_moe",
        source=None,
        published=False,
        is_derivative=True,
    )
    for name in ("vllm", "rocm-vllm", "vllm-recipes"):
        seed.runtime(name)
    evidence = "https://example.test/commit/c"
    # vLLM: 2 days before release (pre-release, NVIDIA). ROCm fork: +10 days (AMD, later).
    seed.support("vllm", "NewMoeForCausalLM", RELEASE - timedelta(days=2), evidence_url=evidence)
    seed.support("vllm", "LlamaForCausalLM", RELEASE - timedelta(days=500), evidence_url=evidence)
    seed.support(
        "rocm-vllm", "NewMoeForCausalLM", RELEASE + timedelta(days=10), commit="d" * 40, evidence_url=evidence
    )
    # Recipes verify the model on H200 at +1 h and on MI300X at +30 days.
    for sku, after in (("H200", timedelta(hours=1)), ("MI300X", timedelta(days=30))):
        seed.support(
            "vllm-recipes",
            "acme/New-MoE",
            RELEASE + after,
            kind=KeyKind.REPO_ID,
            stage=Stage.VERIFIED,
            sku=sku,
            evidence_url=evidence,
        )
    # Observed until now: every runtime that has evidence here, and every other runtime of NVIDIA and Huawei
    # (observed, no support), so those vendors' cells are complete (docs/concepts.md, "Complete or bound").
    observe(session, "vllm", "rocm-vllm", "vllm-recipes", "vllm-ascend", until=NOW)
    observe(session, *OTHER_NVIDIA, "vllm-mindspore", "xllm", until=NOW)
    with seed.serving(NOW) as test_client:
        yield test_client


def _gaps(client: TestClient, **params: object) -> dict:
    response = client.get("/api/v1/gaps", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_vendor_views_take_their_own_runtimes_only(client: TestClient) -> None:
    nvidia = _gaps(client, vendor="nvidia", rows="vendor")["items"]
    new = {r["repo_id"]: r for r in nvidia}["acme/New-MoE"]
    assert (new["runtime"], new["vendor"], new["status"], new["gap_hours"]) == (
        None,
        "nvidia",
        "pre-release",
        -48.0,
    )
    assert new["via_runtime"] == "vllm"
    amd = {r["repo_id"]: r for r in _gaps(client, vendor="amd", rows="vendor")["items"]}["acme/New-MoE"]
    # Upstream vLLM's merge is not AMD support: the ROCm fork's +10 days is.
    assert (amd["status"], amd["gap_hours"], amd["via_runtime"]) == ("later", 240.0, "rocm-vllm")
    huawei = {r["repo_id"]: r for r in _gaps(client, vendor="huawei", rows="vendor")["items"]}["acme/New-MoE"]
    assert huawei["status"] == "pending" and huawei["gap_hours"] == (NOW - RELEASE).total_seconds() / 3600
    # Derivatives are not releases.
    assert all(r["repo_id"] != "someone/New-MoE-GGUF" for r in nvidia)


def test_per_sku_rows_and_verified_vendor_views(client: TestClient) -> None:
    rows = _gaps(client, stage="verified", runtime="vllm-recipes", rows="sku")["items"]
    by_sku = {(r["repo_id"], r["sku"]): r for r in rows}
    assert by_sku[("acme/New-MoE", "H200")]["status"] == "day-0"
    assert by_sku[("acme/New-MoE", "MI300X")]["gap_hours"] == 720.0
    assert by_sku[("acme/New-MoE", "MI300X")]["vendor"] == "amd"
    assert by_sku[("acme/New-MoE", "MI325X")]["status"] == "pending"
    amd = {r["repo_id"]: r for r in _gaps(client, stage="verified", vendor="amd", rows="vendor")["items"]}
    assert amd["acme/New-MoE"]["gap_hours"] == 720.0  # the H200 verification does not count for AMD
    only = _gaps(client, stage="verified", sku="MI300X")
    assert {r["sku"] for r in only["items"]} == {"MI300X"}


def test_status_publisher_filters_pagination_and_csv(client: TestClient) -> None:
    pre_existing = _gaps(client, runtime="vllm", status="pre-existing")["items"]
    assert [r["repo_id"] for r in pre_existing] == ["acme/Old-7B"]
    assert _gaps(client, publisher="nobody")["total"] == 0
    since = _gaps(client, runtime="vllm", since="2026-08-01T00:00:00Z")
    assert [r["repo_id"] for r in since["items"]] == ["acme/New-MoE"]
    first = _gaps(client, limit=2)
    second = _gaps(client, limit=2, cursor=first["next_cursor"])
    assert first["total"] == second["total"] and first["items"] != second["items"]
    response = client.get("/api/v1/gaps", params={"runtime": "vllm", "format": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["repo_id"]: r["status"] for r in table} == {
        "acme/New-MoE": "pre-release",
        "acme/Old-7B": "pre-existing",
    }
    accept = client.get("/api/v1/gaps", params={"runtime": "vllm"}, headers={"Accept": "text/csv"})
    assert accept.text == response.text


@pytest.mark.parametrize(
    "params",
    [
        {"runtime": "nope"},
        {"vendor": "ibm"},
        {"sku": "TPU"},
        {"stage": "soon"},
        {"cursor": "!!"},
        {"limit": 0},
        {"since": "yesterday"},
        {"since": "2026-01-01T00:00:00"},
    ],
)
def test_bad_filters_are_422_json(client: TestClient, params: dict) -> None:
    response = client.get("/api/v1/gaps", params=params)
    assert response.status_code == 422
    assert response.json()["error"]["message"]


def test_models_list_filters_and_detail_ladder(client: TestClient) -> None:
    body = client.get("/api/v1/models").json()
    assert body["total"] == 3
    assert body["items"][0]["repo_id"] == "someone/New-MoE-GGUF"  # newest release first
    new_only = client.get("/api/v1/models", params={"new_architecture": "true"}).json()
    assert [m["repo_id"] for m in new_only["items"]] == ["acme/New-MoE"]
    assert client.get("/api/v1/models", params={"publisher": "acme", "search": "old"}).json()["total"] == 1
    assert client.get("/api/v1/models", params={"derivatives": "false"}).json()["total"] == 2
    model = client.get("/api/v1/models/acme/New-MoE").json()
    assert model["release_at_source"] == "observed" and model["visibility"] == "public"
    ladders = {(lad["runtime"], lad["vendor"], lad["sku"]): lad for lad in model["ladders"]}
    vllm = {r["stage"]: r for r in ladders[("vllm", None, None)]["rungs"]}
    assert vllm["merged"]["status"] == "pre-release" and vllm["merged"]["evidence_url"]
    assert ladders[("vllm-recipes", "amd", "MI300X")]["rungs"][0]["gap_hours"] == 720.0
    assert client.get("/api/v1/models/acme/missing").status_code == 404
    csv_text = client.get("/api/v1/models", params={"format": "csv"}).text
    assert csv_text.splitlines()[0].startswith("repo_id,hub_id,publisher,architectures")


def test_runtimes_events_and_feed(client: TestClient) -> None:
    runtimes = client.get("/api/v1/runtimes", params={"limit": 1000}).json()
    by_name = {r["name"]: r for r in runtimes["items"]}
    assert by_name["vllm"]["support_keys"] == 2 and by_name["vllm"]["healthy"] is False
    assert client.get("/api/v1/runtimes/rocm-vllm").json()["vendors"] == ["amd"]
    assert client.get("/api/v1/runtimes/nope").status_code == 404

    events = client.get("/api/v1/events").json()
    times = [e["at"] for e in events["items"]]
    assert events["total"] == 5 and times == sorted(times, reverse=True)
    amd = client.get("/api/v1/events", params={"vendor": "amd"}).json()["items"]
    assert {(e["runtime"], e["sku"]) for e in amd} == {("rocm-vllm", None), ("vllm-recipes", "MI300X")}

    feed = client.get("/feeds/events.atom", params={"runtime": "vllm"})
    assert feed.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.content)
    entries = root.findall("{http://www.w3.org/2005/Atom}entry")
    assert len(entries) == 2
    assert "NewMoeForCausalLM" in entries[0].find("{http://www.w3.org/2005/Atom}title").text


def test_stats_and_survival(client: TestClient) -> None:
    vendors = {s["group"]: s for s in client.get("/api/v1/stats/vendors").json()["items"]}
    assert vendors["nvidia"]["pre_release_rate"] == 1.0 and vendors["nvidia"]["count"] == 1
    assert vendors["nvidia"]["pre_existing"] == 1
    assert vendors["amd"]["median_hours"] == 240.0
    # Old-7B's LlamaForCausalLM is carried by no earlier model here, but vLLM merged it 100 days before Old-7B
    # (more than the early-access window): the key was public, not new — counted apart for Huawei and AMD,
    # which never registered it, rather than as pending.
    assert vendors["huawei"]["pending"] == 1 and vendors["huawei"]["km_median_hours"] is None
    assert vendors["huawei"]["not_new_key"] == 1
    assert vendors["amd"]["count"] == 1 and vendors["amd"]["pending"] == 0
    # Every catalog vendor is listed; one with no observed runtime is not ranked (count 0) and comes last.
    items = client.get("/api/v1/stats/vendors").json()["items"]
    assert {s["vendor"] for s in items} == {"nvidia", "amd", "huawei", "intel", "apple", "local", "google"}
    assert (vendors["apple"]["count"], vendors["apple"]["runtimes_observed"]) == (0, 0)
    assert vendors["apple"]["unknown"] == 2 and vendors["apple"]["runtimes_total"] >= 1
    ranked = [s["runtimes_observed"] > 0 for s in items]
    assert ranked == sorted(ranked, reverse=True)
    assert vendors["huawei"]["observed_runtimes"] == [
        {"runtime": name, "observed_until": "2026-10-01T00:00:00Z"}
        for name in ("vllm-ascend", "vllm-mindspore", "xllm")
    ]
    quarters = client.get("/api/v1/stats/runtimes", params={"per_quarter": "true"}).json()["items"]
    assert "vllm 2026Q3" in {s["group"] for s in quarters}
    curve = client.get("/api/v1/stats/survival", params={"vendor": "amd"}).json()
    assert curve["count"] == 1 and curve["points"][-1]["unsupported"] == 0.0
    assert client.get("/api/v1/stats/survival").status_code == 422


def test_claims_need_a_live_token(client: TestClient, session: Session) -> None:
    body = {
        "repo_id": "acme/New-MoE",
        "vendor": "huawei",
        "runtime": "vllm-ascend",
        "stage": "released",
        "at": "2026-09-01T00:00:00Z",
        "url": "https://example.test/announcement",
    }
    assert client.post("/api/v1/claims", json=body).status_code == 401
    bad = client.post("/api/v1/claims", json=body, headers={"Authorization": "Bearer lg_wrong"})
    assert bad.status_code == 401 and bad.json()["error"]["message"]
    token, secret = create_token(session, "tester", now=NOW)
    auth = {"Authorization": f"Bearer {secret}"}
    created = client.post("/api/v1/claims", json=body, headers=auth)
    assert created.status_code == 201 and created.json()["provenance"] == "claim"
    again = client.post("/api/v1/claims", json=body, headers=auth)
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    assert (
        client.post("/api/v1/claims", json={**body, "repo_id": "acme/none"}, headers=auth).status_code == 422
    )
    # Claims are shown as claims and do not move the evidence-based gap.
    model = client.get("/api/v1/models/acme/New-MoE").json()
    assert [c["url"] for c in model["claims"]] == ["https://example.test/announcement"]
    huawei = {r["repo_id"]: r for r in _gaps(client, vendor="huawei", rows="vendor")["items"]}["acme/New-MoE"]
    assert huawei["status"] == "pending"
    revoke_token(session, token.id, now=NOW)
    assert client.post("/api/v1/claims", json=body, headers=auth).status_code == 401


def test_claims_list_filters(client: TestClient, session: Session) -> None:
    _token, secret = create_token(session, "tester", now=NOW)
    auth = {"Authorization": f"Bearer {secret}"}
    claims = [
        {"vendor": "huawei", "runtime": "vllm-ascend", "stage": "released", "sku": "910C", "at": "2026-09-01T00:00:00Z"},
        {"vendor": "amd", "stage": "verified", "sku": "MI300X", "at": "2026-09-05T00:00:00Z"},
        {"runtime": "vllm", "stage": "merged", "at": "2026-08-30T00:00:00Z"},
    ]  # fmt: skip
    for i, claim in enumerate(claims):
        body = {"repo_id": "acme/New-MoE", "url": f"https://example.test/claim/{i}", **claim}
        assert client.post("/api/v1/claims", json=body, headers=auth).status_code == 201

    def urls(**params: object) -> list[str]:
        response = client.get("/api/v1/claims", params=params)
        assert response.status_code == 200, response.text
        return [c["url"].rsplit("/", 1)[1] for c in response.json()["items"]]

    assert urls() == ["1", "0", "2"]  # newest claimed support first
    assert urls(vendor="huawei") == ["0"]
    assert urls(runtime="vllm") == ["2"]
    assert urls(stage="verified") == ["1"]
    assert urls(sku="MI300X") == ["1"]
    assert urls(since="2026-09-01T00:00:00Z") == ["1", "0"]
    assert urls(until="2026-09-01T00:00:00Z") == ["2"]
    assert urls(repo_id="acme/Old-7B") == []
    assert urls(vendor="amd", stage="merged") == []
    page = client.get("/api/v1/claims", params={"limit": 2}).json()
    assert page["total"] == 3 and page["next_cursor"]
    rows = list(csv.DictReader(io.StringIO(client.get("/api/v1/claims?format=csv&vendor=amd").text)))
    assert [(r["vendor"], r["sku"], r["provenance"]) for r in rows] == [("amd", "MI300X", "claim")]
    for bad in (
        {"runtime": "nope"},
        {"vendor": "nope"},
        {"stage": "nope"},
        {"sku": "nope"},
        {"since": "2026-09-01"},
    ):
        response = client.get("/api/v1/claims", params=bad)
        assert response.status_code == 422 and response.json()["error"]["message"], bad


def test_every_list_schema_has_an_example_that_validates() -> None:
    """OpenAPI: each list's page schema and item schema carry an example, and the example is a valid
    response of that endpoint (so a changed field cannot leave a stale example behind)."""
    spec = create_app(start_watchers=False).openapi()
    schemas = spec["components"]["schemas"]
    items = {
        m.__name__: m
        for m in (
            GapOut, ModelOut, RuntimeOut, EventOut, ClaimOut, StatsOut,
            EarlyAccessOut, PropagationOut, StageLagOut, RequirementOut, WatchOut, DeliveryOut,
            LatestReleaseOut,
        )
    }  # fmt: skip
    lists = {}
    for path, operations in spec["paths"].items():
        content = operations.get("get", {}).get("responses", {}).get("200", {}).get("content", {})
        ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
        if ref.rsplit("/", 1)[-1].startswith("Page_"):
            lists[path] = (ref.rsplit("/", 1)[1], content)
    assert set(lists) >= {
        "/api/v1/gaps",
        "/api/v1/models",
        "/api/v1/runtimes",
        "/api/v1/events",
        "/api/v1/claims",
        "/api/v1/stats/vendors",
        "/api/v1/stats/runtimes",
        "/api/v1/stats/early-access",
        "/api/v1/stats/propagation",
        "/api/v1/stats/lag",
        "/api/v1/models/{repo_id}/requirements",
        "/api/v1/releases/latest",
        "/api/v1/watches",
        "/api/v1/watches/{watch_id}/deliveries",
    }
    for path, (name, content) in lists.items():
        page = schemas[name]
        item_name = page["properties"]["items"]["items"]["$ref"].rsplit("/", 1)[1]
        item = schemas[item_name]
        assert page.get("examples") and item.get("examples"), path
        # The published spec drops null values (FastAPI encodes it without None), so validate the examples
        # as declared on the models.
        page_model = Page[items[item_name]]  # type: ignore[index]
        [example] = page_model.model_json_schema()["examples"]
        assert example["items"] == items[item_name].model_json_schema()["examples"][:1]
        page_model.model_validate(example)  # raises on a stale example
        assert "text/csv" in content, path
    for model in (SurvivalOut, ModelDetailOut, ClaimIn, WatchIn):
        assert schemas[model.__name__].get("examples"), model.__name__
        for example in model.model_json_schema()["examples"]:
            model.model_validate(example)


@pytest.mark.parametrize(
    "url", ["/api/v1/models?publisher=%00", "/api/v1/gaps?publisher=a%00b", "/api/v1/models/a%00/b"]
)
def test_nul_characters_are_refused_with_422(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 422
    assert "NUL" in response.json()["error"]["message"]

"""`GET /api/v1/releases/latest` and the main page's answer lines (issue 24) on both databases: the notable
releases (key new at the release) newest first, paged, each with its earliest support per vendor — status,
stage, gap, runtime or SKUs — and whether that vendor cell is complete."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.domain.vocabulary import KeyKind, Stage
from tests.support.coverage import observe
from tests.support.seed import Seed

NOW = datetime(2026, 10, 1, tzinfo=UTC)
RELEASE = datetime(2026, 9, 1, 12, tzinfo=UTC)
# NVIDIA's runtimes but TensorRT-LLM and TGI, read until now: NVIDIA's merged cells are incomplete.
READ_NVIDIA = ("ktransformers", "lightllm", "lmdeploy", "sglang")


@pytest.fixture
def client(session: Session) -> Iterator[TestClient]:
    seed = Seed(session)
    releases = {
        "acme/New-MoE": (RELEASE, "NewMoeForCausalLM"),
        "acme/Second": (RELEASE + timedelta(days=5), "SecondForCausalLM"),
        "acme/Third": (RELEASE + timedelta(days=10), "ThirdForCausalLM"),
    }
    # Demand read for two of them: New-MoE is the most downloaded family, Third was never read.
    downloads = {"acme/New-MoE": 5000, "acme/Second": 10}
    for repo_id, (at, architecture) in releases.items():
        seed.model(
            repo_id,
            release_at=at,
            architecture=architecture,
            model_type=architecture.lower(),
            new_architecture=True,
            family=repo_id,
            downloads=downloads.get(repo_id, 0),
            demand_read_at=NOW if repo_id in downloads else None,
        )
    # An old release whose keys an earlier release of another family carried: not notable (that earlier one
    # is, being the first to carry them).
    seed.model(
        "other/Llama-1",
        release_at=RELEASE - timedelta(days=800),
        architecture="LlamaForCausalLM",
        model_type="llama",
        source="imported",
    )
    seed.model(
        "acme/Old-7B",
        release_at=RELEASE - timedelta(days=400),
        architecture="LlamaForCausalLM",
        model_type="llama",
        source="imported",
    )
    seed.support("vllm", "LlamaForCausalLM", RELEASE - timedelta(days=500))
    # New-MoE: vLLM two days before the release (NVIDIA), the ROCm fork +10 d (AMD), Recipes verify it on H200
    # at +1 h and on MI300X at +30 d.
    seed.support(
        "vllm", "NewMoeForCausalLM", RELEASE - timedelta(days=2), evidence_url="https://example.test/v"
    )
    seed.support("rocm-vllm", "NewMoeForCausalLM", RELEASE + timedelta(days=10), commit="d" * 40)
    second = releases["acme/Second"][0]
    seed.support("vllm", "SecondForCausalLM", second + timedelta(days=3))
    verified = (
        ("acme/New-MoE", "H200", RELEASE + timedelta(hours=1)),
        ("acme/New-MoE", "MI300X", RELEASE + timedelta(days=30)),
        # Second: verified on B200 and H200 in the same commit, an hour after its release.
        ("acme/Second", "B200", second + timedelta(hours=1)),
        ("acme/Second", "H200", second + timedelta(hours=1)),
    )
    for repo_id, sku, at in verified:
        seed.support("vllm-recipes", repo_id, at, kind=KeyKind.REPO_ID, stage=Stage.VERIFIED, sku=sku)
    observe(
        session,
        "vllm",
        "rocm-vllm",
        "vllm-recipes",
        "vllm-ascend",
        "vllm-mindspore",
        "xllm",
        *READ_NVIDIA,
        until=NOW,
    )
    with seed.serving(NOW) as test_client:
        yield test_client


def _latest(client: TestClient, **params: object) -> dict:
    response = client.get("/api/v1/releases/latest", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _vendors(item: dict) -> dict[str, dict]:
    return {v["vendor"]: v for v in item["vendors"]}


def test_notable_releases_newest_first_paged(client: TestClient) -> None:
    body = _latest(client)
    newest_first = ["acme/Third", "acme/Second", "acme/New-MoE", "other/Llama-1"]
    assert [i["repo_id"] for i in body["items"]] == newest_first  # Old-7B's keys were not new
    assert body["total"] == 4 and body["next_cursor"] is None
    first = _latest(client, limit=2)
    assert [i["repo_id"] for i in first["items"]] == newest_first[:2]
    assert first["total"] == 4 and first["next_cursor"]
    second = _latest(client, limit=2, cursor=first["next_cursor"])
    assert [i["repo_id"] for i in second["items"]] == newest_first[2:] and second["next_cursor"] is None
    item = second["items"][0]
    assert (item["publisher"], item["family"], item["release_precision"]) == (
        "acme",
        "acme/New-MoE",
        "second",
    )
    assert item["release_at"].startswith("2026-09-01T12:00:00")
    # Vendors in the vocabulary's order.
    assert [v["vendor"] for v in item["vendors"]][:3] == ["nvidia", "amd", "huawei"]
    assert _latest(client, publisher="nobody")["total"] == 0
    assert client.get("/api/v1/releases/latest", params={"limit": 0}).status_code == 422


def test_each_vendor_gets_its_earliest_support_with_completeness(client: TestClient) -> None:
    items = {i["repo_id"]: i for i in _latest(client)["items"]}
    moe = _vendors(items["acme/New-MoE"])
    # NVIDIA: vLLM's merge two days early beats Recipes' H200 verification at +1 h; TensorRT-LLM and TGI were
    # not read, so the cell is incomplete and −48 h an upper bound.
    nvidia = moe["nvidia"]
    assert (nvidia["status"], nvidia["stage"], nvidia["gap_hours"], nvidia["via_runtime"]) == (
        "pre-release",
        "merged",
        -48.0,
        "vllm",
    )
    assert nvidia["complete"] is False and nvidia["skus"] == []
    assert set(nvidia["unobserved_runtimes"].split(", ")) >= {"tensorrt-llm", "tgi"}
    assert nvidia["runtimes_observed"] < nvidia["runtimes_total"]
    assert nvidia["evidence_url"] == "https://example.test/v"
    # AMD: upstream vLLM is not AMD support; the ROCm fork's +10 d beats the MI300X verification at +30 d.
    amd = moe["amd"]
    assert (amd["status"], amd["stage"], amd["gap_hours"], amd["via_runtime"], amd["complete"]) == (
        "later",
        "merged",
        240.0,
        "rocm-vllm",
        True,
    )
    assert amd["commit"] == "d" * 40
    # Huawei: vllm-ascend read until now and never supported it: pending (complete), running to now.
    huawei = moe["huawei"]
    assert (huawei["status"], huawei["stage"], huawei["complete"]) == ("pending", "merged", True)
    assert huawei["gap_hours"] == (NOW - RELEASE).total_seconds() / 3600 and huawei["support_at"] is None

    second = _vendors(items["acme/Second"])["nvidia"]
    # Second: Recipes verified it on B200 and H200 an hour after the release, before vLLM's merge (+3 d):
    # a verified answer naming the SKUs in the catalog's order, complete (Recipes was read).
    assert (second["status"], second["stage"], second["gap_hours"], second["via_runtime"]) == (
        "day-0",
        "verified",
        1.0,
        "vllm-recipes",
    )
    assert second["skus"] == ["H200", "B200"] and second["complete"] is True

    third = _vendors(items["acme/Third"])
    assert third["huawei"]["status"] == "pending"
    # NVIDIA's merged cell cannot be pending while TensorRT-LLM is unread (it is unknown): the answer shows the
    # observed cell there is, Recipes' verification, pending and complete, rather than claim more.
    nvidia = third["nvidia"]
    assert (nvidia["status"], nvidia["stage"], nvidia["complete"], nvidia["support_at"]) == (
        "pending",
        "verified",
        True,
        None,
    )


def test_top_n_by_downloads_limits_the_answers_on_the_api_and_the_page(client: TestClient) -> None:
    assert [i["repo_id"] for i in _latest(client, top=1)["items"]] == ["acme/New-MoE"]
    assert [i["repo_id"] for i in _latest(client, top=5)["items"]] == ["acme/Second", "acme/New-MoE"]
    page = client.get("/", params={"top": "1"}).text
    assert 'data-repo="acme/New-MoE"' in page and 'data-repo="acme/Second"' not in page
    assert "among the top 1 by downloads" in page.split('id="latest-releases"')[1].split("</h2>")[0]


def test_csv_has_one_row_per_release_and_vendor(client: TestClient) -> None:
    response = client.get("/api/v1/releases/latest", params={"format": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0])[:6] == [
        "repo_id",
        "publisher",
        "family",
        "release_at",
        "release_precision",
        "vendor",
    ]
    by_cell = {(r["repo_id"], r["vendor"]): r for r in rows}
    assert by_cell[("acme/Second", "nvidia")]["skus"] == "H200 B200"
    assert by_cell[("acme/New-MoE", "nvidia")]["complete"] == "false"
    assert {r["repo_id"] for r in rows} == {"acme/New-MoE", "acme/Second", "acme/Third", "other/Llama-1"}


def _line_text(html: str, repo_id: str) -> tuple[str, str]:
    line = html[html.index(f'data-repo="{repo_id}"') :].split("</li>")[0]
    return " ".join(re.sub(r"<[^>]+>", " ", line.split(">", 1)[1]).split()), line


def test_main_page_leads_with_the_answer_lines(client: TestClient) -> None:
    html = client.get("/").text
    assert html.index('id="latest-releases"') < html.index('id="vendor-leaderboard"')
    text, line = _line_text(html, "acme/New-MoE")
    assert text.startswith(
        "New-MoE · 2026-09-01 12:00 UTC · NVIDIA pre-release ≤ −2.0 d (merged, vllm; 5 of 7"
    )
    assert "· AMD +10.0 d (merged, rocm-vllm) · Huawei Ascend pending ·" in text
    assert 'data-vendor="nvidia" data-complete="false"' in line
    assert 'data-vendor="amd" data-complete="true"' in line
    csv_link = re.search(r'id="latest-csv" href="([^"]+)"', html)
    assert csv_link and client.get(csv_link.group(1)).headers["content-type"].startswith("text/csv")
    scoped = client.get("/", params={"publisher": "acme"}).text
    assert 'href="/api/v1/releases/latest?format=csv&amp;publisher=acme"' in scoped
    assert 'data-repo="other/Llama-1"' not in scoped  # the publisher filter scopes the answers too
    # Third's NVIDIA answer is Recipes' pending verification (its merged cell is unknown): the line says which.
    text, _ = _line_text(html, "acme/Third")
    assert "NVIDIA pending (verified) · AMD" in text and "Huawei Ascend pending ·" in text
    text, _ = _line_text(html, "acme/Second")
    assert "NVIDIA day-0 (verified H200 +1)" in text

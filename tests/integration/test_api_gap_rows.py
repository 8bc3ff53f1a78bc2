"""Materialised gap rows: refresh after what changed, write only differences, pending elapsed time at read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.api.deps import get_now, get_session
from app.main import create_app
from app.models import GapRecord, Model
from app.services.gaps.query import GapFilters, query_gaps
from app.services.gaps.refresh import refresh_gaps
from app.services.runtimes.catalog_rows import sync_catalog
from tests.support.coverage import observe
from tests.support.seed import Seed

RELEASE = datetime(2025, 9, 1, 12, tzinfo=UTC)
NOW = datetime(2025, 10, 1, tzinfo=UTC)


def _seed(session: Session) -> dict[str, Model]:
    sync_catalog(session)
    seed = Seed(session)
    observe(session, "vllm", "sglang", "rocm-vllm", until=NOW)
    return {
        "moe": seed.model(
            "acme/New-MoE",
            release_at=RELEASE,
            architecture="NewMoeForCausalLM",
            model_type="new_moe",
            family="acme/New-MoE",
        ),
        "dense": seed.model(
            "acme/Dense",
            release_at=RELEASE - timedelta(days=10),
            architecture="DenseForCausalLM",
            model_type="dense",
            family="acme/Dense",
        ),
    }


def _support(session: Session, runtime: str, arch: str, at: datetime, commit: str = "c" * 40) -> None:
    Seed(session).support(runtime, arch, at, commit=commit)


def _snapshot(session: Session) -> set[tuple]:  # type: ignore[type-arg]
    columns = [c for c in GapRecord.__table__.c if c.name != "id"]
    return {tuple(row) for row in session.execute(select(*columns))}


def _cell(session: Session, repo: str, *, runtime: str = "", vendor: str = "") -> GapRecord:
    return session.scalars(
        select(GapRecord).where(
            GapRecord.repo_id == repo,
            GapRecord.stage == "merged",
            GapRecord.runtime == runtime,
            GapRecord.vendor == vendor,
            GapRecord.sku == "",
        )
    ).one()


def test_full_refresh_is_idempotent_and_a_pending_gap_stops_at_observed_until(session: Session) -> None:
    _seed(session)
    _support(session, "vllm", "NewMoeForCausalLM", RELEASE + timedelta(hours=5))
    first = refresh_gaps(session)
    assert first.inserted == first.computed > 0
    assert (first.updated, first.deleted) == (0, 0)
    again = refresh_gaps(session)
    assert (again.inserted, again.updated, again.deleted) == (0, 0, 0)

    vllm = _cell(session, "acme/New-MoE", runtime="vllm")
    assert (vllm.status, vllm.gap_hours, vllm.key_is_new, vllm.commit) == ("day-0", 5.0, True, "c" * 40)
    # sglang was observed until NOW and never registered the key: pending, its gap running to NOW (as of)
    sglang = _cell(session, "acme/New-MoE", runtime="sglang")
    assert (sglang.status, sglang.observed_until) == ("pending", NOW)
    assert sglang.gap_hours == (NOW - RELEASE).total_seconds() / 3600
    [read] = query_gaps(session, GapFilters(stage="merged", runtime="sglang", repo_id="acme/New-MoE"))
    assert (read.status, read.gap_hours, read.observed_until) == ("pending", sglang.gap_hours, NOW)
    # a runtime never observed is unknown: no gap, no support time, whatever it would be
    tgi = _cell(session, "acme/New-MoE", runtime="llama.cpp")
    assert (tgi.status, tgi.gap_hours, tgi.support_at, tgi.observed_until) == ("unknown", None, None, None)

    # a later scan moves observed_until: the pending gap follows it, and stops there
    later = NOW + timedelta(days=2)
    observe(session, "sglang", until=later)
    refresh_gaps(session, runtimes=["sglang"])
    sglang = _cell(session, "acme/New-MoE", runtime="sglang")
    assert (sglang.observed_until, sglang.gap_hours) == (later, (later - RELEASE).total_seconds() / 3600)


def test_a_runtime_refresh_touches_that_runtime_and_its_vendor_views_only(session: Session) -> None:
    _seed(session)
    refresh_gaps(session)
    before = _snapshot(session)
    _support(session, "rocm-vllm", "NewMoeForCausalLM", RELEASE + timedelta(days=3), commit="d" * 40)

    report = refresh_gaps(session, runtimes=["rocm-vllm"])
    # The event is a merged one: the rocm-vllm runtime row and the AMD vendor view change at that stage and at
    # proposed, which a default-branch commit dates too when it came first (Stage.event_stages).
    assert (report.inserted, report.updated, report.deleted) == (0, 4, 0)
    assert _cell(session, "acme/New-MoE", runtime="rocm-vllm").status == "later"
    amd = _cell(session, "acme/New-MoE", vendor="amd")
    assert (amd.status, amd.via_runtime, amd.gap_hours) == ("later", "rocm-vllm", 72.0)
    assert len(_snapshot(session) - before) == 4
    proposed = query_gaps(session, GapFilters(stage="proposed", runtime="rocm-vllm", repo_id="acme/New-MoE"))
    assert [(r.status, r.gap_hours) for r in proposed] == [("later", 72.0)]

    # The incremental result is exactly what a full recompute gives.
    full = refresh_gaps(session)
    assert (full.inserted, full.updated, full.deleted) == (0, 0, 0)


def test_a_model_refresh_recomputes_the_models_whose_key_novelty_it_changes(session: Session) -> None:
    models = _seed(session)
    _support(session, "vllm", "NewMoeForCausalLM", RELEASE + timedelta(days=2))
    refresh_gaps(session)
    assert _cell(session, "acme/New-MoE", runtime="vllm").key_is_new

    # An import reveals another lab's model with the same class, public a month earlier: the key was not new
    # at acme's release any more. Refreshing just the imported model must fix acme's rows too.
    earlier = Model(
        repo_id="other/Same-Arch",
        release_at=RELEASE - timedelta(days=30),
        release_at_source="imported",
        architectures=["NewMoeForCausalLM"],
        model_type="new_moe",
        family="other/Same-Arch",
    )
    session.add(earlier)
    session.flush()
    report = refresh_gaps(session, models=[earlier.id])
    assert report.inserted > 0 and report.updated > 0
    acme = _cell(session, "acme/New-MoE", runtime="vllm")
    assert (acme.key_is_new, acme.status) == (False, "later")
    assert _cell(session, "other/Same-Arch", runtime="vllm").key_is_new
    untouched = refresh_gaps(session)
    assert (untouched.inserted, untouched.updated, untouched.deleted) == (0, 0, 0)

    # The imported date was wrong: the other model came a month *after* acme's. Acme's key is new again
    # (and acme was renamed meanwhile): refreshing the changed models fixes both.
    earlier.release_at = RELEASE + timedelta(days=30)
    models["moe"].repo_id = "acme/New-MoE-Renamed"
    session.flush()
    report = refresh_gaps(session, models=[earlier.id, models["moe"].id])
    assert _cell(session, "acme/New-MoE-Renamed", runtime="vllm").key_is_new
    assert not _cell(session, "other/Same-Arch", runtime="vllm").key_is_new
    assert session.scalar(select(func.count()).where(GapRecord.repo_id == "acme/New-MoE")) == 0

    # Reclassified as a derivative: its rows go.
    earlier.is_derivative = True
    session.flush()
    report = refresh_gaps(session, models=[earlier.id])
    assert report.deleted > 0 and report.inserted == 0
    assert session.scalar(select(func.count()).where(GapRecord.repo_id == "other/Same-Arch")) == 0
    full = refresh_gaps(session)
    assert (full.inserted, full.updated, full.deleted) == (0, 0, 0)


def test_the_api_reads_the_materialised_rows(session: Session) -> None:
    _seed(session)
    # NVIDIA's other runtimes read too (no support), so its cells are complete: a pending one runs to NOW.
    observe(session, "ktransformers", "lightllm", "lmdeploy", "tensorrt-llm", "tgi", until=NOW)
    _support(session, "vllm", "NewMoeForCausalLM", RELEASE - timedelta(days=1))
    refresh_gaps(session)
    app = create_app(start_watchers=False)
    app.dependency_overrides[get_session] = lambda: session
    app.dependency_overrides[get_now] = lambda: NOW
    client = TestClient(app)
    body = client.get("/api/v1/gaps", params={"vendor": "nvidia", "limit": 1}).json()
    # Vendor rows (one per release) and no SKU rows at the merged stage, newest release first, paged in SQL.
    assert body["total"] == 2 and len(body["items"]) == 1 and body["next_cursor"]
    first = body["items"][0]
    assert (
        first["repo_id"],
        first["vendor"],
        first["status"],
        first["via_runtime"],
        first["key_is_new"],
    ) == (
        "acme/New-MoE",
        "nvidia",
        "pre-release",
        "vllm",
        True,
    )
    second = client.get(
        "/api/v1/gaps", params={"vendor": "nvidia", "limit": 1, "cursor": body["next_cursor"]}
    ).json()
    assert [i["repo_id"] for i in second["items"]] == ["acme/Dense"] and second["next_cursor"] is None
    assert second["items"][0]["gap_hours"] == (NOW - (RELEASE - timedelta(days=10))).total_seconds() / 3600

    # Support recorded but not refreshed yet is not served: the table is what was last computed.
    _support(session, "sglang", "DenseForCausalLM", RELEASE, commit="e" * 40)
    dense = client.get("/api/v1/gaps", params={"runtime": "sglang", "rows": "runtime", "status": "pending"})
    assert [i["repo_id"] for i in dense.json()["items"]] == ["acme/New-MoE", "acme/Dense"]
    refresh_gaps(session, runtimes=["sglang"])
    dense = client.get("/api/v1/gaps", params={"runtime": "sglang", "rows": "runtime", "status": "pending"})
    assert [i["repo_id"] for i in dense.json()["items"]] == ["acme/New-MoE"]

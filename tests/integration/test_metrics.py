"""`GET /metrics`: Prometheus text, every metric `launchgap_…`, fed by real scans, polls, requests and rows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.api.deps import get_now, get_session
from app.db.session import create_db_engine, session_factory
from app.main import create_app
from app.metrics import REGISTRY
from app.models import GapRecord
from app.services.runtimes.scan import ScanError, scan_runtime
from app.sources.runtimes.catalog import CATALOG

from ..fakes.fake_hub import FakeHub
from ..support.slice import build_slice

NOW = datetime(2025, 10, 1, tzinfo=UTC)


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _families(client: TestClient) -> dict[str, object]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {family.name: family for family in text_string_to_metric_families(response.text)}


def test_scans_and_hub_requests_are_counted(
    tmp_path: Path, fake_hub: FakeHub, fresh_database_url: str
) -> None:
    events, scans = (
        _value("launchgap_scan_events_total", runtime="vllm"),
        _value("launchgap_scan_duration_seconds_count", runtime="vllm"),
    )
    hub_ok = _value("launchgap_hub_requests_total", outcome="ok")
    build_slice(tmp_path, fake_hub, fresh_database_url)  # one Hub poll, one vLLM scan
    assert _value("launchgap_scan_duration_seconds_count", runtime="vllm") == scans + 1
    assert _value("launchgap_scan_events_total", runtime="vllm") > events
    assert _value("launchgap_hub_requests_total", outcome="ok") > hub_ok

    failures = _value("launchgap_scan_failures_total", runtime="sglang")
    engine = create_db_engine(fresh_database_url)
    try:
        with session_factory(engine)() as session, pytest.raises(ScanError):
            scan_runtime(
                session,
                CATALOG["sglang"],
                data_dir=tmp_path / "data",
                repo=str(tmp_path / "missing"),
                now=NOW,
            )
    finally:
        engine.dispose()
    assert _value("launchgap_scan_failures_total", runtime="sglang") == failures + 1


def test_metrics_are_prometheus_text_named_launchgap(session: Session) -> None:
    app = create_app(start_watchers=False)
    app.dependency_overrides[get_session] = lambda: session
    app.dependency_overrides[get_now] = lambda: NOW
    client = TestClient(app)
    assert client.get("/api/v1/gaps", params={"vendor": "amd"}).status_code == 200
    assert client.get("/api/v1/watches/12345/deliveries").status_code == 401
    assert client.get("/no/such/page/7").status_code == 404

    families = _families(client)
    assert families and all(name.startswith("launchgap_") for name in families)
    assert {
        "launchgap_scan_duration_seconds", "launchgap_scan_events", "launchgap_scan_failures",
        "launchgap_hub_requests", "launchgap_gap_rows", "launchgap_watch_delivery_attempts",
        "launchgap_watch_deliveries", "launchgap_http_request_duration_seconds",
    } <= set(families)  # fmt: skip

    latency = families["launchgap_http_request_duration_seconds"]
    routes = {(s.labels["route"], s.labels["status"]) for s in latency.samples}  # type: ignore[attr-defined]
    # Route templates, never raw paths: a path with an id is one series whatever the id.
    assert ("/api/v1/gaps", "200") in routes
    assert ("/api/v1/watches/{watch_id}/deliveries", "401") in routes
    assert ("unmatched", "404") in routes
    assert not any("12345" in route or "/no/such" in route for route, _ in routes)

    # Database gauges read at scrape time.
    counts = dict(session.execute(select(GapRecord.status, func.count()).group_by(GapRecord.status)).all())
    gap_rows = families["launchgap_gap_rows"]
    by_status: dict[str, float] = {}
    for sample in gap_rows.samples:  # type: ignore[attr-defined]
        by_status[sample.labels["status"]] = by_status.get(sample.labels["status"], 0) + sample.value
    assert by_status == {status: float(n) for status, n in counts.items()}
    deliveries = {s.labels["state"]: s.value for s in families["launchgap_watch_deliveries"].samples}  # type: ignore[attr-defined]
    assert set(deliveries) == {"pending", "delivered", "failed"}

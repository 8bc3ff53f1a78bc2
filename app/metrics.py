"""Prometheus metrics, every one named ``launchgap_…``, on a registry of their own (served at /metrics).

Counters and histograms count what this process did (scans, Hub requests, delivery attempts, HTTP
requests); the gauges read from the database (gap rows, the delivery outbox) are set when scraped, so every
process reports the same shared state.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

SCAN_DURATION = Histogram(
    "launchgap_scan_duration_seconds",
    "Duration of successful runtime scans.",
    ["runtime"],
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600),
    registry=REGISTRY,
)
SCAN_EVENTS = Counter(
    "launchgap_scan_events", "Support events stored by scans (new ones only).", ["runtime"], registry=REGISTRY
)
SCAN_FAILURES = Counter(
    "launchgap_scan_failures", "Runtime scans that failed.", ["runtime"], registry=REGISTRY
)
HUB_REQUESTS = Counter(
    "launchgap_hub_requests",
    "Requests sent to the Hugging Face Hub, by outcome (ok, not_found, rate_limited, http_error, "
    "bad_response, timeout, unreachable).",
    ["outcome"],
    registry=REGISTRY,
)
GAP_ROWS = Gauge(
    "launchgap_gap_rows",
    "Materialised gap rows, by stage and status.",
    ["stage", "status"],
    registry=REGISTRY,
)
WATCH_DELIVERY_ATTEMPTS = Counter(
    "launchgap_watch_delivery_attempts",
    "Watch delivery attempts made by this process, by outcome (delivered, failed, refused).",
    ["outcome"],
    registry=REGISTRY,
)
WATCH_DELIVERIES = Gauge(
    "launchgap_watch_deliveries",
    "Watch deliveries in the outbox, by state (pending, delivered, failed).",
    ["state"],
    registry=REGISTRY,
)
HTTP_REQUEST_DURATION = Histogram(
    "launchgap_http_request_duration_seconds",
    "HTTP request latency, by method, route template and status code.",
    ["method", "route", "status"],
    registry=REGISTRY,
)

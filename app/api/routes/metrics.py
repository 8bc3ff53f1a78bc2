"""`GET /metrics`: Prometheus text format, every metric named `launchgap_…`."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.api.deps import SessionDep
from app.services.operations.gauges import exposition

router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    summary="Prometheus metrics (scans, Hub requests, gap rows, watch deliveries, HTTP latency)",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text exposition format."}},
)
def metrics(session: SessionDep) -> Response:
    body, content_type = exposition(session)
    return Response(body, media_type=content_type)

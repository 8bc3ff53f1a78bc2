"""``POST /hooks/huggingface``: Hub webhooks, answered at once and processed in the background."""

from __future__ import annotations

import json
import logging

from fastapi import APIRouter, BackgroundTasks, Header, HTTPException, Request, Response, status
from pydantic import ValidationError

from app.api.deps import NowDep, SessionDep, SettingsDep
from app.services.hub.webhooks import record_webhook_delivery
from app.services.jobs import process_webhook
from app.sources.hub.webhook import MAX_PAYLOAD_DEPTH, HubWebhookPayload, payload_depth, secret_matches

log = logging.getLogger(__name__)
router = APIRouter(tags=["hooks"])

MAX_PAYLOAD_BYTES = 1_000_000


@router.post("/hooks/huggingface", status_code=status.HTTP_202_ACCEPTED)
async def huggingface_webhook(
    request: Request,
    response: Response,
    background: BackgroundTasks,
    settings: SettingsDep,
    session: SessionDep,
    now: NowDep,
    x_webhook_secret: str | None = Header(default=None),
) -> dict[str, object]:
    """Receive a Hub webhook. 404 when no secret is configured, 401 on a wrong secret, 400 on a bad body;
    200 for a duplicate delivery, 202 when accepted (the model is refreshed in the background)."""
    if settings.hub_webhook_secret is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Not Found")
    if not secret_matches(settings.hub_webhook_secret.get_secret_value(), x_webhook_secret):
        log.warning("Hub webhook refused: wrong or missing X-Webhook-Secret")
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong or missing X-Webhook-Secret")
    body = await request.body()
    if len(body) > MAX_PAYLOAD_BYTES:
        raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "webhook payload too large")
    payload = _parse(body)
    receipt = record_webhook_delivery(session, payload, now)
    session.commit()
    if receipt.duplicate:
        log.info("Hub webhook for %s is a duplicate delivery; ignored", payload.repo.name)
        response.status_code = status.HTTP_200_OK
        return {"status": "duplicate", "delivery": receipt.delivery_id}
    background.add_task(
        process_webhook,
        request.app.state.session_factory,
        request.app.state.settings,
        receipt.delivery_id,
        payload,
    )
    return {"status": "accepted", "delivery": receipt.delivery_id}


def _parse(body: bytes) -> HubWebhookPayload:
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"webhook body is not JSON: {exc}") from exc
    except RecursionError as exc:  # nesting deeper than Python's json parser recurses
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "webhook body nests too deeply") from exc
    if payload_depth(data) > MAX_PAYLOAD_DEPTH:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, f"webhook body nests deeper than {MAX_PAYLOAD_DEPTH} levels"
        )
    try:
        return HubWebhookPayload.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"not a Hub webhook payload: {problems}") from exc

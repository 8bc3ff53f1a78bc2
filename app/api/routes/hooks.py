"""``POST /hooks/huggingface``: Hub webhooks, answered at once and processed in the background."""

from __future__ import annotations

import logging

from fastapi import APIRouter, BackgroundTasks, Header, HTTPException, Request, Response, status

from app.api.deps import NowDep, SessionDep, SettingsDep
from app.services.hub.webhooks import PayloadError, parse_payload, record_webhook_delivery, secret_is_right
from app.services.jobs import process_webhook

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
    if not secret_is_right(settings.hub_webhook_secret.get_secret_value(), x_webhook_secret):
        log.warning("Hub webhook refused: wrong or missing X-Webhook-Secret")
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong or missing X-Webhook-Secret")
    body = await request.body()
    if len(body) > MAX_PAYLOAD_BYTES:
        raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "webhook payload too large")
    try:
        payload = parse_payload(body)
    except PayloadError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc
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

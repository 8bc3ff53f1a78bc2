"""``POST /hooks/huggingface``: Hub webhooks, recorded at once and processed from a queue of their own.

The route never touches the database on the event loop: the delivery is recorded in a worker thread (one of
the write slots every writing request takes), and the work it causes — a Hub request, the model, its gap
rows — waits in the webhook queue (``app/services/hub/webhook_queue.py``): one thread, repeated repos
coalesced, at most ``WebhookQueue.capacity`` repos waiting (503 with ``Retry-After`` beyond).
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Header, HTTPException, Request, Response, status
from starlette.concurrency import run_in_threadpool

from app.api.deps import NowDep, SessionDep, SettingsDep, busy
from app.services.hub.webhooks import PayloadError, parse_payload, record_webhook_delivery, secret_is_right

log = logging.getLogger(__name__)
router = APIRouter(tags=["hooks"])

MAX_PAYLOAD_BYTES = 1_000_000


@router.post("/hooks/huggingface", status_code=status.HTTP_202_ACCEPTED)
async def huggingface_webhook(
    request: Request,
    response: Response,
    settings: SettingsDep,
    session: SessionDep,
    now: NowDep,
    x_webhook_secret: str | None = Header(default=None),
) -> dict[str, object]:
    """Receive a Hub webhook. 404 when no secret is configured, 401 on a wrong secret, 400 on a bad body;
    200 for a duplicate delivery, 202 when accepted (the model is refreshed from the webhook queue), 503
    with ``Retry-After`` when the queue is full (nothing recorded: the Hub's retry is processed)."""
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
    queue = request.app.state.webhook_queue
    repo = payload.repo.name
    if not queue.has_room_for(repo):
        raise busy(f"{queue.capacity} repos are waiting to be processed; retry shortly")

    def record() -> tuple[int, bool]:
        receipt = record_webhook_delivery(session, payload, now)
        session.commit()
        return receipt.delivery_id, receipt.duplicate

    delivery_id, duplicate = await run_in_threadpool(record)
    if duplicate:
        log.info("Hub webhook for %s is a duplicate delivery; ignored", repo)
        response.status_code = status.HTTP_200_OK
        return {"status": "duplicate", "delivery": delivery_id}
    if not queue.put(repo, delivery_id, payload):
        # The room checked above went to other deliveries meanwhile: this one is recorded but will be
        # caught up by the next poll of its publisher.
        log.warning("Hub webhook for %s recorded but not queued (queue full)", repo)
    return {"status": "accepted", "delivery": delivery_id}

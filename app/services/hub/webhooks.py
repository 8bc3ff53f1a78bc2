"""Hub webhooks: record each delivery once, then bring the model it is about up to date (for latency; the
next poll cycle catches up on anything a webhook misses)."""

from __future__ import annotations

import hmac
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.db.session import retry_on_conflict, session_scope
from app.db.upsert import insert_ignoring_conflicts
from app.models.model import Model
from app.models.webhook_delivery import WebhookDelivery
from app.services.hub.apply import apply_hub_model, mark_gone
from app.services.operations import source_state
from app.services.releases.publishers import publisher_for, watched_publisher
from app.services.releases.store import refresh_families
from app.sources.hub import HubClient, HubError, HubRepoNotFound
from app.sources.hub.types import InvalidName, check_repo_id
from app.sources.hub.webhook import HubWebhookPayload

log = logging.getLogger(__name__)

KIND = source_state.HUB_PUBLISHER


# Hub payloads are a few levels deep; anything far deeper is hostile, and json/pydantic recurse per level.
MAX_PAYLOAD_DEPTH = 32


def payload_depth(value: Any) -> int:
    """How deeply ``value`` (parsed JSON) nests lists and objects, counted without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


class PayloadError(ValueError):
    """A webhook body that is not a Hub webhook payload (not JSON, or missing what a payload carries)."""


def parse_payload(body: bytes) -> HubWebhookPayload:
    """The payload in a webhook body, or ``PayloadError`` saying what is wrong with it."""
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PayloadError(f"webhook body is not JSON: {exc}") from exc
    except RecursionError as exc:  # nesting deeper than Python's json parser recurses
        raise PayloadError("webhook body nests too deeply") from exc
    if payload_depth(data) > MAX_PAYLOAD_DEPTH:
        raise PayloadError(f"webhook body nests deeper than {MAX_PAYLOAD_DEPTH} levels")
    try:
        return HubWebhookPayload.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        raise PayloadError(f"not a Hub webhook payload: {problems}") from exc


def secret_is_right(configured: str, given: str | None) -> bool:
    """Whether the ``X-Webhook-Secret`` a delivery carries is the configured one, compared in constant time
    (the Hub sends the secret verbatim)."""
    if given is None:
        return False
    return hmac.compare_digest(configured.encode("utf-8"), given.encode("utf-8"))


@dataclass(frozen=True)
class DeliveryReceipt:
    """What the webhook endpoint answers: a new delivery to process, or a duplicate already recorded."""

    delivery_id: int
    duplicate: bool


def record_webhook_delivery(session: Session, payload: HubWebhookPayload, now: datetime) -> DeliveryReceipt:
    """Store the delivery once (idempotent on its dedupe key, even under concurrent deliveries)."""
    key = payload.dedupe_key()
    row = {
        "dedupe_key": key,
        "received_at": now,
        "scope": payload.event.scope[:64],
        "action": payload.event.action[:32],
        "repo_hub_id": (payload.repo.id or None),
        "repo_name": payload.repo.name[:300],
    }
    inserted = insert_ignoring_conflicts(
        session,
        WebhookDelivery.__table__,  # type: ignore[arg-type]
        [row],
        ["dedupe_key"],
    )
    delivery_id = session.execute(
        select(WebhookDelivery.id).where(WebhookDelivery.dedupe_key == key)
    ).scalar_one()
    return DeliveryReceipt(delivery_id, duplicate=not inserted)


@dataclass(frozen=True)
class WebhookResult:
    """What processing a delivery did: its outcome (also noted on the delivery), and the model it changed
    with the delivery's receipt time, for the workflow to refresh that model's gap rows."""

    outcome: str
    changed_model: int | None = None
    received_at: datetime | None = None


def process_webhook_delivery(
    session_factory: sessionmaker[Session], client: HubClient, delivery_id: int, payload: HubWebhookPayload
) -> WebhookResult:
    """Refresh the model a delivery is about and note the outcome on the delivery. Never raises.

    Turned public (created public, or ``repo.config`` private→public): the release time is observed at the
    delivery's receipt time. Deleted or private again: the model is marked gone. Moved: followed.
    Anything else: the model is refreshed with ``model_info``. Only watched publishers' models are stored.
    The gap rows are the workflow's part (``app/services/jobs.py``, ``process_webhook``).
    """
    with session_scope(session_factory) as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None:
            return WebhookResult("unknown delivery")
        received_at = delivery.received_at
    outcome = _process_with_retry(session_factory, client, payload, received_at)
    with session_scope(session_factory) as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is not None:
            delivery.outcome = outcome[:2000]
            delivery.processed_at = received_at
        changed = _model_of(session, payload) if outcome.startswith(("refreshed", "gone")) else None
        return WebhookResult(outcome, changed.id if changed is not None else None, received_at)


def mark_coalesced(session_factory: sessionmaker[Session], delivery_ids: list[int], into: int) -> None:
    """Note on deliveries for a repo that waited while a newer one for the same repo came in: the newer one
    was processed for them (one Hub request for the repo, whatever the number of deliveries)."""
    with session_scope(session_factory) as session:
        for delivery_id in delivery_ids:
            delivery = session.get(WebhookDelivery, delivery_id)
            if delivery is not None and delivery.outcome is None:
                delivery.outcome = f"coalesced into delivery {into}"
                delivery.processed_at = delivery.received_at


CONFLICT_ATTEMPTS = 3


def _process_with_retry(
    session_factory: sessionmaker[Session],
    client: HubClient,
    payload: HubWebhookPayload,
    received_at: datetime,
) -> str:
    """``_process``, run again when another process stored the same new model first (two deliveries for
    one repo handled at once): the second run finds the row and updates it. Whatever happens, an outcome
    comes back, so no delivery is left without one."""
    try:
        return retry_on_conflict(
            lambda: _process(session_factory, client, payload, received_at), attempts=CONFLICT_ATTEMPTS
        )
    except IntegrityError as exc:
        log.error("Hub webhook for %s kept conflicting: %s", payload.repo.name, exc.orig)
        return f"error: concurrent update kept conflicting ({type(exc.orig).__name__})"
    except (HubError, InvalidName) as exc:
        log.error("Hub webhook for %s failed: %s (the next poll cycle will catch up)", payload.repo.name, exc)
        return f"error: {exc}"
    except Exception as exc:  # recorded on the delivery rather than lost in a background task
        log.exception("Hub webhook for %s failed", payload.repo.name)
        return f"error: {type(exc).__name__}: {exc}"


def _model_of(session: Session, payload: HubWebhookPayload) -> Model | None:
    if payload.repo.id:
        row = session.execute(select(Model).where(Model.hub_id == payload.repo.id)).scalar_one_or_none()
        if row is not None:
            return row
    name = payload.moved_to.name if payload.event.action == "move" and payload.moved_to else payload.repo.name
    return session.execute(select(Model).where(Model.repo_id == name)).scalar_one_or_none()


def _process(
    session_factory: sessionmaker[Session],
    client: HubClient,
    payload: HubWebhookPayload,
    received_at: datetime,
) -> str:
    if payload.repo.type != "model":
        return f"ignored: {payload.repo.type} repo"
    scope = payload.base_scope
    if not scope.startswith("repo"):
        return f"ignored: scope {payload.event.scope}"
    name = payload.moved_to.name if payload.event.action == "move" and payload.moved_to else payload.repo.name
    check_repo_id(name)

    with session_scope(session_factory) as session:
        row = None
        if payload.repo.id:
            row = session.execute(select(Model).where(Model.hub_id == payload.repo.id)).scalar_one_or_none()
        watched = watched_publisher(session, name.split("/", 1)[0])
        if row is None and watched is None:
            return f"ignored: {name.split('/', 1)[0]} is not a watched publisher"
        if (scope == "repo" and payload.event.action == "delete") or payload.turned_private:
            if row is None:
                return "ignored: unknown repo"
            why = "deleted (webhook)" if payload.event.action == "delete" else "made private (webhook)"
            return "gone" if mark_gone(session, row, received_at, why) else "already gone"

    try:
        hub = client.model_info(name)
    except HubRepoNotFound:
        return "not public (model_info: not found)"
    with session_scope(session_factory) as session:
        publisher = publisher_for(session, hub.org)
        state = source_state.get_state(session, KIND, hub.org)
        already_watched = bool((state.cursor or {}).get("complete_listing_at"))
        outcome = apply_hub_model(
            session,
            hub,
            publisher,
            received_at,
            seen_turning_public=payload.turned_public or already_watched,
            seen_at=received_at if payload.turned_public else None,
        )
        refresh_families(session)
    return f"refreshed ({outcome})"

"""A lenient model of Hub webhook payloads (version 3), and the identity used to spot duplicate deliveries.

This is the payload's shape only; reading a delivery's body into it (size, nesting, errors) and checking its
secret happen once, in ``app/services/hub/webhooks.py``.

huggingface_hub's own ``WebhookPayload`` drops ``updatedConfig``, reads ``head_sha`` where the Hub sends
``headSha``, and rejects unknown actions and versions; the payload grows over time, so ours accepts and
keeps unknown fields and only requires what routing needs (``event`` and ``repo``).
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _no_nul(value: str) -> str:
    # Repo names are stored in text columns, and PostgreSQL refuses NUL: a clear 400, not a 500 later.
    if "\x00" in value:
        raise ValueError("NUL characters are not allowed")
    return value


HubText = Annotated[str, AfterValidator(_no_nul)]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class WebhookEvent(_Lenient):
    action: str
    scope: str


class WebhookRepo(_Lenient):
    type: str = "model"
    name: HubText
    id: HubText | None = None
    private: bool | None = None
    head_sha: str | None = Field(default=None, alias="headSha")


class WebhookMovedTo(_Lenient):
    name: HubText


class WebhookInfo(_Lenient):
    id: str | None = None
    version: int | None = None


class HubWebhookPayload(_Lenient):
    """What the Hub POSTs. Narrower scopes (``repo.config.dois``) count as their broader scope."""

    event: WebhookEvent
    repo: WebhookRepo
    updated_config: dict[str, Any] | None = Field(default=None, alias="updatedConfig")
    moved_to: WebhookMovedTo | None = Field(default=None, alias="movedTo")
    webhook: WebhookInfo | None = None

    @property
    def base_scope(self) -> str:
        """``repo``, ``repo.content``, ``repo.config`` or ``discussion…`` (narrower scopes folded in)."""
        scope = self.event.scope
        for known in ("repo.content", "repo.config", "repo"):
            if scope == known or scope.startswith(known + "."):
                return known
        return scope

    @property
    def turned_public(self) -> bool:
        """Created public, or flipped from private to public."""
        if self.base_scope == "repo" and self.event.action == "create":
            return self.repo.private is False
        return self.base_scope == "repo.config" and (self.updated_config or {}).get("private") is False

    @property
    def turned_private(self) -> bool:
        return self.base_scope == "repo.config" and (self.updated_config or {}).get("private") is True

    def dedupe_key(self) -> str:
        """A hash of what identifies one event; the Hub sends no delivery id, and replays resend it all."""
        identity = {
            "webhook": self.webhook.id if self.webhook else None,
            "scope": self.event.scope,
            "action": self.event.action,
            "repo": self.repo.id or self.repo.name,
            "name": self.repo.name,
            "head": self.repo.head_sha,
            "config": self.updated_config,
            "moved": self.moved_to.name if self.moved_to else None,
            "refs": (self.model_extra or {}).get("updatedRefs"),
        }
        return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()

"""Request and response shapes of `/api/v1/watches`."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.domain.vocabulary import AttemptOutcome, DeliveryState, Stage, Vendor
from app.schemas.gaps import GapOut


def _no_nul(value: str | None) -> str | None:
    # No text column accepts NUL on PostgreSQL: refuse it as bad input, the same on both databases.
    if value is not None and "\x00" in value:
        raise ValueError("NUL characters are not allowed")
    return value


class WatchFilterIn(BaseModel):
    """The gap rows a watch follows: the query parameters of `GET /api/v1/gaps`, with the same meaning
    (a `vendor` filter follows that vendor's view and its SKU rows; `stage` defaults to `merged`)."""

    model_config = ConfigDict(extra="forbid")

    repo_id: str | None = Field(default=None, max_length=300, description="A model's repo id.")
    publisher: str | None = Field(default=None, max_length=200, description="A publisher's Hub org.")
    vendor: Vendor | None = Field(default=None, description="A vendor view (and its SKU rows).")
    runtime: str | None = Field(default=None, max_length=64, description="A catalog runtime, e.g. `vllm`.")
    stage: Stage = Field(default=Stage.MERGED, description="The support stage, as on `/api/v1/gaps`.")
    sku: str | None = Field(default=None, max_length=64, description="A hardware SKU, e.g. `MI300X`.")

    _strings = field_validator("repo_id", "publisher", "runtime", "sku")(_no_nul)


class WatchIn(BaseModel):
    """A receiver URL, the secret that signs every delivery, and the filter."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://hooks.example.com/launchgap",
                    "secret": "a-long-random-string-only-you-and-launchgap-know",
                    "filter": {
                        "repo_id": "deepseek-ai/DeepSeek-V4-Pro",
                        "stage": "verified",
                        "sku": "MI300X",
                    },
                }
            ]
        },
    )

    url: str = Field(max_length=2000, description="`http` or `https` URL of a public host.")
    secret: str = Field(
        min_length=16,
        max_length=200,
        description="Key of the HMAC-SHA256 signature (at least 16 characters).",
    )
    filter: WatchFilterIn = Field(default_factory=WatchFilterIn)

    _strings = field_validator("url", "secret")(_no_nul)


class WatchOut(BaseModel):
    """A watch as stored (its secret is never shown again)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 7,
                    "url": "https://hooks.example.com/launchgap",
                    "filter": {
                        "repo_id": "deepseek-ai/DeepSeek-V4-Pro",
                        "publisher": None,
                        "vendor": None,
                        "runtime": None,
                        "stage": "verified",
                        "sku": "MI300X",
                    },
                    "created_at": "2026-11-30T18:00:00Z",
                }
            ]
        }
    )

    id: int
    url: str
    filter: WatchFilterIn
    created_at: datetime


class DeliveryAttemptOut(BaseModel):
    """One attempt to send a delivery."""

    number: int
    started_at: datetime
    duration_ms: int
    outcome: AttemptOutcome = Field(
        description="`delivered`: a 2xx answer; `failed`: another answer or a network error; `refused`: "
        "the host resolved to a non-public address."
    )
    status_code: int | None
    error: str | None
    response_excerpt: str | None = Field(description="The first bytes of the receiver's answer.")


class DeliveryOut(BaseModel):
    """A delivery owed to a watch, with its attempts."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "delivery_id": "5b0a3c52-6f53-4f0e-9d3c-1f0f5a0e9a77",
                    "state": DeliveryState.PENDING,
                    "created_at": "2026-11-30T18:00:00Z",
                    "attempts": 1,
                    "next_attempt_at": "2026-11-30T18:01:00Z",
                    "delivered_at": None,
                    "last_error": "HTTP 500",
                    "gap": GapOut.model_config["json_schema_extra"]["examples"][0],  # type: ignore[index]
                    "attempt_log": [
                        {
                            "number": 1,
                            "started_at": "2026-11-30T18:00:02Z",
                            "duration_ms": 41,
                            "outcome": AttemptOutcome.FAILED,
                            "status_code": 500,
                            "error": "HTTP 500",
                            "response_excerpt": "Internal Server Error",
                        }
                    ],
                }
            ]
        }
    )

    delivery_id: str = Field(description="Also in the payload: a receiver ignores one it has seen.")
    state: DeliveryState = Field(
        description="Waiting to be sent or retried, delivered, or failed (retries given up after a day)."
    )
    created_at: datetime
    attempts: int
    next_attempt_at: datetime | None = Field(description="When the next attempt is due (pending only).")
    delivered_at: datetime | None
    last_error: str | None
    gap: GapOut = Field(description="The payload's gap row, as sent.")
    attempt_log: list[DeliveryAttemptOut]

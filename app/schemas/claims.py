"""Request and response of `POST /api/v1/claims`."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, HttpUrl

from app.domain.vocabulary import Stage


class ClaimIn(BaseModel):
    """Claimed support: who says a runtime or vendor supports a model, from when, and where it is said."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "repo_id": "deepseek-ai/DeepSeek-V4-Flash",
                    "vendor": "huawei",
                    "runtime": "vllm-ascend",
                    "stage": "released",
                    "sku": "910C",
                    "at": "2026-04-24T00:00:00Z",
                    "url": "https://example.com/announcement",
                    "note": "Vendor announcement of day-0 support.",
                }
            ]
        },
    )

    repo_id: str = Field(min_length=3, max_length=300)
    runtime: str | None = None
    vendor: Literal["nvidia", "amd", "huawei", "intel", "apple", "local"] | None = None
    stage: Stage
    sku: str | None = None
    at: AwareDatetime
    url: HttpUrl
    note: str | None = Field(default=None, max_length=2000)
    confidence: Literal["low", "medium", "high"] = "medium"


class ClaimOut(BaseModel):
    """A stored claim. `provenance` is always `claim`."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 7,
                    "repo_id": "deepseek-ai/DeepSeek-V4-Flash",
                    "runtime": "vllm-ascend",
                    "vendor": "huawei",
                    "stage": "released",
                    "sku": "910C",
                    "at": "2026-04-24T00:00:00Z",
                    "url": "https://example.com/announcement",
                    "note": "Vendor announcement of day-0 support.",
                    "confidence": "medium",
                    "provenance": "claim",
                    "recorded_at": "2026-04-24T09:12:00Z",
                    "created": True,
                }
            ]
        }
    )

    id: int
    repo_id: str
    runtime: str | None
    vendor: str | None
    stage: Stage
    sku: str | None
    at: datetime
    url: str
    note: str | None
    confidence: str
    provenance: Literal["claim"] = "claim"
    recorded_at: datetime
    created: bool = Field(default=False, description="False when the same claim was already recorded.")

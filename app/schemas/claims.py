"""Request and response of `POST /api/v1/claims`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl

from app.domain.rows import ClaimRow
from app.domain.vocabulary import Stage, Vendor
from app.schemas.common import Text, UtcTime
from app.schemas.derive import response_schema

URL_MAX_LENGTH = 1000  # the support_claims.url column


def _fits_column(url: HttpUrl) -> HttpUrl:
    # Checked after normalisation (the stored form can be longer than what was sent, e.g. a trailing "/").
    if len(str(url)) > URL_MAX_LENGTH:
        raise ValueError(f"URL longer than {URL_MAX_LENGTH} characters")
    return url


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

    repo_id: Text = Field(min_length=3, max_length=300)
    runtime: Text | None = None
    vendor: Vendor | None = None
    stage: Stage
    sku: Text | None = None
    at: UtcTime
    url: Annotated[HttpUrl, AfterValidator(_fits_column)] = Field(
        description=f"Where the support is claimed (at most {URL_MAX_LENGTH} characters)."
    )
    note: Text | None = Field(default=None, max_length=2000)
    confidence: Literal["low", "medium", "high"] = "medium"


_CLAIM_EXAMPLE: dict[str, Any] = {
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

ClaimOut = response_schema(
    "ClaimOut",
    ClaimRow,
    doc="A stored claim. `provenance` is always `claim`.",
    module=__name__,
    example=_CLAIM_EXAMPLE,
)

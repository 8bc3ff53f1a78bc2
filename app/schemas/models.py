"""API shapes of models and their support ladders."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.domain.gap_row import RUNG_FIELDS, GapRow
from app.domain.rows import ClaimRow
from app.domain.vocabulary import GapStatus
from app.schemas.derive import response_schema

_MODEL_EXAMPLE: dict[str, Any] = {
    "repo_id": "deepseek-ai/DeepSeek-V3",
    "hub_id": "676b0b7a0c3e0e5d8a6f0000",
    "publisher": "deepseek-ai",
    "architectures": ["DeepseekV3ForCausalLM"],
    "model_type": "deepseek_v3",
    "parameters": 684531386000,
    "created_at": "2024-12-25T12:00:00Z",
    "first_seen_public_at": "2024-12-26T03:10:00Z",
    "release_at": "2024-12-26T03:10:00Z",
    "release_at_source": "observed",
    "release_precision": "second",
    "release_confidence": "high",
    "release_source_text": "first seen public by the Hub poller",
    "release_notes": None,
    "is_derivative": False,
    "new_architecture": True,
    "family": "deepseek-ai/DeepSeek-V3-Base",
    "visibility": "public",
    "gated": None,
    "downloads": 412345,
    "likes": 3180,
    "derivatives": 0,
    "demand_read_at": "2026-05-01T12:00:00Z",
    "publisher_discovered": False,
}


class ModelOut(BaseModel):
    """A Hub model repository as LaunchGap knows it."""

    model_config = ConfigDict(json_schema_extra={"examples": [_MODEL_EXAMPLE]})

    repo_id: str
    hub_id: str | None = Field(description="The Hub's stable `_id`; null until the Hub was polled.")
    publisher: str | None
    architectures: list[str]
    model_type: str | None
    parameters: int | None
    created_at: datetime | None = Field(description="The Hub's `createdAt` (repo creation).")
    first_seen_public_at: datetime | None
    release_at: datetime | None
    release_at_source: ReleaseSource | None = Field(
        description="Where the release time comes from, best first: `observed` by LaunchGap (poll or webhook), "
        "`imported` by the operator, `bundled` facts, `created_at_estimate` (repo creation)."
    )
    release_precision: Literal["second", "day"] = Field(
        description="`day`: a date without a time (shown as a day; the release may be anywhere in it)."
    )
    release_confidence: str | None
    release_source_text: str | None = Field(
        description="The source's own words: a URL or citation for a fact, how LaunchGap saw it otherwise."
    )
    release_notes: str | None = Field(description="Notes of the facts file the release time comes from.")
    is_derivative: bool
    new_architecture: bool
    family: str | None
    visibility: Literal["public", "gone"]
    gated: str | None
    downloads: int = Field(
        description="Demand: the Hub's recent-downloads figure (last 30 days) when read at `demand_read_at`."
    )
    likes: int = Field(description="Demand: the Hub's likes when read at `demand_read_at`.")
    derivatives: int = Field(
        description="Demand: fine-tunes, quantisations, adapters and merges of this release the Hub firehose "
        "has seen (0 until counted)."
    )
    demand_read_at: datetime | None = Field(
        description="When downloads and likes were read from the Hub (each publisher poll refreshes them); "
        "null: never read, the figures are unknown rather than 0."
    )
    publisher_discovered: bool = Field(
        default=False,
        description="Its publisher is watched because the Hub firehose discovered it (`GET /api/v1/publishers`).",
    )


ReleaseSource = Literal["observed", "imported", "bundled", "created_at_estimate"]


class ReleaseTimeOut(BaseModel):
    """One source's release time (every source is kept; the best-ranked one is the release time)."""

    source: ReleaseSource
    at: datetime
    precision: Literal["second", "day"]
    detail: str | None = Field(description="The source text (URL, citation, or how LaunchGap saw it).")
    confidence: str | None
    notes: str | None


class ReleaseConflictOut(BaseModel):
    """A source whose release time cannot be the same day as the chosen one's: listed, never hidden."""

    source: ReleaseSource
    at: datetime
    precision: Literal["second", "day"]
    detail: str | None
    chosen_source: ReleaseSource
    chosen_at: datetime


RungOut = response_schema(
    "RungOut",
    GapRow,
    doc="One stage of a support ladder, with the evidence that dates it.",
    module=__name__,
    only=RUNG_FIELDS,
)


class LadderOut(BaseModel):
    """The support ladder of one runtime, vendor view (runtime null) or runtime × SKU."""

    runtime: str | None
    vendor: str | None
    sku: str | None
    rungs: list[RungOut]  # type: ignore[valid-type]


ClaimSummary = response_schema(
    "ClaimSummary",
    ClaimRow,
    doc="A claimed support event, shown as a claim (never mixed with git or docs evidence).",
    module=__name__,
    leave_out=("repo_id", "provenance", "created"),
)


class ModelDetailOut(ModelOut):
    """A model with its support ladder per runtime, vendor and SKU, and the claims made about it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_MODEL_EXAMPLE,
                    "ladders": [
                        {
                            "runtime": None,
                            "vendor": "nvidia",
                            "sku": None,
                            "rungs": [
                                {
                                    "stage": "merged",
                                    "status": GapStatus.PRE_RELEASE,
                                    "gap_hours": -22.17,
                                    "support_at": "2024-12-25T05:00:00Z",
                                    "author_at": "2024-12-20T10:00:00Z",
                                    "key_kind": "architecture",
                                    "key": "DeepseekV3ForCausalLM",
                                    "commit": "0123456789abcdef0123456789abcdef01234567",
                                    "tag": None,
                                    "evidence_url": "https://github.com/vllm-project/vllm/commit/0123456789abcdef0123456789abcdef01234567",
                                    "confidence": "high",
                                    "via_runtime": "vllm",
                                }
                            ],
                        }
                    ],
                    "claims": [],
                }
            ]
        }
    )

    ladders: list[LadderOut]
    claims: list[ClaimSummary]  # type: ignore[valid-type]
    release_times: list[ReleaseTimeOut] = Field(
        default_factory=list, description="Every source's release time, the chosen one first."
    )
    release_conflicts: list[ReleaseConflictOut] = Field(
        default_factory=list, description="Sources that disagree with the chosen release time."
    )

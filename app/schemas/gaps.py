"""API shape of a launch gap."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

GapStatus = Literal["pre-existing", "pre-release", "day-0", "later", "pending"]
Stage = Literal["branch", "merged", "released", "documented", "verified"]


class GapOut(BaseModel):
    """One launch gap: a release, a runtime (or vendor), a stage."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "repo_id": "deepseek-ai/DeepSeek-V3",
                    "family": None,
                    "publisher": "deepseek-ai",
                    "runtime": "vllm",
                    "vendor": None,
                    "sku": None,
                    "stage": "merged",
                    "key_kind": "architecture",
                    "key": "DeepseekV3ForCausalLM",
                    "key_is_new": True,
                    "status": "pre-release",
                    "gap_hours": -24.5,
                    "confidence": "high",
                    "release_at": "2024-12-26T00:00:00Z",
                    "release_precision": "day",
                    "support_at": "2024-12-24T23:30:00Z",
                    "author_at": "2024-12-20T10:00:00Z",
                    "commit": "0123456789abcdef0123456789abcdef01234567",
                    "tag": None,
                    "evidence_url": "https://github.com/vllm-project/vllm/commit/0123456789abcdef0123456789abcdef01234567",
                    "via_runtime": None,
                }
            ]
        }
    )

    repo_id: str
    family: str | None = Field(default=None, description="Release family: repo id of its earliest member.")
    publisher: str | None
    runtime: str | None = Field(description="Null on vendor rows.")
    vendor: str | None = Field(default=None, description="Vendor view (vendor rows) or the SKU's vendor.")
    sku: str | None = Field(default=None, description="Null unless the row is per hardware SKU.")
    stage: Stage
    key_kind: str | None = Field(description="The kind of key the runtime matched the release on.")
    key: str | None
    key_is_new: bool = Field(
        description="No earlier public model of another release family carried the key; statistics count "
        "only these."
    )
    status: GapStatus
    gap_hours: float = Field(
        description="Support time − release time; negative for pre-release; elapsed so far when pending."
    )
    confidence: str
    release_at: datetime
    release_precision: Literal["second", "day"]
    support_at: datetime | None
    author_at: datetime | None = Field(
        description="Author time of the supporting commit: evidence of when the work was done."
    )
    commit: str | None
    tag: str | None
    evidence_url: str | None
    via_runtime: str | None = Field(
        default=None, description="On vendor rows: the runtime whose support was earliest for that vendor."
    )

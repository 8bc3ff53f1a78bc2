"""API shape of a support event."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from app.domain.vocabulary import Stage


class EventOut(BaseModel):
    """One dated piece of evidence that a runtime gained (or lost) support for a key at a stage."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 1,
                    "runtime": "vllm",
                    "key_kind": "architecture",
                    "key": "DeepseekV3ForCausalLM",
                    "stage": "merged",
                    "event": "added",
                    "at": "2024-12-26T05:00:00Z",
                    "author_at": "2024-12-20T10:00:00Z",
                    "commit": "0123456789abcdef0123456789abcdef01234567",
                    "tag": None,
                    "branch": None,
                    "sku": None,
                    "signal": "registry",
                    "pr_number": 11523,
                    "is_prerelease": None,
                    "evidence_url": "https://github.com/vllm-project/vllm/commit/0123456789abcdef0123456789abcdef01234567",
                    "provenance": "git",
                    "confidence": "high",
                    "retracted_at": None,
                    "recorded_at": "2024-12-26T06:00:00Z",
                }
            ]
        }
    )

    id: int
    runtime: str
    key_kind: str
    key: str
    stage: Stage
    event: Literal["added", "removed"]
    at: datetime
    author_at: datetime | None
    commit: str | None
    tag: str | None
    branch: str | None
    sku: str | None
    signal: str | None
    pr_number: int | None
    is_prerelease: bool | None
    evidence_url: str | None
    provenance: str
    confidence: str
    retracted_at: datetime | None
    recorded_at: datetime

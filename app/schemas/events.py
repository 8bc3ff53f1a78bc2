"""API shape of a support event, derived from its row shape (``app/domain/rows.py``)."""

from __future__ import annotations

from typing import Any

from app.domain.rows import EventRow
from app.schemas.derive import response_schema

_EXAMPLE: dict[str, Any] = {
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

EventOut = response_schema(
    "EventOut",
    EventRow,
    doc="One dated piece of evidence that a runtime gained (or lost) support for a key at a stage.",
    module=__name__,
    example=_EXAMPLE,
)

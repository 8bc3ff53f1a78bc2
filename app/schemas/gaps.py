"""API shape of a launch gap, derived from the one gap-row shape (``app/domain/gap_row.py``)."""

from __future__ import annotations

from typing import Any

from app.domain.gap_row import GapRow
from app.domain.vocabulary import Confidence, GapStatus, KeyKind, ReleasePrecision, Stage
from app.schemas.derive import response_schema

_EXAMPLE: dict[str, Any] = {
    "repo_id": "deepseek-ai/DeepSeek-V3",
    "family": None,
    "publisher": "deepseek-ai",
    "runtime": "vllm",
    "vendor": None,
    "sku": None,
    "stage": Stage.MERGED,
    "key_kind": KeyKind.ARCHITECTURE,
    "key": "DeepseekV3ForCausalLM",
    "key_is_new": True,
    "status": GapStatus.PRE_RELEASE,
    "gap_hours": -24.5,
    "confidence": Confidence.HIGH,
    "release_at": "2024-12-26T00:00:00Z",
    "release_precision": ReleasePrecision.DAY,
    "support_at": "2024-12-24T23:30:00Z",
    "author_at": "2024-12-20T10:00:00Z",
    "commit": "0123456789abcdef0123456789abcdef01234567",
    "tag": None,
    "evidence_url": "https://github.com/vllm-project/vllm/commit/0123456789abcdef0123456789abcdef01234567",
    "via_runtime": None,
}


GapOut = response_schema(
    "GapOut",
    GapRow,
    doc="One launch gap: a release, a runtime (or vendor), a stage.",
    module=__name__,
    example=_EXAMPLE,
)

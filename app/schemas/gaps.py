"""API shape of a launch gap, derived from the one gap-row shape (``app/domain/gap_row.py``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from app.domain.gap_row import GapField, gap_fields
from app.domain.vocabulary import Confidence, GapStatus, KeyKind, ReleasePrecision, Stage

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


def _api_field(item: GapField) -> tuple[Any, Any]:
    annotation: Any = item.type | None if item.nullable else item.type
    # Only a None default makes a field optional in the API: the row's other defaults are conveniences for
    # the code that builds rows, and every response carries the field.
    default = None if item.default is None else ...
    return annotation, Field(default, description=item.description)


class _GapBase(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})


GapOut: type[BaseModel] = create_model(  # type: ignore[call-overload]
    "GapOut",
    __base__=_GapBase,
    __doc__="One launch gap: a release, a runtime (or vendor), a stage.",
    __module__=__name__,
    **{item.name: _api_field(item) for item in gap_fields() if item.api},
)

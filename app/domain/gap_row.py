"""The one gap-row shape: every field of a launch gap, declared once.

The table (``app/models/gap.py``), the mapping between table and row (``app/services/gaps/record.py``) and
the API schema (``app/schemas/gaps.py``) are derived from ``GapRow``'s fields, so a new field is one edit
here (plus its migration). Each field's ``metadata`` says how it is stored and described:

- ``length``: a string column's length (no length: an unbounded text column);
- ``identity``: part of the row's identity, stored as '' for "not applicable" (a unique constraint treats
  NULLs as distinct, so NULLs would let duplicates in) and read back as None;
- ``stored_nullable``: overrides the nullability the type implies, for the table only;
- ``api``: False keeps the field out of the API schema;
- ``description``: the API schema's description.
"""

from __future__ import annotations

import dataclasses
import types
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, get_type_hints

from app.domain.vocabulary import Confidence, GapStatus, KeyKind, ReleasePrecision, Stage, Vendor


def _spec(
    *,
    length: int | None = None,
    identity: bool = False,
    stored_nullable: bool | None = None,
    api: bool = True,
    description: str | None = None,
) -> dict[str, Any]:
    return {
        "length": length,
        "identity": identity,
        "stored_nullable": stored_nullable,
        "api": api,
        "description": description,
    }


@dataclass(frozen=True, kw_only=True)
class GapRow:
    """One launch gap: a release, a runtime (or a vendor view, or a runtime's SKU), a stage.

    Runtime rows have ``vendor`` None; vendor rows have ``runtime`` None and name the runtime whose support
    was earliest in ``via_runtime``; SKU rows have both plus ``sku``. Fields are in the API's order.
    """

    repo_id: str = field(metadata=_spec(length=300))
    family: str | None = field(
        default=None,
        metadata=_spec(
            length=300, stored_nullable=False, description="Release family: repo id of its earliest member."
        ),
    )
    publisher: str | None = field(metadata=_spec(length=200))
    runtime: str | None = field(metadata=_spec(length=64, identity=True, description="Null on vendor rows."))
    vendor: Vendor | None = field(
        default=None,
        metadata=_spec(
            length=16, identity=True, description="Vendor view (vendor rows) or the SKU's vendor."
        ),
    )
    sku: str | None = field(
        default=None,
        metadata=_spec(length=64, identity=True, description="Null unless the row is per hardware SKU."),
    )
    stage: Stage = field(metadata=_spec(length=16))
    key_kind: KeyKind | None = field(
        metadata=_spec(length=32, description="The kind of key the runtime matched the release on.")
    )
    key: str | None = field(metadata=_spec(length=300))
    key_is_new: bool = field(
        metadata=_spec(
            description="No earlier public model of another release family carried the key; statistics "
            "count only these."
        ),
    )
    status: GapStatus = field(metadata=_spec(length=16))
    gap_hours: float | None = field(
        metadata=_spec(
            description="Support time − release time; negative for pre-release; when pending, the time from "
            "the release to `observed_until` (censored there); null when unknown or before-coverage.",
        )
    )
    confidence: Confidence = field(metadata=_spec(length=8))
    release_at: datetime = field(metadata=_spec())
    release_precision: ReleasePrecision = field(metadata=_spec(length=8))
    support_at: datetime | None = field(metadata=_spec())
    author_at: datetime | None = field(
        metadata=_spec(
            description="Author time of the supporting commit: evidence of when the work was done."
        )
    )
    commit: str | None = field(metadata=_spec(length=64))
    tag: str | None = field(metadata=_spec(length=200))
    evidence_url: str | None = field(metadata=_spec())
    via_runtime: str | None = field(
        default=None,
        metadata=_spec(
            length=64,
            description="On vendor rows: the runtime whose support was earliest for that vendor.",
        ),
    )
    observed_until: datetime | None = field(
        default=None,
        metadata=_spec(
            description="Until when the source is known (a vendor row: the earliest among its observed "
            "runtimes); null when never observed. A pending gap runs to this time, not to the wall clock."
        ),
    )
    complete: bool = field(
        default=True,
        metadata=_spec(
            description="Whether the cell is decided: true on runtime and SKU rows; on a vendor row, whether "
            "every runtime of the vendor (with a source for the stage) is observed far enough to rule out "
            "earlier support (until the support time, or the release when there is none). An incomplete "
            "supported cell's gap is an upper bound; an incomplete cell without support is unknown."
        ),
    )
    runtimes_total: int | None = field(
        default=None,
        metadata=_spec(
            description="On vendor rows: the vendor's catalog runtimes with a source for the stage."
        ),
    )
    runtimes_observed: int | None = field(
        default=None,
        metadata=_spec(description="On vendor rows: how many of them are observed far enough for this cell."),
    )
    unobserved_runtimes: str | None = field(
        default=None,
        metadata=_spec(
            description="On incomplete vendor rows: the runtimes not observed far enough, comma-separated."
        ),
    )
    tag_prerelease: bool | None = field(
        default=None,
        metadata=_spec(
            description="On `released` rows: whether the first runtime release carrying support is a "
            "pre-release (rc, alpha, beta, dev); not to be confused with the pre-release status."
        ),
    )
    first_final_tag: str | None = field(
        default=None,
        metadata=_spec(
            length=200, description="On `released` rows: the first final release carrying support."
        ),
    )
    first_final_at: datetime | None = field(
        default=None, metadata=_spec(description="On `released` rows: when that final release was made.")
    )
    first_final_evidence_url: str | None = field(
        default=None, metadata=_spec(description="On `released` rows: the page of that final release.")
    )
    final_status: GapStatus | None = field(
        default=None,
        metadata=_spec(
            length=16,
            description="The status measured to the first final release (`final_only=true` reads this); the "
            "same as `status` on other stages.",
        ),
    )
    final_gap_hours: float | None = field(
        default=None, metadata=_spec(description="The gap measured to the first final release.")
    )
    model_id: int | None = field(default=None, metadata=_spec(api=False))
    """The model's row id; the table declares its own column for it (a foreign key)."""


RUNG_FIELDS = (
    "stage", "status", "gap_hours", "support_at", "author_at", "key_kind", "key", "commit", "tag",
    "evidence_url", "confidence", "via_runtime", "observed_until", "tag_prerelease", "first_final_tag",
    "first_final_at", "complete", "unobserved_runtimes",
)  # fmt: skip
"""What one rung of a model's support ladder shows: the gap row's stage, status and evidence."""


@dataclass(frozen=True)
class GapField:
    """One ``GapRow`` field as the table, the record mapping and the API schema read it."""

    name: str
    type: type
    """The value's type, without ``None``."""
    nullable: bool
    """Whether the row may hold None."""
    default: Any
    """The row's default, ``dataclasses.MISSING`` when it has none."""
    length: int | None
    identity: bool
    stored_nullable: bool
    api: bool
    description: str | None


@cache
def gap_fields() -> tuple[GapField, ...]:
    """``GapRow``'s fields in declaration order, with their types resolved."""
    hints = get_type_hints(GapRow)
    result = []
    for item in dataclasses.fields(GapRow):
        hint = hints[item.name]
        members = [t for t in getattr(hint, "__args__", (hint,)) if t is not type(None)]
        nullable = isinstance(hint, types.UnionType) and len(members) < len(hint.__args__)
        spec = item.metadata
        stored_nullable = spec["stored_nullable"]
        if spec["identity"]:
            stored_nullable = False  # '' stands for "not applicable"
        result.append(
            GapField(
                name=item.name,
                type=members[0],
                nullable=nullable,
                default=item.default,
                length=spec["length"],
                identity=spec["identity"],
                stored_nullable=nullable if stored_nullable is None else stored_nullable,
                api=spec["api"],
                description=spec["description"],
            )
        )
    return tuple(result)

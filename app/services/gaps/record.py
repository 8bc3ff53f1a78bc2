"""The mapping between ``GapRow`` and its table, derived from the row's shape (``app/domain/gap_row.py``).

Writing: ``values`` gives a row's column values (identity parts '' for "not applicable"). Reading:
``READ_COLUMNS`` selects them (times untyped, see ``utc``) and ``from_record`` rebuilds the row. Nothing
depends on the reader's clock: a pending gap runs to the source's ``observed_until``, stored with the row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, type_coerce

from app.domain.gap_row import GapRow, gap_fields
from app.domain.vocabulary import RowKind
from app.models import GapRecord

TABLE = GapRecord.__table__.c
TIMES = tuple(item.name for item in gap_fields() if issubclass(item.type, datetime))

# Times are read untyped and converted by ``utc``: the generic DateTime result processor costs more than
# the rest of a row, and the gap pages read tens of thousands of rows.
READ_COLUMNS = tuple(
    type_coerce(column, String).label(column.name) if column.name in TIMES else column
    for column in GapRecord.__table__.columns
    if column.name != "id"
)

Identity = tuple[int, str, str, str, str, str]
"""(model id, stage, row kind, runtime, vendor, SKU): what the table's unique constraint says a row is."""


def utc(value: datetime | str) -> datetime:
    """A time column read untyped: PostgreSQL's driver already gives an aware datetime; SQLite gives the
    stored naive-UTC text, which ``fromisoformat`` parses several times faster than the generic DateTime
    result processor."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def row_kind(row: GapRow) -> RowKind:
    return RowKind.SKU if row.sku else RowKind.VENDOR if row.runtime is None else RowKind.RUNTIME


def identity(row: GapRow) -> Identity:
    kind = row_kind(row)
    vendor = row.vendor or "" if kind != RowKind.RUNTIME else ""
    return (row.model_id or 0, row.stage, kind, row.runtime or "", vendor, row.sku or "")


def values(row: GapRow) -> dict[str, object]:
    """The row's column values, as ``refresh_gaps`` writes and compares them."""
    model_id, stage, kind, runtime, vendor, sku = identity(row)
    result: dict[str, object] = {"model_id": model_id, "row_kind": kind}
    for item in gap_fields():
        if item.name != "model_id":
            result[item.name] = getattr(row, item.name)
    result.update(stage=stage, runtime=runtime, vendor=vendor, sku=sku)
    result["family"] = row.family or row.repo_id
    return result


# Per field: its position in ``READ_COLUMNS`` and how to read it back (as stored, identity, time).
_AS_STORED, _IDENTITY, _TIME = 0, 1, 2
_READERS = tuple(
    (
        item.name,
        [column.name for column in READ_COLUMNS].index(item.name),
        _IDENTITY if item.identity else _TIME if item.name in TIMES else _AS_STORED,
    )
    for item in gap_fields()
)


API_FIELDS = tuple(item.name for item in gap_fields() if item.api)
"""The fields the API shows, in its order (``GapOut``'s)."""


def from_record(record: Sequence[Any], *, final_only: bool = False) -> GapRow:
    """The row a ``READ_COLUMNS`` record stores; with ``final_only``, measured to the first final runtime
    release (status, gap, support time and tag)."""
    return GapRow(**record_fields(record, final_only=final_only))


def api_fields(record: Sequence[Any], *, final_only: bool = False) -> dict[str, Any]:
    """What ``GapOut`` shows of a ``READ_COLUMNS`` record, in its field order, as plain values (no row or
    model objects on the way: a page of the hot list goes straight from here to JSON)."""
    fields = record_fields(record, final_only=final_only)
    return {name: fields[name] for name in API_FIELDS}


def record_fields(record: Sequence[Any], *, final_only: bool = False) -> dict[str, Any]:
    """The ``GapRow`` field values a ``READ_COLUMNS`` record stores (see ``from_record``)."""
    fields: dict[str, Any] = {}
    for name, position, how in _READERS:
        value = record[position]
        if how == _IDENTITY:
            value = value or None
        elif how == _TIME and value is not None:
            value = utc(value)
        fields[name] = value
    if final_only and fields["final_status"] is not None and fields["tag"] != fields["first_final_tag"]:
        fields.update(
            status=fields["final_status"],
            gap_hours=fields["final_gap_hours"],
            support_at=fields["first_final_at"],
            tag=fields["first_final_tag"],
            tag_prerelease=False if fields["first_final_tag"] else None,
            evidence_url=fields["first_final_evidence_url"],
            commit=None,
            author_at=None,
        )
    return fields

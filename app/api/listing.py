"""List responses: the JSON page envelope, or CSV with ``?format=csv`` / ``Accept: text/csv``."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, Literal

from fastapi import Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from pydantic_core import to_json

from app.api.pagination import decode_cursor, encode_cursor, paginate
from app.schemas.common import Page

FormatQuery = Annotated[
    Literal["json", "csv"] | None,
    Query(description="`csv` for a CSV export of every matching row (no pagination); JSON by default."),
]
LimitQuery = Annotated[int, Query(ge=1, le=1000, description="Page size.")]
CursorQuery = Annotated[str | None, Query(description="`next_cursor` of the previous page.")]


def wants_csv(request: Request, format: str | None) -> bool:
    if format is not None:
        return format == "csv"
    return "text/csv" in request.headers.get("accept", "")


# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if isinstance(value, str) and not isinstance(value, Enum):
        # Text from outside (claim notes, model names) is neutralised with a leading apostrophe; numbers
        # are not text here, so a negative gap stays a number.
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def csv_response(schema: type[BaseModel], items: Sequence[BaseModel], filename: str) -> Response:
    """Every item as a CSV row, columns in the schema's field order (stable names)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = _columns(schema)
    writer.writerow([".".join(path) for path in columns])
    for item in items:
        writer.writerow([_cell(_value(item, path)) for path in columns])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _columns(schema: type[BaseModel]) -> list[tuple[str, ...]]:
    """Attribute paths of the CSV columns: plain fields, and a nested object's plain fields as
    ``object.field`` (lists of objects have no place in a row and are left out)."""
    columns: list[tuple[str, ...]] = []
    for name, info in schema.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            columns.extend((name, *path) for path in _columns(annotation) if len(path) == 1)
        elif not _is_nested(annotation):
            columns.append((name,))
    return columns


def _value(item: BaseModel, path: tuple[str, ...]) -> Any:
    value: Any = item
    for name in path:
        value = getattr(value, name)
    return value


def _is_nested(annotation: Any) -> bool:
    text = str(annotation)
    return "list[app." in text or "dict[" in text


def page_or_csv(
    request: Request,
    schema: type[BaseModel],
    rows: Sequence[Any],
    *,
    limit: int,
    cursor: str | None,
    format: str | None,
    filename: str,
) -> Page[Any] | Response:
    """A page of ``rows`` converted to ``schema``, or all of them as CSV."""
    if wants_csv(request, format):
        return csv_response(schema, [schema.model_validate(r, from_attributes=True) for r in rows], filename)
    items, total, next_cursor = paginate(rows, limit=limit, cursor=cursor)
    return Page[schema](  # type: ignore[valid-type]
        items=[schema.model_validate(r, from_attributes=True) for r in items],
        total=total,
        next_cursor=next_cursor,
    )


def query_page_or_csv(
    request: Request,
    schema: type[BaseModel],
    fetch: Callable[[int | None, int], Sequence[Any]],
    count: Callable[[], int],
    *,
    limit: int,
    cursor: str | None,
    format: str | None,
    filename: str,
) -> Page[Any] | Response:
    """Like ``page_or_csv`` for a query that pages in the database: ``fetch(limit, offset)`` reads one page
    (``limit`` None: every row, for CSV) and ``count()`` the total, so a page never loads every match."""
    if wants_csv(request, format):
        return csv_response(
            schema, [schema.model_validate(r, from_attributes=True) for r in fetch(None, 0)], filename
        )
    items, total, next_cursor = _window(fetch, count, limit=limit, cursor=cursor)
    return Page[schema](  # type: ignore[valid-type]
        items=[schema.model_validate(r, from_attributes=True) for r in items],
        total=total,
        next_cursor=next_cursor,
    )


def _window(
    fetch: Callable[[int | None, int], Sequence[Any]],
    count: Callable[[], int],
    *,
    limit: int,
    cursor: str | None,
) -> tuple[Sequence[Any], int, str | None]:
    """One page read in the database: its items, the total and the next cursor (None at the end)."""
    offset = decode_cursor(cursor) if cursor else 0
    total = count()
    items = fetch(limit, offset) if offset < total else []
    return items, total, encode_cursor(offset + limit) if offset + limit < total else None


def query_page_body(
    fetch: Callable[[int | None, int], Sequence[dict[str, Any]]],
    count: Callable[[], int],
    *,
    limit: int,
    cursor: str | None,
) -> bytes:
    """``query_page_or_csv``'s JSON page, as bytes, for items already in the schema's shape (plain values, the
    schema's field order): serialised as read, by the same serializer FastAPI uses for response models, so
    the bytes are the ones the validated path gives (tests/integration/test_gaps_fast_path.py) at a fraction
    of the cost. The route keeps ``response_model`` for its documentation."""
    items, total, next_cursor = _window(fetch, count, limit=limit, cursor=cursor)
    return to_json({"items": items, "total": total, "next_cursor": next_cursor})

"""Shapes shared by every list endpoint."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar, get_args

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

Item = TypeVar("Item")


def _in_utc(value: datetime) -> datetime:
    # 0001-01-01T00:00:00+14:00 is a valid ISO time whose UTC instant is before year 1: Python cannot hold
    # it and the database layer raised a 500. Said here, once, for every time a request carries.
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise ValueError("time out of range: its UTC instant falls outside years 1-9999") from exc


def _no_nul(value: str) -> str:
    # No text column holds NUL (PostgreSQL refuses it): refused the same way on both databases.
    if "\x00" in value:
        raise ValueError("NUL characters are not allowed")
    return value


UtcTime = Annotated[AwareDatetime, AfterValidator(_in_utc)]
"""A time with a zone, as UTC; a clear 422 for a naive time or one whose UTC instant Python cannot hold."""

Text = Annotated[str, AfterValidator(_no_nul)]
"""A string a text column can store: no NUL characters."""

# encode_cursor(100): what the second page of a 100-item page size is asked with.
EXAMPLE_CURSOR = "eyJvIjogMTAwfQ"


def _page_example(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """Every ``Page[X]`` schema shows a page holding ``X``'s own example, so each list has one."""
    args = get_args(model.model_fields["items"].annotation)
    item = args[0] if args else None
    extra = (
        item.model_config.get("json_schema_extra")
        if isinstance(item, type) and issubclass(item, BaseModel)
        else None
    )
    examples = extra.get("examples") if isinstance(extra, dict) else None
    if examples:
        schema["examples"] = [{"items": examples[:1], "total": 250, "next_cursor": EXAMPLE_CURSOR}]


class Page(BaseModel, Generic[Item]):
    """Every list answers with its items, the total matching, and a cursor for the next page (null at the end)."""

    model_config = ConfigDict(json_schema_extra=_page_example)

    items: list[Item]
    total: int = Field(description="Number of items matching the filters, across all pages.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )

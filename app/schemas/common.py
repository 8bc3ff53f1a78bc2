"""Shapes shared by every list endpoint."""

from __future__ import annotations

from typing import Any, Generic, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field

Item = TypeVar("Item")

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

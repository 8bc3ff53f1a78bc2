"""Shapes shared by every list endpoint."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

Item = TypeVar("Item")


class Page(BaseModel, Generic[Item]):
    """Every list answers with its items, the total matching, and a cursor for the next page (null at the end)."""

    items: list[Item]
    total: int = Field(description="Number of items matching the filters, across all pages.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )

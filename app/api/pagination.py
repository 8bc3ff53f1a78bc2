"""Opaque cursors for list endpoints.

The cursor encodes the offset of the next page. It is opaque to clients so the encoding can change to
keyset pagination without breaking them.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import TypeVar

from fastapi import HTTPException

T = TypeVar("T")


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        offset = json.loads(base64.urlsafe_b64decode(padded.encode()))["o"]
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise HTTPException(status_code=422, detail="invalid cursor") from exc
    if not isinstance(offset, int) or offset < 0:
        raise HTTPException(status_code=422, detail="invalid cursor")
    return offset


def paginate(rows: Sequence[T], *, limit: int, cursor: str | None) -> tuple[Sequence[T], int, str | None]:
    """One page of ``rows``: (items, total, next cursor or None)."""
    offset = decode_cursor(cursor) if cursor else 0
    items = rows[offset : offset + limit]
    next_cursor = encode_cursor(offset + limit) if offset + limit < len(rows) else None
    return items, len(rows), next_cursor

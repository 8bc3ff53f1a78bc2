"""Reading the CSV files users hand to LaunchGap (publishers, release facts, name overrides)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path


def read_csv(path: Path, required: Sequence[str], error: type[Exception]) -> list[tuple[int, dict[str, str]]]:
    """Every row of ``path`` as (line number, cells stripped of spaces), after checking the header.

    Raises ``error`` with a message naming the file when it cannot be read or lacks a required column, so
    callers validate the whole file before writing anything. A UTF-8 byte-order mark is accepted.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise error(f"cannot read {path}: {exc}") from exc
    reader = csv.DictReader(text.splitlines())
    missing = [column for column in required if column not in (reader.fieldnames or [])]
    if missing:
        raise error(f"{path}: missing column(s) {', '.join(missing)}")
    return [
        (line, {key: (value or "").strip() for key, value in raw.items() if key is not None})
        for line, raw in enumerate(reader, start=2)
    ]

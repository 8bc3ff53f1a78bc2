"""Reading the CSV files users hand to LaunchGap (publishers, release facts, name overrides)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


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


def read_keyed_rows(
    path: Path,
    required: Sequence[str],
    error: type[Exception],
    parse: Callable[[dict[str, str]], T],
    *,
    key: Callable[[T], str],
    duplicate: str,
) -> list[T]:
    """Every row of ``path`` parsed by ``parse``, in file order, the whole file checked before it is used.

    ``parse`` raises ``ValueError`` for a bad row; a row whose ``key`` an earlier row had is refused with the
    message ``duplicate`` (formatted with ``key``). Every problem is collected with its line number and raised
    as one ``error`` naming the file, so an operator fixes the file in one go and nothing is half-imported.
    """
    rows: dict[str, T] = {}
    errors: list[str] = []
    for line, cells in read_csv(path, required, error):
        try:
            row = parse(cells)
        except ValueError as exc:
            errors.append(f"line {line}: {exc}")
            continue
        if key(row) in rows:
            errors.append(f"line {line}: " + duplicate.format(key=key(row)))
            continue
        rows[key(row)] = row
    if errors:
        raise error(f"{path}: " + "; ".join(errors))
    return list(rows.values())

"""The dashboard's failure banner: failing sources grouped into one line per kind of problem.

A newcomer offline sees "Hub unreachable: 50 publishers waiting, next try 16:21" rather than fifty error
messages; the per-source details stay available behind a toggle. The grouping is a pure function of the
sources' health and ``now``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from app.services.operations.source_state import HUB_FIREHOSE, SourceHealth, problem_kind


@dataclass(frozen=True)
class Problem:
    """One line of the banner and the sources behind it."""

    kind: str
    """``hub-unreachable``, ``hub-rate-limit``, ``hub-not-found``, ``hub-error``, ``repo-unreachable``,
    ``scan-failed`` or ``other``."""
    headline: str
    next_try: datetime | None
    sources: tuple[SourceHealth, ...]


def _clock(value: datetime | None, now: datetime) -> str:
    """A short time: "16:21" today, "2026-08-22 16:21" on another day (UTC, like every time shown)."""
    if value is None:
        return "not scheduled"
    return value.strftime("%H:%M" if value.date() == now.date() else "%Y-%m-%d %H:%M")


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def summarize_problems(sources: Sequence[SourceHealth], now: datetime) -> list[Problem]:
    """One ``Problem`` per kind among the failing ``sources``, Hub first, each with its earliest retry."""
    groups: dict[str, list[SourceHealth]] = {}
    for source in sources:
        if not source.ok:
            groups.setdefault(problem_kind(source.kind, source.last_error), []).append(source)
    problems: list[Problem] = []
    for kind in (
        "hub-unreachable", "hub-rate-limit", "hub-not-found", "hub-error", "repo-unreachable", "scan-failed",
        "other",
    ):  # fmt: skip
        members = groups.get(kind)
        if not members:
            continue
        retries = [s.next_check_at for s in members if s.next_check_at is not None]
        next_try = min(retries) if retries else None
        when = _clock(next_try, now)
        count = len(members)
        # The firehose's two listings wait on the same Hub as the publishers: named once, not counted.
        firehose = any(s.kind == HUB_FIREHOSE for s in members)
        polled = sum(1 for s in members if s.kind != HUB_FIREHOSE)
        publishers = _plural(polled, "publisher", "publishers") if polled else "the firehose"
        too = "; the firehose waits too" if polled and firehose else ""
        if kind == "hub-unreachable":
            headline = f"Hub unreachable: {publishers} waiting, next try {when}{too}"
        elif kind == "hub-rate-limit":
            headline = f"Hub rate limit reached: {publishers} waiting, next try {when}{too}"
        elif kind == "hub-not-found":
            headline = f"{publishers} not found on the Hub: next check {when}"
        elif kind == "hub-error":
            headline = f"Hub errors for {publishers}: next try {when}{too}"
        else:
            successes = [s.last_success_at for s in members if s.last_success_at is not None]
            as_of = (
                f"showing data as of {min(successes).strftime('%Y-%m-%d')}"
                if len(successes) == count
                else "some never scanned yet"
            )
            what = {
                "repo-unreachable": _plural(count, "runtime repository", "runtime repositories")
                + " unreachable",
                "scan-failed": _plural(count, "runtime scan", "runtime scans") + " failed",
                "other": _plural(count, "source", "sources") + " failing",
            }[kind]
            headline = f"{what}: {as_of}, next try {when}"
        problems.append(Problem(kind, headline, next_try, tuple(members)))
    return problems

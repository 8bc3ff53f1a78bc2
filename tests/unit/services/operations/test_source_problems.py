"""The banner names the firehose with the publishers when the Hub fails, never as an unknown source."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.services.operations.source_problems import summarize_problems
from app.services.operations.source_state import HUB_FIREHOSE, HUB_PUBLISHER, SourceHealth

NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


def _failing(kind: str, name: str, error: str) -> SourceHealth:
    return SourceHealth(kind, name, False, NOW, None, NOW + timedelta(minutes=5), error)


def test_the_firehose_waits_with_the_publishers_on_an_unreachable_hub() -> None:
    problems = summarize_problems(
        [
            _failing(HUB_PUBLISHER, "acme", "cannot reach the Hub (ConnectError: refused)"),
            _failing(HUB_FIREHOSE, "created", "cannot reach the Hub (ConnectError: refused)"),
        ],
        NOW,
    )
    assert [p.kind for p in problems] == ["hub-unreachable"]
    assert (
        problems[0].headline == "Hub unreachable: 1 publisher waiting, next try 03:05; the firehose waits too"
    )


def test_the_firehose_alone_is_named_as_such() -> None:
    problems = summarize_problems([_failing(HUB_FIREHOSE, "created", "rate limit: retry after 30s")], NOW)
    assert [p.headline for p in problems] == ["Hub rate limit reached: the firehose waiting, next try 03:05"]

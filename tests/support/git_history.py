"""Reading a small real git history (tests/fakes/repo_builder.py) as a runtime's source: the scan's events and
the catalog audit, each read into ``tmp_path/"data"``, and the events of one stage as dated tuples."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from app.services.runtimes.catalog_audit import AuditReport, audit_runtime
from app.services.runtimes.fetch import collect_events
from app.sources.runtimes.catalog import get_runtime
from app.sources.runtimes.scan_events import ScanEvent
from tests.fakes.repo_builder import RepoBuilder


def events_of(runtime: str, repo: RepoBuilder, tmp_path: Path) -> list[ScanEvent]:
    """Every event ``runtime``'s rules find in ``repo``."""
    return collect_events(get_runtime(runtime), data_dir=tmp_path / "data", repo=str(repo.path))


def audit_of(runtime: str, repo: RepoBuilder, tmp_path: Path) -> AuditReport:
    """The catalog audit of ``runtime``'s rules on ``repo``."""
    return audit_runtime(get_runtime(runtime), repo=str(repo.path), data_dir=tmp_path / "data")


def dated(events: Iterable[ScanEvent], stage: str, *fields: str) -> list[tuple[object, ...]]:
    """The ``stage`` events as sorted ``(*fields, day)`` tuples, fields ``key, event`` unless named."""
    names = fields or ("key", "event")
    return sorted(
        (*(getattr(e, name) for name in names), e.at.date().isoformat()) for e in events if e.stage == stage
    )

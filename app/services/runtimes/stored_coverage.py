"""Coverage as stored: which runtime × stage has been observed, until when, and where its source starts.

Written by each successful scan (``record_coverage``), read by the gap computation (a cell whose source was
never observed is unknown), the statistics (only observed cells count) and the pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.vocabulary import Stage
from app.models.coverage import SourceCoverage
from app.models.runtime import Runtime
from app.models.support import SupportEvent
from app.services.runtimes.catalog_views import has_source_for
from app.sources.runtimes.catalog import CATALOG
from app.sources.runtimes.coverage import StageCoverage, stage_coverage_start


@dataclass(frozen=True)
class Coverage:
    """What is known of one runtime at one stage. Not observed: ``observed_until`` is None."""

    runtime: str
    stage: str
    observed: bool
    observed_until: datetime | None
    coverage_start: datetime | None
    copy: str | None = None
    source: str | None = None
    reason: str | None = None


def record_coverage(
    session: Session, runtime: str, stages: Sequence[StageCoverage], *, now: datetime
) -> bool:
    """Store one scan's coverage (the caller commits, with the scan's events); True when what the gap rows
    read of it changed (a stage newly observed, ``observed_until`` moved forward, a reason changed).

    ``observed_until`` only moves forward: the events already stored stay true, so scanning an older copy
    after a fresher one does not make the runtime known for less time. A stage once observed stays
    observed for the same reason; a later scan that cannot see it only records why.
    """
    existing = {
        row.stage: row
        for row in session.execute(select(SourceCoverage).where(SourceCoverage.runtime == runtime)).scalars()
    }
    before = {name: (row.observed, row.observed_until, row.reason) for name, row in existing.items()}
    for stage in stages:
        row = existing.get(stage.stage)
        if row is None:
            row = SourceCoverage(runtime=runtime, stage=stage.stage, observed=False)
            session.add(row)
            existing[stage.stage] = row
        if stage.observed:
            row.observed = True
            if row.observed_until is None or (
                stage.observed_until is not None and stage.observed_until > row.observed_until
            ):
                row.observed_until = stage.observed_until
            row.reason = None
        elif not row.observed:
            row.reason = stage.reason
        row.copy, row.source, row.recorded_at = stage.copy, stage.source, now
    session.flush()
    return any(
        before.get(name) != (row.observed, row.observed_until, row.reason) for name, row in existing.items()
    )


def load_coverage(session: Session) -> dict[tuple[str, str], Coverage]:
    """Coverage per (runtime, stage) for every catalog runtime and every stage it has a source for.

    A pair never scanned is present and not observed, so callers can tell a source never read from one missing."""
    stored = {(row.runtime, row.stage): row for row in session.execute(select(SourceCoverage)).scalars()}
    result: dict[tuple[str, str], Coverage] = {}
    for name, spec in CATALOG.items():
        for stage in Stage:
            if not has_source_for(spec, stage):
                continue
            row = stored.get((name, stage))
            result[(name, stage)] = Coverage(
                runtime=name,
                stage=stage,
                observed=bool(row and row.observed and row.observed_until is not None),
                observed_until=row.observed_until if row and row.observed else None,
                coverage_start=stage_coverage_start(spec, stage),
                copy=row.copy if row else None,
                source=row.source if row else None,
                reason=row.reason if row else None,
            )
    return result


@dataclass(frozen=True)
class GroupCoverage:
    """Coverage of a vendor view (or a single runtime) at one stage: which of its runtimes are observed."""

    name: str
    stage: str
    runtimes: tuple[str, ...]
    """Every catalog runtime with a source for the stage that counts for the group."""
    observed: tuple[Coverage, ...]
    """The observed ones, with their ``observed_until``."""

    @property
    def observed_until(self) -> datetime | None:
        """Known up to the earliest of its observed runtimes (None when none is observed)."""
        times = [c.observed_until for c in self.observed if c.observed_until is not None]
        return min(times) if times else None


def vendor_coverage(coverage: dict[tuple[str, str], Coverage], stage: str) -> dict[str, GroupCoverage]:
    """Per catalog vendor, its runtimes at ``stage`` and which of them are observed."""
    from app.services.runtimes.catalog_views import vendor_runtimes

    result = {}
    for vendor, runtimes in vendor_runtimes(stage).items():
        observed = tuple(
            coverage[(r, stage)] for r in runtimes if (r, stage) in coverage and coverage[(r, stage)].observed
        )
        result[vendor] = GroupCoverage(vendor, stage, tuple(runtimes), observed)
    return result


def runtime_coverage(coverage: dict[tuple[str, str], Coverage], stage: str) -> dict[str, GroupCoverage]:
    """Per catalog runtime with a source for ``stage``, whether it is observed."""
    result = {}
    for (runtime, at_stage), item in coverage.items():
        if at_stage == stage:
            result[runtime] = GroupCoverage(runtime, stage, (runtime,), (item,) if item.observed else ())
    return result


STALE_AFTER = timedelta(days=1)
"""Evidence older than this is said to be old, in words, on every page (docs/concepts.md, "Coverage")."""


@dataclass(frozen=True)
class EvidenceAge:
    """How old the newest runtime evidence is, when it is older than ``STALE_AFTER``."""

    as_of: datetime
    days: int


def newest_evidence(session: Session, *, runtime: str | None = None) -> datetime | None:
    """Until when the newest runtime evidence reaches (of ``runtime`` alone when given): the latest
    ``observed_until`` among the coverage rows; a database with events but no coverage row, its newest event."""
    coverage = select(func.max(SourceCoverage.observed_until)).where(SourceCoverage.observed.is_(True))
    events = select(func.max(SupportEvent.at))
    if runtime is not None:
        coverage = coverage.where(SourceCoverage.runtime == runtime)
        events = events.join(Runtime, Runtime.id == SupportEvent.runtime_id).where(Runtime.name == runtime)
    return session.scalar(coverage) or session.scalar(events)


def evidence_age(session: Session, now: datetime, *, runtime: str | None = None) -> EvidenceAge | None:
    """The age of the newest runtime evidence (``newest_evidence``), or None when it is at most a day old or
    nothing is known yet. A reader of a page served from the bundled snapshot, with no repository reached
    since, then reads how old it is instead of taking it for today's state."""
    newest = newest_evidence(session, runtime=runtime)
    if newest is None or now - newest <= STALE_AFTER:
        return None
    return EvidenceAge(newest, (now - newest).days)

"""Recording coverage for tests that seed support events by hand (a real scan records it itself)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.services.runtimes.stored_coverage import record_coverage
from app.sources.runtimes.catalog import CATALOG
from app.sources.runtimes.coverage import FETCHED, StageCoverage, scanned_stages


def observe(session: Session, *runtimes: str, until: datetime) -> None:
    """Record every stage of ``runtimes`` as observed until ``until``, as a scan of a fetched copy would."""
    for runtime in runtimes:
        stages = [
            StageCoverage(stage, True, until, FETCHED, CATALOG[runtime].repo_url)
            for stage in scanned_stages(CATALOG[runtime])
        ]
        record_coverage(session, runtime, stages, now=until)

"""The early-access map: which publishers give which hardware vendors support before (or on) release day.

Read from the vendor views of the materialised gap rows, one row per release family and vendor (as
statistics count them), over families with a new key whose vendor cell was observed. A pre-release status is
the evidence: a runtime counting for that vendor registered the key before the model was public. A
pre-release cell counts whether complete or not (support a runtime not read that far could add would only be
earlier still); other incomplete cells are left out and counted (docs/concepts.md, "Complete or bound").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.domain.gap_row import GapRow
from app.domain.vocabulary import GapStatus, ReleasePrecision, RowKind, Stage
from app.services.answers.lags import observed
from app.services.answers.stats import family_rows
from app.services.gaps.query import GapFilters, query_gaps

EXAMPLES_PER_CELL = 5


@dataclass(frozen=True)
class EarlyAccessExample:
    """One release that shows the access: the evidence and when the work was authored."""

    repo_id: str
    runtime: str | None
    """The runtime whose support was earliest for the vendor."""
    status: GapStatus
    gap_hours: float | None
    release_precision: ReleasePrecision
    """How precisely the release time is known (a day-precision gap is shown in whole days)."""
    support_at: datetime | None
    author_at: datetime | None
    """Author time of the supporting commit: the work often predates the commit's landing."""
    commit: str | None
    tag: str | None
    evidence_url: str | None


@dataclass(frozen=True)
class EarlyAccessCell:
    """One publisher × vendor cell of the map."""

    publisher: str
    vendor: str
    stage: Stage
    families: int
    """Release families with a new key whose vendor cell was observed (pre-existing support excluded)."""
    pre_release: int
    day_0: int
    """Supported within 24 h after the release (pre-release not included)."""
    pre_release_share: float | None
    incomplete: int
    """Families left out because their vendor cell was incomplete (and not pre-release)."""
    examples: tuple[EarlyAccessExample, ...]
    """Pre-release releases first (earliest support first), then day-0 ones, at most ``EXAMPLES_PER_CELL``."""


def early_access_cells(rows: Iterable[GapRow], stage: Stage) -> list[EarlyAccessCell]:
    """The map from vendor-view rows (pure): one cell per publisher and vendor with a counted family,
    ordered by publisher then vendor."""
    groups: dict[tuple[str, str], list[GapRow]] = {}
    left_out: dict[tuple[str, str], int] = {}
    for row in family_rows(rows):
        if row.publisher is None or row.vendor is None or row.runtime is not None:
            continue
        if not observed(row.status) or not row.key_is_new or row.status == GapStatus.PRE_EXISTING:
            continue
        if not row.complete and row.status != GapStatus.PRE_RELEASE:
            left_out[(row.publisher, row.vendor)] = left_out.get((row.publisher, row.vendor), 0) + 1
            continue
        groups.setdefault((row.publisher, row.vendor), []).append(row)
    cells = []
    for (publisher, vendor), members in sorted(groups.items()):
        early = sorted(
            (r for r in members if r.status == GapStatus.PRE_RELEASE), key=lambda r: (r.gap_hours, r.repo_id)
        )
        day_0 = sorted(
            (r for r in members if r.status == GapStatus.DAY_0), key=lambda r: (r.gap_hours, r.repo_id)
        )
        cells.append(
            EarlyAccessCell(
                publisher=publisher,
                vendor=vendor,
                stage=stage,
                families=len(members),
                pre_release=len(early),
                day_0=len(day_0),
                pre_release_share=round(len(early) / len(members), 4),
                incomplete=left_out.get((publisher, vendor), 0),
                examples=tuple(_example(r) for r in [*early, *day_0][:EXAMPLES_PER_CELL]),
            )
        )
    return cells


def _example(row: GapRow) -> EarlyAccessExample:
    return EarlyAccessExample(
        repo_id=row.repo_id,
        runtime=row.via_runtime,
        status=GapStatus(row.status),
        gap_hours=row.gap_hours,
        release_precision=ReleasePrecision(row.release_precision),
        support_at=row.support_at,
        author_at=row.author_at,
        commit=row.commit,
        tag=row.tag,
        evidence_url=row.evidence_url,
    )


def early_access_map(
    session: Session,
    *,
    stage: Stage,
    now: datetime,
    publisher: str | None = None,
    vendor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[EarlyAccessCell]:
    """The early-access map at ``stage`` over releases in [since, until) (one query)."""
    filters = GapFilters(
        stage=stage, vendor=vendor, publisher=publisher, since=since, until=until, rows=(RowKind.VENDOR,)
    )
    return early_access_cells(query_gaps(session, filters), stage)

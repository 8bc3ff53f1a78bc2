"""The latest notable releases, each answered per vendor in one line: the home page's first section and
``GET /api/v1/releases/latest`` (docs/api.md, "Latest notable releases").

A release is **notable** when its key is new at the release (``app/services/gaps/novelty.py``: its vendor cells
at the ``merged`` stage carry ``key_is_new``), so the list is the launches being measured, newest first. Per
vendor view the answer is the **earliest support** among the stages that show the model running: a release
branch, the default branch, a runtime release, or a verified hardware SKU. A pull request (``proposed``) is
not support yet, and a support-matrix line (``documented``) follows code; a model-wide guide such as vLLM
Recipes' also counts for every vendor the runtime serves, although only its per-SKU verification says the
vendor's hardware runs it. Only observed cells answer (``GapStatus.observed``); among supports at the same
moment a complete cell wins, then the later rung (verified over merged). A vendor with no support shows its
``merged`` cell (pending, as of its source's coverage) or, when nothing is observed, its unknown cell.

The answer's ``complete`` is the chosen cell's (docs/concepts.md, "Complete or bound"): an incomplete
support time is an upper bound, since a runtime of the vendor not read that far may have supported it
earlier.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.domain.gap_row import GapRow
from app.domain.vocabulary import VENDOR_LABELS, GapStatus, ReleasePrecision, RowKind, Stage, Vendor
from app.services.gaps.query import GapFilters, gap_releases, query_gaps
from app.sources.runtimes.catalog import HARDWARE

SUPPORT_STAGES = (Stage.BRANCH, Stage.MERGED, Stage.RELEASED, Stage.VERIFIED)
"""The stages whose support means the model runs (the module's docstring says why the others are left out)."""
_RUNG = {stage: rank for rank, stage in enumerate(Stage)}
_SKU_ORDER = {sku: rank for rank, sku in enumerate(HARDWARE)}


@dataclass(frozen=True)
class VendorAnswer:
    """One vendor's answer for a release: its earliest support, or why there is none."""

    vendor: Vendor
    status: GapStatus
    stage: Stage
    """The stage of the earliest support; without support, the stage of the cell shown."""
    gap_hours: float | None
    support_at: datetime | None
    via_runtime: str | None
    """The runtime whose support was earliest for the vendor (vLLM Recipes for a verified SKU)."""
    skus: tuple[str, ...]
    """On a verified answer: the SKUs verified at that moment, in the catalog's hardware order."""
    complete: bool
    runtimes_observed: int | None
    runtimes_total: int | None
    unobserved_runtimes: str | None
    observed_until: datetime | None
    evidence_url: str | None
    commit: str | None
    tag: str | None


@dataclass(frozen=True)
class ReleaseAnswer:
    """A notable release and, per vendor view with cells (in the vocabulary's order), its answer."""

    repo_id: str
    publisher: str | None
    family: str | None
    release_at: datetime
    release_precision: ReleasePrecision
    vendors: tuple[VendorAnswer, ...]


@dataclass(frozen=True)
class LatestScope:
    """Which releases the list covers: one publisher's, and/or the most used families only (``top=N``)."""

    publisher: str | None = None
    families: tuple[str, ...] | None = None


def notable_releases(session: Session, scope: LatestScope = LatestScope()) -> list[str]:
    """The notable releases' repo ids, newest release first (one query, ids only: a page is cut from it)."""
    filters = GapFilters(
        stage=Stage.MERGED,
        rows=(RowKind.VENDOR,),
        publisher=scope.publisher,
        families=scope.families,
        key_is_new=True,
    )
    return gap_releases(session, filters)


def release_answers(session: Session, repo_ids: Sequence[str]) -> list[ReleaseAnswer]:
    """The answers for ``repo_ids`` (one page), in that order: a query per support stage."""
    if not repo_ids:
        return []
    rows = [
        row
        for stage in SUPPORT_STAGES
        for row in query_gaps(
            session, GapFilters(stage=stage, rows=(RowKind.VENDOR, RowKind.SKU), repo_ids=tuple(repo_ids))
        )
    ]
    return answers_from_rows(rows, repo_ids)


def answers_from_rows(rows: Sequence[GapRow], repo_ids: Sequence[str]) -> list[ReleaseAnswer]:
    """The answers from vendor and SKU rows (pure), one per release of ``repo_ids`` that has vendor rows."""
    by_release: dict[str, list[GapRow]] = {}
    for row in rows:
        if row.stage in SUPPORT_STAGES:
            by_release.setdefault(row.repo_id, []).append(row)
    answers = []
    for repo_id in repo_ids:
        members = by_release.get(repo_id, [])
        vendors = []
        for vendor in VENDOR_LABELS:
            cells = [r for r in members if r.vendor == vendor and r.runtime is None]
            if cells:
                skus = [r for r in members if r.vendor == vendor and r.sku is not None]
                vendors.append(vendor_answer(vendor, cells, skus))
        if vendors:
            first = members[0]
            answers.append(
                ReleaseAnswer(
                    repo_id=repo_id,
                    publisher=first.publisher,
                    family=first.family,
                    release_at=first.release_at,
                    release_precision=ReleasePrecision(first.release_precision),
                    vendors=tuple(vendors),
                )
            )
    return answers


def _supports(row: GapRow) -> bool:
    return GapStatus(row.status).supported and row.support_at is not None  # a supported status is observed


def vendor_answer(vendor: Vendor, cells: Sequence[GapRow], sku_rows: Sequence[GapRow]) -> VendorAnswer:
    """One vendor's answer from its vendor-view cells and its SKU rows (pure); cells at other stages than
    ``SUPPORT_STAGES`` never answer."""
    cells = [r for r in cells if r.stage in SUPPORT_STAGES] or list(cells)
    supported = [r for r in cells if _supports(r) and r.stage in SUPPORT_STAGES]
    if supported:
        best = min(supported, key=lambda r: (r.support_at, not r.complete, -_RUNG[Stage(r.stage)]))
        skus: tuple[str, ...] = ()
        if best.stage == Stage.VERIFIED:
            verified = [
                r
                for r in sku_rows
                if r.stage == Stage.VERIFIED and _supports(r) and r.support_at == best.support_at
            ]
            skus = tuple(
                sorted(
                    {r.sku for r in verified if r.sku}, key=lambda s: (_SKU_ORDER.get(s, len(_SKU_ORDER)), s)
                )
            )
        return _answer(vendor, best, skus)
    shown = min(
        cells,
        key=lambda r: (not GapStatus(r.status).observed, r.stage != Stage.MERGED, _RUNG[Stage(r.stage)]),
    )
    return _answer(vendor, shown, ())


def _answer(vendor: Vendor, row: GapRow, skus: tuple[str, ...]) -> VendorAnswer:
    return VendorAnswer(
        vendor=vendor,
        status=GapStatus(row.status),
        stage=Stage(row.stage),
        gap_hours=row.gap_hours,
        support_at=row.support_at,
        via_runtime=row.via_runtime,
        skus=skus,
        complete=row.complete,
        runtimes_observed=row.runtimes_observed,
        runtimes_total=row.runtimes_total,
        unobserved_runtimes=row.unobserved_runtimes,
        observed_until=row.observed_until,
        evidence_url=row.evidence_url,
        commit=row.commit,
        tag=row.tag,
    )

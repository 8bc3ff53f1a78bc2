""" "Which version do I need?": per runtime, the first release carrying a model's support, the first final
release, the first release branch, and what sources state: the minimum version, the images to run it with.

The runtime and the key it matches the model on come from the model's observed gap cells (the ``released``
and ``branch`` stages); the versions come from that runtime's support events for that key (a fixed number of
queries); the statements from ``VersionStatement``. A runtime a source makes statements about has an item
even when its own releases are not observed: the item says so (``releases_observed``) and still carries the
statements — what is known is shown, what is not is named (docs/api.md, "Which version do I need").
With a hardware SKU the item also carries that SKU's verification (the per-SKU gap row of the runtime or of
a source stating about it). ``launchgap which``, the API and the release page all read this one function.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from app.domain.vocabulary import KeyKind, RowKind, Stage, StatementKind
from app.models import Model, Runtime, SupportEvent, SupportKey, VersionStatement
from app.services.answers.lags import observed
from app.services.gaps.record import TABLE
from app.sources.runtimes.catalog import CATALOG, HARDWARE, VERSION_SOURCES


@dataclass(frozen=True)
class ReleaseRef:
    """A runtime release (a tag, or a version bump) carrying the support."""

    tag: str
    at: datetime
    prerelease: bool | None
    """rc, alpha, beta, dev … (None: the source cannot tell)."""
    commit: str | None
    evidence_url: str | None


@dataclass(frozen=True)
class BranchRef:
    """A release branch carrying the support, and when it got it."""

    branch: str
    at: datetime
    commit: str | None
    evidence_url: str | None


@dataclass(frozen=True)
class MinVersion:
    """A minimum version as a source states it."""

    version: str
    source: str
    """The catalog runtime whose files state it (``vllm-recipes``)."""
    commit: str
    evidence_url: str | None


@dataclass(frozen=True)
class Statement:
    """What a source states about running the model on the runtime: a minimum version or an image."""

    kind: StatementKind
    runtime: str
    """The runtime the statement is about (``vllm``)."""
    vendor: str | None
    """The vendor it is for (None: every vendor)."""
    variant: str | None
    """A build named beside the vendor (``cu129``), else None."""
    value: str
    source: str
    """The catalog runtime whose files state it (``vllm-recipes``)."""
    commit: str
    evidence_url: str | None


@dataclass(frozen=True)
class SkuVerification:
    """What the per-SKU source says of one hardware SKU for the model (its gap row at ``verified``)."""

    sku: str
    source: str
    """The runtime whose per-SKU row it is (``vllm-recipes``)."""
    status: str
    at: datetime | None
    """When it was verified (None: not yet, or not known)."""
    commit: str | None
    evidence_url: str | None


@dataclass(frozen=True)
class Requirement:
    """What one runtime needs for the model."""

    runtime: str
    vendors: tuple[str, ...]
    key_kind: str | None
    key: str | None
    status: str | None
    """The ``released`` cell's status (None: the runtime makes no releases LaunchGap reads)."""
    first_release: ReleaseRef | None
    first_final_release: ReleaseRef | None
    first_branch: BranchRef | None
    min_version: MinVersion | None
    releases_observed: bool = True
    """False: LaunchGap has not observed the runtime's releases for the model (unknown, or it reads none),
    so no release is shown — which is not "none yet"; the statements are shown all the same."""
    statements: tuple[Statement, ...] = ()
    """Minimum versions first, then images (every vendor first, then by vendor and build)."""
    verification: SkuVerification | None = None
    """With a SKU asked for: that SKU's verification (None: no per-SKU source has a cell for it)."""


class Cell(NamedTuple):
    """What the model's gap row at one stage says (issue 11's fields say which release is final)."""

    runtime: str
    stage: str
    status: str
    key_kind: str | None
    key: str | None
    tag: str | None
    support_at: datetime | None
    tag_prerelease: bool | None
    commit: str | None
    evidence_url: str | None
    first_final_tag: str | None
    first_final_at: datetime | None
    first_final_evidence_url: str | None


@dataclass(frozen=True)
class RequirementFilters:
    runtime: str | None = None
    vendor: str | None = None
    sku: str | None = None
    """A catalog SKU as the catalog spells it (entry points spell it so: ``catalog_views.known_sku``)."""


def _stating_sources(runtime: str) -> list[str]:
    """The catalog sources that make statements about ``runtime`` (vLLM Recipes about vLLM)."""
    return [name for name, source in VERSION_SOURCES.items() if source.of_runtime == runtime]


def _wanted(name: str, filters: RequirementFilters, *, via_sources: bool = False) -> bool:
    """Whether the runtime answers the filters: it counts for the vendor and targets the SKU itself, or (with
    ``via_sources``, for its statements) a source stating about it does — Recipes verify vLLM on MI355X."""
    spec = CATALOG.get(name)
    if spec is None:
        return False
    if filters.runtime is not None and name != filters.runtime:
        return False
    specs = [spec, *(CATALOG[s] for s in _stating_sources(name) if s in CATALOG)] if via_sources else [spec]
    if filters.vendor is not None and not any(filters.vendor in s.vendors for s in specs):
        return False
    return filters.sku is None or any(filters.sku in s.hardware for s in specs)


def _statement_vendors(filters: RequirementFilters) -> set[str] | None:
    """The vendors whose statements answer the filters ('' — every vendor — always does); None: all."""
    asked = {v for v in (filters.vendor, HARDWARE.get(filters.sku) if filters.sku else None) if v}
    return {"", *asked} if asked else None


def model_requirements(
    session: Session, repo_id: str, *, filters: RequirementFilters = RequirementFilters()
) -> list[Requirement] | None:
    """One item per runtime that releases (or branches) and whose cell for the model was observed, and per
    runtime a source makes statements about for the model; None for an unknown model. Runtimes with a
    release first (earliest first), then those with only a branch, then those with statements only."""
    model_id = session.scalar(select(Model.id).where(Model.repo_id == repo_id))
    if model_id is None:
        return None
    # The model's runtime cells at the two stages, read by its (indexed) id: a handful of plain columns.
    cells: dict[str, dict[str, Cell]] = {}
    unobserved: dict[str, dict[str, Cell]] = {}
    for cell in session.execute(
        select(
            TABLE.runtime,
            TABLE.stage,
            TABLE.status,
            TABLE.key_kind,
            TABLE.key,
            TABLE.tag,
            TABLE.support_at,
            TABLE.tag_prerelease,
            TABLE.commit,
            TABLE.evidence_url,
            TABLE.first_final_tag,
            TABLE.first_final_at,
            TABLE.first_final_evidence_url,
        ).where(
            TABLE.model_id == model_id,
            TABLE.row_kind == RowKind.RUNTIME,
            TABLE.stage.in_([Stage.RELEASED, Stage.BRANCH]),
        )
    ).all():
        target = cells if observed(cell.status) else unobserved
        target.setdefault(cell.runtime, {})[cell.stage] = Cell(*cell)
    statements = {
        name: stated
        for name, stated in _statements(session, repo_id, _statement_vendors(filters)).items()
        if _wanted(name, filters, via_sources=True)
    }
    # a runtime answers the filters itself, or through a source stating about it (then its cells, if
    # observed, are shown too: the releases of the runtime the statements are about)
    names = sorted({name for name in cells if _wanted(name, filters)} | set(statements))
    keys = {
        name: next(((r.key_kind, r.key) for r in cells.get(name, {}).values() if r.key_kind and r.key), None)
        for name in names
    }
    events = _events(session, {name: key for name, key in keys.items() if key is not None})
    verifications = _verifications(session, model_id, filters.sku, names) if filters.sku else {}
    items = []
    for name in names:
        by_stage = cells.get(name, {})
        released, branch = events.get(name, ([], []))
        kind, key = keys[name] or next(
            ((r.key_kind, r.key) for r in unobserved.get(name, {}).values() if r.key_kind and r.key),
            (None, None),
        )
        first, final = _releases(by_stage.get(Stage.RELEASED), released)
        released_cell = by_stage.get(Stage.RELEASED) or unobserved.get(name, {}).get(Stage.RELEASED)
        stated = statements.get(name, ())
        items.append(
            Requirement(
                runtime=name,
                vendors=tuple(CATALOG[name].vendors),
                key_kind=kind,
                key=key,
                status=released_cell.status if released_cell else None,
                first_release=first,
                first_final_release=final,
                first_branch=branch[0] if branch else None,
                min_version=_highest_minimum(stated),
                releases_observed=Stage.RELEASED in by_stage,
                statements=stated,
                verification=verifications.get(name),
            )
        )
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(
        items,
        key=lambda r: (
            r.first_release.at if r.first_release else far,
            r.first_branch.at if r.first_branch else far,
            r.runtime,
        ),
    )


def _releases(
    cell: Cell | None, released: Sequence[ReleaseRef]
) -> tuple[ReleaseRef | None, ReleaseRef | None]:
    """The first release and the first final release, as the ``released`` gap row states them (the gap
    decision's earliest support and its first final release); the final release's commit is its event's."""
    if cell is None or cell.tag is None or cell.support_at is None:
        return None, None
    first = ReleaseRef(cell.tag, cell.support_at, cell.tag_prerelease, cell.commit, cell.evidence_url)
    if cell.first_final_tag is None or cell.first_final_at is None:
        return first, None
    commit = next((e.commit for e in released if e.tag == cell.first_final_tag), None)
    final = ReleaseRef(
        cell.first_final_tag, cell.first_final_at, False, commit, cell.first_final_evidence_url
    )
    return first, final


def _events(
    session: Session, keys: dict[str, tuple[str, str]]
) -> dict[str, tuple[list[ReleaseRef], list[BranchRef]]]:
    """Per runtime, its live ``added`` events for its key at the released and branch stages, oldest first."""
    if not keys:
        return {}
    rows = session.execute(
        select(
            Runtime.name,
            SupportKey.key_kind,
            SupportKey.key,
            SupportEvent.stage,
            SupportEvent.at,
            SupportEvent.tag,
            SupportEvent.branch,
            SupportEvent.commit,
            SupportEvent.is_prerelease,
            SupportEvent.evidence_url,
        )
        .join(Runtime, SupportEvent.runtime_id == Runtime.id)
        .join(SupportKey, SupportEvent.support_key_id == SupportKey.id)
        .where(
            # the key ids first (the unique (kind, key) index), so the events are found through the
            # (key, stage) index rather than by scanning every event of the runtimes
            SupportEvent.support_key_id.in_(
                select(SupportKey.id)
                .where(tuple_(SupportKey.key_kind, SupportKey.key).in_(sorted(set(keys.values()))))
                .scalar_subquery()
            ),
            Runtime.name.in_(sorted(keys)),
            SupportEvent.stage.in_([Stage.RELEASED, Stage.BRANCH]),
            SupportEvent.event == "added",
            SupportEvent.retracted_at.is_(None),
        )
        .order_by(SupportEvent.at, SupportEvent.tag, SupportEvent.branch, SupportEvent.id)
    ).all()
    result: dict[str, tuple[list[ReleaseRef], list[BranchRef]]] = {}
    for name, kind, key, stage, at, tag, branch, commit, prerelease, url in rows:
        if keys.get(name) != (kind, key):
            continue
        released, branches = result.setdefault(name, ([], []))
        if stage == Stage.RELEASED:
            released.append(ReleaseRef(tag, at, prerelease, commit or None, url))
        else:
            branches.append(BranchRef(branch, at, commit or None, url))
    return result


def _statements(session: Session, repo_id: str, vendors: set[str] | None) -> dict[str, tuple[Statement, ...]]:
    """Per runtime, what sources state for the repo (only statements for ``vendors``, when given): minimum
    versions first, then images for every vendor, then per vendor and build."""
    query = select(VersionStatement).where(
        VersionStatement.key_kind == KeyKind.REPO_ID, VersionStatement.key == repo_id
    )
    if vendors is not None:
        query = query.where(VersionStatement.vendor.in_(sorted(vendors)))
    order = list(StatementKind)
    rows = sorted(
        session.scalars(query),
        key=lambda r: (r.runtime, order.index(StatementKind(r.kind)), r.vendor, r.variant, r.source, r.value),
    )
    result: dict[str, list[Statement]] = {}
    for row in rows:
        result.setdefault(row.runtime, []).append(
            Statement(
                kind=StatementKind(row.kind),
                runtime=row.runtime,
                vendor=row.vendor or None,
                variant=row.variant or None,
                value=row.value,
                source=row.source,
                commit=row.commit,
                evidence_url=row.evidence_url,
            )
        )
    return {name: tuple(stated) for name, stated in result.items()}


def _highest_minimum(statements: Sequence[Statement]) -> MinVersion | None:
    """The minimum version stated (the highest, if sources disagree)."""
    best: MinVersion | None = None
    for stated in statements:
        if stated.kind is not StatementKind.MIN_VERSION:
            continue
        candidate = MinVersion(stated.value, stated.source, stated.commit, stated.evidence_url)
        if best is None or _version_tuple(candidate.version) > _version_tuple(best.version):
            best = candidate
    return best


def _verifications(
    session: Session, model_id: int, sku: str, runtimes: Sequence[str]
) -> dict[str, SkuVerification]:
    """Per runtime, the SKU's ``verified`` cell: the runtime's own per-SKU row, else that of a source stating
    about it (vLLM Recipes verify vLLM)."""
    candidates = {name: [name, *_stating_sources(name)] for name in runtimes}
    wanted = sorted({c for names in candidates.values() for c in names})
    rows = {
        row.runtime: row
        for row in session.execute(
            select(TABLE.runtime, TABLE.status, TABLE.support_at, TABLE.commit, TABLE.evidence_url).where(
                TABLE.model_id == model_id,
                TABLE.row_kind == RowKind.SKU,
                TABLE.sku == sku,
                TABLE.stage == Stage.VERIFIED,
                TABLE.runtime.in_(wanted),
            )
        )
    }
    result: dict[str, SkuVerification] = {}
    for name, names in candidates.items():
        row = next((rows[c] for c in names if c in rows), None)
        if row is not None:
            result[name] = SkuVerification(
                sku, row.runtime, row.status, row.support_at, row.commit or None, row.evidence_url
            )
    return result


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.lstrip("v").split(".") if part.isdigit())

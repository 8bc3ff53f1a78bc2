""" "Which version do I need?": per runtime, the first release carrying a model's support, the first final
release, the first release branch, and the minimum version a source states.

The runtime and the key it matches the model on come from the model's observed gap cells (the ``released``
and ``branch`` stages); the versions come from that runtime's support events for that key (a fixed number of
queries); the stated minimum from the version statements (``VersionStatement``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from app.domain.vocabulary import KeyKind, RowKind, Stage
from app.models import Model, Runtime, SupportEvent, SupportKey, VersionStatement
from app.services.answers.lags import observed
from app.services.gaps.record import TABLE
from app.sources.runtimes.catalog import CATALOG


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


def _wanted(name: str, filters: RequirementFilters) -> bool:
    spec = CATALOG.get(name)
    if spec is None:
        return False
    if filters.runtime is not None and name != filters.runtime:
        return False
    if filters.vendor is not None and filters.vendor not in spec.vendors:
        return False
    return filters.sku is None or filters.sku in spec.hardware


def model_requirements(
    session: Session, repo_id: str, *, filters: RequirementFilters = RequirementFilters()
) -> list[Requirement] | None:
    """One item per runtime that releases (or branches) and whose cell for the model was observed; None for
    an unknown model. Runtimes with a release first (earliest first), then those with only a branch."""
    model_id = session.scalar(select(Model.id).where(Model.repo_id == repo_id))
    if model_id is None:
        return None
    # The model's runtime cells at the two stages, read by its (indexed) id: a handful of plain columns.
    cells: dict[str, dict[str, Cell]] = {}
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
        if observed(cell.status) and _wanted(cell.runtime, filters):
            cells.setdefault(cell.runtime, {})[cell.stage] = Cell(*cell)
    keys = {
        name: next(((r.key_kind, r.key) for r in by_stage.values() if r.key_kind and r.key), None)
        for name, by_stage in cells.items()
    }
    events = _events(session, {name: key for name, key in keys.items() if key is not None})
    statements = _statements(session, repo_id, list(cells))
    items = []
    for name, by_stage in cells.items():
        released, branch = events.get(name, ([], []))
        kind, key = keys[name] or (None, None)
        first, final = _releases(by_stage.get(Stage.RELEASED), released)
        items.append(
            Requirement(
                runtime=name,
                vendors=tuple(CATALOG[name].vendors),
                key_kind=kind,
                key=key,
                status=by_stage[Stage.RELEASED].status if Stage.RELEASED in by_stage else None,
                first_release=first,
                first_final_release=final,
                first_branch=branch[0] if branch else None,
                min_version=statements.get(name),
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


def _statements(session: Session, repo_id: str, runtimes: Sequence[str]) -> dict[str, MinVersion]:
    """Per runtime, the minimum version a source states for the repo (the highest, if sources disagree)."""
    rows = session.scalars(
        select(VersionStatement)
        .where(
            VersionStatement.key_kind == KeyKind.REPO_ID,
            VersionStatement.key == repo_id,
            VersionStatement.runtime.in_(list(runtimes)),
        )
        .order_by(VersionStatement.source)
    ).all()
    result: dict[str, MinVersion] = {}
    for row in rows:
        stated = MinVersion(row.min_version, row.source, row.commit, row.evidence_url)
        seen = result.get(row.runtime)
        if seen is None or _version_tuple(stated.version) > _version_tuple(seen.version):
            result[row.runtime] = stated
    return result


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.lstrip("v").split(".") if part.isdigit())

"""Launch gaps: support time − release time, per (release, runtime, stage), with the statuses of PRODUCT.md.

The decision is pure (``classify_gap`` and ``compute_gaps`` take ``now``); ``load_gaps`` reads what they
need from the database in a fixed number of queries, whatever the number of releases or runtimes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from app.models import Model, Publisher, Runtime, SupportEvent, SupportKey
from app.services.matching import NameMatcher, release_keys
from app.services.runtime_catalog import (
    event_vendors,
    per_sku_runtimes,
    runtime_key_kinds,
    sku_vendor,
    vendor_runtimes,
)

EARLY_ACCESS_WINDOW = timedelta(days=90)
DAY_0 = timedelta(hours=24)

# Statuses, exactly as PRODUCT.md defines them.
PRE_EXISTING = "pre-existing"
PRE_RELEASE = "pre-release"
DAY_ZERO = "day-0"
LATER = "later"
PENDING = "pending"
STATUSES = (PRE_EXISTING, PRE_RELEASE, DAY_ZERO, LATER, PENDING)

KEY_KINDS = ("architecture", "model_type", "gguf_architecture", "model_name", "repo_id")


@dataclass(frozen=True)
class Release:
    """An original model as the gap computation sees it."""

    model_id: int
    repo_id: str
    publisher: str | None
    release_at: datetime
    release_precision: str
    keys: Mapping[str, str]
    """The key the model offers per key kind, e.g. {"architecture": "DeepseekV3ForCausalLM"}."""
    family: str | None = None
    """The release family (repo id of its earliest member); None means the repo is its own family."""


@dataclass(frozen=True)
class SupportPoint:
    """The earliest still-valid registration of a key by a runtime at a stage, with its evidence."""

    at: datetime
    author_at: datetime | None
    commit: str | None
    tag: str | None
    evidence_url: str | None


@dataclass(frozen=True)
class GapDecision:
    status: str
    gap_hours: float
    confidence: str


@dataclass(frozen=True)
class GapRow:
    """One launch gap: a release, a runtime (or a vendor view, or a runtime's SKU), a stage.

    Runtime rows have ``vendor`` None; vendor rows have ``runtime`` None and name the runtime whose support
    was earliest in ``via_runtime``; SKU rows have both plus ``sku``.
    """

    repo_id: str
    publisher: str | None
    runtime: str | None
    stage: str
    key_kind: str | None
    key: str | None
    status: str
    gap_hours: float
    confidence: str
    release_at: datetime
    release_precision: str
    support_at: datetime | None
    author_at: datetime | None
    commit: str | None
    tag: str | None
    evidence_url: str | None
    vendor: str | None = None
    sku: str | None = None
    family: str | None = None
    via_runtime: str | None = None


def _hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 2)


def classify_gap(
    *,
    release_at: datetime,
    release_precision: str,
    support_at: datetime | None,
    key_is_new: bool,
    now: datetime,
    early_access_window: timedelta = EARLY_ACCESS_WINDOW,
) -> GapDecision:
    """Decide the status and gap of one (release, runtime, stage) cell.

    Pending gaps are the time elapsed so far (censored). Support before the release is evidence of early
    access only for a key that is new at the release and only within the early-access window; anything
    older means the key predates what LaunchGap knows, so it is pre-existing. A day-precision release time
    cannot order events within that day, so support on the release day counts as day-0.
    """
    if support_at is None:
        return GapDecision(PENDING, _hours(now - release_at), "high")
    if support_at < release_at:
        if not key_is_new or release_at - support_at > early_access_window:
            return GapDecision(PRE_EXISTING, 0.0, "high")
        confidence = "low" if release_precision == "day" else "high"
        return GapDecision(PRE_RELEASE, _hours(support_at - release_at), confidence)
    gap = support_at - release_at
    if release_precision == "day" and gap < timedelta(days=1):
        return GapDecision(DAY_ZERO, _hours(gap), "low")
    return GapDecision(DAY_ZERO if gap <= DAY_0 else LATER, _hours(gap), "high")


def first_public_times(models: Iterable[Release]) -> dict[tuple[str, str], datetime]:
    """Earliest known public time per (key kind, key): what "new at the release" is judged against."""
    first: dict[tuple[str, str], datetime] = {}
    for model in models:
        for kind, key in model.keys.items():
            seen = first.get((kind, key))
            if seen is None or model.release_at < seen:
                first[(kind, key)] = model.release_at
    return first


SupportKeyTuple = tuple[str, str, str, str]
"""(runtime, stage, key kind, key)."""


@dataclass
class SupportIndex:
    """Earliest support per runtime, per (runtime, vendor view) and per (runtime, SKU).

    An event counts for a vendor view only when the vendor table says so (``runtime_catalog.event_vendors``):
    a SKU's row counts for that SKU's vendor, an ``amd/*`` branch for AMD, anything else for the runtime's own
    vendors — so upstream vLLM merging an architecture is not AMD or Ascend support.
    """

    runtime: dict[SupportKeyTuple, SupportPoint] = field(default_factory=dict)
    vendor: dict[tuple[str, str, str, str, str], SupportPoint] = field(default_factory=dict)
    sku: dict[tuple[str, str, str, str, str], SupportPoint] = field(default_factory=dict)

    def add(
        self, runtime: str, stage: str, kind: str, key: str, sku: str, branch: str, point: SupportPoint
    ) -> None:
        base = (runtime, stage, kind, key)
        _keep_earliest(self.runtime, base, point)
        for vendor in event_vendors(runtime, sku, branch):
            _keep_earliest(self.vendor, (*base, vendor), point)
        if sku:
            _keep_earliest(self.sku, (*base, sku), point)


def _keep_earliest(index: dict, key: tuple, point: SupportPoint) -> None:  # type: ignore[type-arg]
    seen = index.get(key)
    if seen is None or point.at < seen.at:
        index[key] = point


def _cell(
    release: Release,
    first_public: Mapping[tuple[str, str], datetime],
    kinds: Sequence[str],
    lookup: Callable[[str, str], SupportPoint | None],
    now: datetime,
) -> tuple[str | None, str | None, SupportPoint | None, GapDecision]:
    kind = next((k for k in kinds if release.keys.get(k)), None)
    key = release.keys.get(kind) if kind else None
    point = lookup(kind, key) if kind and key else None
    first_seen = first_public.get((kind, key), release.release_at) if kind and key else None
    key_is_new = first_seen is not None and first_seen >= release.release_at
    decision = classify_gap(
        release_at=release.release_at,
        release_precision=release.release_precision,
        support_at=point.at if point else None,
        key_is_new=key_is_new,
        now=now,
    )
    return kind, key, point, decision


def _row(
    release: Release,
    stage: str,
    cell: tuple[str | None, str | None, SupportPoint | None, GapDecision],
    *,
    runtime: str | None,
    vendor: str | None = None,
    sku: str | None = None,
    via: str | None = None,
) -> GapRow:
    kind, key, point, decision = cell
    return GapRow(
        repo_id=release.repo_id,
        publisher=release.publisher,
        runtime=runtime,
        stage=stage,
        key_kind=kind,
        key=key,
        status=decision.status,
        gap_hours=decision.gap_hours,
        confidence=decision.confidence,
        release_at=release.release_at,
        release_precision=release.release_precision,
        support_at=point.at if point else None,
        author_at=point.author_at if point else None,
        commit=point.commit if point else None,
        tag=point.tag if point else None,
        evidence_url=point.evidence_url if point else None,
        vendor=vendor,
        sku=sku,
        family=release.family or release.repo_id,
        via_runtime=via,
    )


def compute_gaps(
    releases: Sequence[Release],
    runtime_key_kinds: Mapping[str, Sequence[str]],
    support: Mapping[SupportKeyTuple, SupportPoint] | SupportIndex,
    *,
    stage: str,
    now: datetime,
    known_models: Sequence[Release] | None = None,
    vendor_runtimes: Mapping[str, Sequence[str]] | None = None,
    sku_runtimes: Mapping[str, Sequence[str]] | None = None,
    include_runtime_rows: bool = True,
) -> list[GapRow]:
    """Gap rows for every release × runtime at ``stage`` (and × vendor view, × runtime SKU when asked).

    ``runtime_key_kinds`` lists, per runtime, the key kinds it registers in order of preference: a runtime
    matches a release on the first kind the release offers. ``support`` maps (runtime, stage, key kind, key)
    to the earliest registration (or is a ``SupportIndex`` with vendor and SKU views). ``known_models``
    (default: the releases) decides whether a key is new. ``vendor_runtimes`` (vendor → runtimes that
    count for it) adds one row per vendor view: the earliest among its runtimes, each decided on its own
    key. ``sku_runtimes`` (runtime → SKUs) adds per-SKU rows for runtimes whose source is per SKU.
    """
    index = support if isinstance(support, SupportIndex) else SupportIndex(runtime=dict(support))
    first_public = first_public_times(known_models if known_models is not None else releases)
    rows: list[GapRow] = []
    for release in releases:
        if include_runtime_rows:
            for runtime, kinds in runtime_key_kinds.items():
                cell = _cell(
                    release,
                    first_public,
                    kinds,
                    lambda k, v, r=runtime: index.runtime.get((r, stage, k, v)),
                    now,
                )
                rows.append(_row(release, stage, cell, runtime=runtime))
        for vendor, runtimes in (vendor_runtimes or {}).items():
            best: tuple[str, tuple[str | None, str | None, SupportPoint | None, GapDecision]] | None = None
            for runtime in runtimes:
                if runtime not in runtime_key_kinds:
                    continue
                cell = _cell(
                    release,
                    first_public,
                    runtime_key_kinds[runtime],
                    lambda k, v, r=runtime, d=vendor: index.vendor.get((r, stage, k, v, d)),
                    now,
                )
                if best is None or _better(cell, best[1]):
                    best = (runtime, cell)
            if best is not None:
                rows.append(_row(release, stage, best[1], runtime=None, vendor=vendor, via=best[0]))
        for runtime, skus in (sku_runtimes or {}).items():
            if runtime not in runtime_key_kinds:
                continue
            for sku in skus:
                cell = _cell(
                    release,
                    first_public,
                    runtime_key_kinds[runtime],
                    lambda k, v, r=runtime, s=sku: index.sku.get((r, stage, k, v, s)),
                    now,
                )
                rows.append(_row(release, stage, cell, runtime=runtime, vendor=sku_vendor(sku), sku=sku))
    return rows


def _better(cell: tuple, than: tuple) -> bool:  # type: ignore[type-arg]
    """The vendor view takes the earliest support; among unsupported cells, the first runtime."""
    point, other = cell[2], than[2]
    if point is None:
        return False
    return other is None or point.at < other.at


def load_releases(session: Session) -> tuple[list[Release], list[Release]]:
    """(original releases, every known public model) with a release time, oldest first.

    Reads plain columns (not ORM objects) in one query: the gap pages read every model on each request.
    """
    doc_names = session.scalars(select(SupportKey.key).where(SupportKey.key_kind == "model_name")).all()
    names = NameMatcher(doc_names)
    rows = session.execute(
        select(
            Model.id,
            Model.repo_id,
            Publisher.hub_org,
            Model.release_at,
            Model.release_at_precision,
            Model.architectures,
            Model.model_type,
            Model.is_derivative,
            Model.family,
        )
        .outerjoin(Publisher, Model.publisher_id == Publisher.id)
        .where(Model.release_at.is_not(None))
        .order_by(Model.release_at, Model.repo_id)
    ).all()
    known: list[Release] = []
    originals: list[Release] = []
    for model_id, repo_id, org, release_at, precision, architectures, model_type, derivative, family in rows:
        keys, _ambiguous = release_keys(
            repo_id=repo_id,
            architecture=architectures[0] if architectures else None,
            model_type=model_type,
            names=names,
        )
        release = Release(
            model_id=model_id,
            repo_id=repo_id,
            publisher=org,
            release_at=release_at,
            release_precision=precision or "second",
            keys=keys,
            family=family,
        )
        known.append(release)
        if not derivative:
            originals.append(release)
    return originals, known


def load_support_index(session: Session, stage: str) -> SupportIndex:
    """Earliest non-retracted ``added`` event per (runtime, key, SKU, branch) at ``stage``, with evidence.

    The minimum is taken in SQL, so this reads one row per registration, not every event. A key removed later
    keeps its first support time (PRODUCT.md), so removals do not clear it here.
    """
    live = (SupportEvent.stage == stage, SupportEvent.event == "added", SupportEvent.retracted_at.is_(None))
    first = (
        select(
            SupportEvent.runtime_id,
            SupportEvent.support_key_id,
            SupportEvent.sku,
            SupportEvent.branch,
            func.min(SupportEvent.at).label("first_at"),
        )
        .where(*live)
        .group_by(SupportEvent.runtime_id, SupportEvent.support_key_id, SupportEvent.sku, SupportEvent.branch)
        .subquery()
    )
    rows = session.execute(
        select(
            Runtime.name,
            SupportKey.key_kind,
            SupportKey.key,
            SupportEvent.sku,
            SupportEvent.branch,
            SupportEvent.at,
            SupportEvent.author_at,
            SupportEvent.commit,
            SupportEvent.tag,
            SupportEvent.evidence_url,
        )
        .join(
            first,
            and_(
                SupportEvent.runtime_id == first.c.runtime_id,
                SupportEvent.support_key_id == first.c.support_key_id,
                SupportEvent.sku == first.c.sku,
                SupportEvent.branch == first.c.branch,
                SupportEvent.at == first.c.first_at,
            ),
        )
        .join(Runtime, SupportEvent.runtime_id == Runtime.id)
        .join(SupportKey, SupportEvent.support_key_id == SupportKey.id)
        .where(*live)
        .order_by(SupportEvent.at, SupportEvent.id)
    ).all()
    index = SupportIndex()
    for runtime, kind, key, sku, branch, at, author_at, commit, tag, url in rows:
        index.add(
            runtime,
            stage,
            kind,
            key,
            sku,
            branch,
            SupportPoint(at, author_at, commit or None, tag or None, url),
        )
    return index


def load_support(session: Session, stage: str) -> dict[SupportKeyTuple, SupportPoint]:
    """Earliest non-retracted ``added`` event per (runtime, stage, key kind, key)."""
    return load_support_index(session, stage).runtime


@dataclass(frozen=True)
class GapFilters:
    """What ``/api/v1/gaps`` and the pages can ask for. ``rows`` picks runtime, vendor and/or SKU rows."""

    stage: str = "merged"
    runtime: str | None = None
    vendor: str | None = None
    sku: str | None = None
    status: str | None = None
    publisher: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    rows: tuple[str, ...] = ("runtime",)
    repo_id: str | None = None


def query_gaps(session: Session, filters: GapFilters, *, now: datetime) -> list[GapRow]:
    """Gap rows matching ``filters``, newest release first, computed in a fixed number of queries."""
    originals, known = load_releases(session)
    selected = [
        r
        for r in originals
        if (filters.publisher is None or r.publisher == filters.publisher)
        and (filters.repo_id is None or r.repo_id == filters.repo_id)
        and (filters.since is None or r.release_at >= filters.since)
        and (filters.until is None or r.release_at < filters.until)
    ]
    kinds = runtime_key_kinds(filters.stage)
    vendors = vendor_runtimes(filters.stage)
    skus = per_sku_runtimes(filters.stage)
    if filters.vendor is not None:
        vendors = {filters.vendor: vendors.get(filters.vendor, ())}
    if filters.runtime is not None:
        vendors = {v: rs for v, rs in vendors.items() if filters.runtime in rs}
        skus = {r: s for r, s in skus.items() if r == filters.runtime}
    if filters.sku is not None:
        skus = {r: tuple(s for s in ss if s == filters.sku) for r, ss in skus.items()}
    elif filters.vendor is not None:
        skus = {r: tuple(s for s in ss if sku_vendor(s) == filters.vendor) for r, ss in skus.items()}
    runtime_kinds = {n: k for n, k in kinds.items() if filters.runtime is None or n == filters.runtime}
    if filters.vendor is not None:
        runtime_kinds = {n: k for n, k in runtime_kinds.items() if n in vendors.get(filters.vendor, ())}
    index = load_support_index(session, filters.stage)
    rows = compute_gaps(
        selected,
        kinds,
        index,
        stage=filters.stage,
        now=now,
        known_models=known,
        vendor_runtimes=vendors if "vendor" in filters.rows else None,
        sku_runtimes=skus if "sku" in filters.rows else None,
        include_runtime_rows=False,
    )
    if "runtime" in filters.rows:
        rows += compute_gaps(
            selected,
            runtime_kinds,
            index,
            stage=filters.stage,
            now=now,
            known_models=known,
        )
    if filters.status is not None:
        rows = [row for row in rows if row.status == filters.status]
    order = {"runtime": 0, "vendor": 1, "sku": 2}
    return sorted(
        rows,
        key=lambda r: (
            -r.release_at.timestamp(),
            r.repo_id,
            order["sku" if r.sku else "vendor" if r.runtime is None else "runtime"],
            r.runtime or "",
            r.vendor or "",
            r.sku or "",
        ),
    )


def load_gaps(
    session: Session,
    runtime_key_kinds: Mapping[str, Sequence[str]],
    *,
    stage: str,
    now: datetime,
    runtime: str | None = None,
    status: str | None = None,
) -> list[GapRow]:
    """Runtime gap rows from the database, optionally filtered by runtime and status, newest release first."""
    originals, known = load_releases(session)
    kinds = {name: k for name, k in runtime_key_kinds.items() if runtime is None or name == runtime}
    rows = compute_gaps(
        originals, kinds, load_support_index(session, stage), stage=stage, now=now, known_models=known
    )
    if status is not None:
        rows = [row for row in rows if row.status == status]
    return sorted(rows, key=lambda r: (-r.release_at.timestamp(), r.repo_id, r.runtime or ""))

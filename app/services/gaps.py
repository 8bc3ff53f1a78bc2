"""Launch gaps: support time − release time, per (release, runtime, stage), with the statuses of PRODUCT.md.

The decision is pure (``classify_gap`` and ``compute_gaps`` take ``now``). ``refresh_gaps`` materialises the
rows in ``gap_rows`` for what changed after a scan, poll or import; ``query_gaps`` reads them back with the
filters in SQL and gives pending rows their elapsed time from the caller's ``now`` — the only part of a gap
that depends on the clock. ``load_gaps`` computes rows straight from the evidence (no table), in a fixed
number of queries whatever the number of releases or runtimes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import String, and_, case, delete, false, func, or_, select, type_coerce, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.models import GapRecord, KeyMapping, Model, Publisher, Runtime, SupportEvent, SupportKey
from app.services.csv_files import read_csv
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
STAGES = ("branch", "merged", "released", "documented", "verified")
ROW_KINDS = ("runtime", "vendor", "sku")

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
    key_is_new: bool = True
    """Whether no earlier public model of another family carried the key: statistics count only these."""
    model_id: int | None = None


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
    """Earliest known public time per (key kind, key)."""
    first: dict[tuple[str, str], datetime] = {}
    for model in models:
        for kind, key in model.keys.items():
            seen = first.get((kind, key))
            if seen is None or model.release_at < seen:
                first[(kind, key)] = model.release_at
    return first


class KeyNovelty:
    """Whether a key is new at a release: no earlier public model *of another release family* carries it.

    The family is one release (PRODUCT.md): an Instruct repo published a day after its Base shares the Base's
    key but the key is still new for that family. Per key it keeps the earliest time of the earliest family
    and the earliest time among all other families, so each question is answered in constant time.
    """

    def __init__(self, models: Iterable[Release]) -> None:
        self._first: dict[tuple[str, str], tuple[datetime, str]] = {}
        self._second: dict[tuple[str, str], datetime] = {}
        for model in models:
            family = model.family or model.repo_id
            for item in model.keys.items():
                first = self._first.get(item)
                if first is None:
                    self._first[item] = (model.release_at, family)
                elif family == first[1]:
                    self._first[item] = (min(first[0], model.release_at), family)
                elif model.release_at < first[0]:
                    self._first[item] = (model.release_at, family)
                    self._keep_second(item, first[0])
                else:
                    self._keep_second(item, model.release_at)

    def _keep_second(self, item: tuple[str, str], at: datetime) -> None:
        seen = self._second.get(item)
        if seen is None or at < seen:
            self._second[item] = at

    def is_new(self, release: Release, kind: str, key: str) -> bool:
        first = self._first.get((kind, key))
        if first is None:
            return True
        other = first[0] if first[1] != (release.family or release.repo_id) else self._second.get((kind, key))
        return other is None or other >= release.release_at


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


Cell = tuple[str | None, str | None, SupportPoint | None, GapDecision, bool]


def _cell(
    release: Release,
    novelty: KeyNovelty,
    kinds: Sequence[str],
    lookup: Callable[[str, str], SupportPoint | None],
    now: datetime,
) -> Cell:
    kind = next((k for k in kinds if release.keys.get(k)), None)
    key = release.keys.get(kind) if kind else None
    point = lookup(kind, key) if kind and key else None
    # A release offering none of the runtime's key kinds has no key at all, so nothing can make it new.
    key_is_new = bool(kind and key) and novelty.is_new(release, kind, key)  # type: ignore[arg-type]
    decision = classify_gap(
        release_at=release.release_at,
        release_precision=release.release_precision,
        support_at=point.at if point else None,
        key_is_new=key_is_new,
        now=now,
    )
    return kind, key, point, decision, key_is_new


def _row(
    release: Release,
    stage: str,
    cell: Cell,
    *,
    runtime: str | None,
    vendor: str | None = None,
    sku: str | None = None,
    via: str | None = None,
) -> GapRow:
    kind, key, point, decision, key_is_new = cell
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
        key_is_new=key_is_new,
        model_id=release.model_id,
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
    novelty = KeyNovelty(known_models if known_models is not None else releases)
    rows: list[GapRow] = []
    for release in releases:
        if include_runtime_rows:
            for runtime, kinds in runtime_key_kinds.items():
                cell = _cell(
                    release,
                    novelty,
                    kinds,
                    lambda k, v, r=runtime: index.runtime.get((r, stage, k, v)),
                    now,
                )
                rows.append(_row(release, stage, cell, runtime=runtime))
        for vendor, runtimes in (vendor_runtimes or {}).items():
            best: tuple[str, Cell] | None = None
            for runtime in runtimes:
                if runtime not in runtime_key_kinds:
                    continue
                cell = _cell(
                    release,
                    novelty,
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
                    novelty,
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


def load_gguf_table(session: Session) -> dict[str, str]:
    """HF architecture → GGUF architecture as llama.cpp's converter declared it at its last scan."""
    rows = session.execute(
        select(KeyMapping.from_key, KeyMapping.to_key).where(
            KeyMapping.from_kind == "architecture", KeyMapping.to_kind == "gguf_architecture"
        )
    ).all()
    return dict(rows)  # type: ignore[arg-type]


NAME_OVERRIDES = Path(__file__).resolve().parents[1] / "data" / "model_name_overrides.csv"


@lru_cache(maxsize=1)
def load_name_overrides(path: Path = NAME_OVERRIDES) -> dict[str, str]:
    """Manual docs-name matches (``repo_id,docs_name``; an empty name means "never matches")."""
    return {
        row["repo_id"]: row["docs_name"]
        for _line, row in read_csv(path, ("repo_id", "docs_name"), ValueError)
    }


def load_releases(session: Session) -> tuple[list[Release], list[Release]]:
    """(original releases, every known public model) with a release time, oldest first.

    Reads plain columns (not ORM objects) in one query: the gap pages read every model on each request.
    """
    doc_names = session.scalars(select(SupportKey.key).where(SupportKey.key_kind == "model_name")).all()
    names = NameMatcher(doc_names, load_name_overrides())
    gguf_table = load_gguf_table(session)
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
            gguf_table=gguf_table,
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


def load_support_index(
    session: Session, stage: str, *, runtimes: Iterable[str] | None = None
) -> SupportIndex:
    """Earliest non-retracted ``added`` event per (runtime, key, SKU, branch) at ``stage``, with evidence
    (only ``runtimes``' events when given).

    The minimum is taken in SQL, so this reads one row per registration, not every event. A key removed later
    keeps its first support time (PRODUCT.md), so removals do not clear it here.
    """
    live: tuple = (  # type: ignore[type-arg]
        SupportEvent.stage == stage,
        SupportEvent.event == "added",
        SupportEvent.retracted_at.is_(None),
    )
    if runtimes is not None:
        names = select(Runtime.id).where(Runtime.name.in_(sorted(set(runtimes))))
        live = (*live, SupportEvent.runtime_id.in_(names.scalar_subquery()))
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


_T = GapRecord.__table__.c
_TIMES = ("release_at", "support_at", "author_at")
# Times are read untyped and converted by ``_utc``: the generic DateTime result processor costs more than
# the rest of a row, and the gap pages read tens of thousands of rows.
_READ_COLUMNS = tuple(
    type_coerce(column, String).label(column.name) if column.name in _TIMES else column
    for column in (
        _T.model_id, _T.stage, _T.row_kind, _T.runtime, _T.vendor, _T.sku, _T.repo_id, _T.publisher,
        _T.family, _T.key_kind, _T.key, _T.key_is_new, _T.status, _T.gap_hours, _T.confidence,
        _T.release_at, _T.release_precision, _T.support_at, _T.author_at, _T.commit, _T.tag,
        _T.evidence_url, _T.via_runtime,
    )
)  # fmt: skip
_KIND_ORDER = case({"runtime": 0, "vendor": 1}, value=_T.row_kind, else_=2)


def _where(filters: GapFilters) -> list:  # type: ignore[type-arg]
    """The SQL conditions for ``filters``, with the same meaning per row kind as the pages have always had:
    a runtime filter keeps the vendor views that runtime counts for; a vendor filter keeps that vendor's
    runtimes, its view and its SKUs; a SKU filter narrows the SKU rows."""
    vendors = vendor_runtimes(filters.stage)
    per_kind = []
    if "runtime" in filters.rows:
        cond = [_T.row_kind == "runtime"]
        if filters.runtime is not None:
            cond.append(_T.runtime == filters.runtime)
        if filters.vendor is not None:
            cond.append(_T.runtime.in_(vendors.get(filters.vendor, ())))
        per_kind.append(and_(*cond))
    if "vendor" in filters.rows:
        cond = [_T.row_kind == "vendor"]
        if filters.runtime is not None:
            cond.append(_T.vendor.in_([v for v, rs in vendors.items() if filters.runtime in rs]))
        if filters.vendor is not None:
            cond.append(_T.vendor == filters.vendor)
        per_kind.append(and_(*cond))
    if "sku" in filters.rows:
        cond = [_T.row_kind == "sku"]
        if filters.runtime is not None:
            cond.append(_T.runtime == filters.runtime)
        if filters.sku is not None:
            cond.append(_T.sku == filters.sku)
        elif filters.vendor is not None:
            cond.append(_T.vendor == filters.vendor)
        per_kind.append(and_(*cond))
    where = [_T.stage == filters.stage, or_(*per_kind) if per_kind else false()]
    # Vendor and SKU rows carry the vendor; runtime and SKU rows the runtime. When every requested kind
    # shares the equality, say it once at the top so the (stage, vendor|runtime, release_at) index is used.
    if filters.vendor is not None and filters.sku is None and "runtime" not in filters.rows:
        where.append(_T.vendor == filters.vendor)
    if filters.runtime is not None and "vendor" not in filters.rows:
        where.append(_T.runtime == filters.runtime)
    if filters.status is not None:
        where.append(_T.status == filters.status)
    if filters.publisher is not None:
        where.append(_T.publisher == filters.publisher)
    if filters.repo_id is not None:
        where.append(_T.repo_id == filters.repo_id)
    if filters.since is not None:
        where.append(_T.release_at >= filters.since)
    if filters.until is not None:
        where.append(_T.release_at < filters.until)
    return where


def query_gaps(
    session: Session, filters: GapFilters, *, now: datetime, limit: int | None = None, offset: int = 0
) -> list[GapRow]:
    """Materialised gap rows matching ``filters``, newest release first, in one query (a page of them with
    ``limit``/``offset``). Pending rows get the time elapsed until ``now``."""
    statement = (
        select(*_READ_COLUMNS)
        .where(*_where(filters))
        .order_by(_T.release_at.desc(), _T.repo_id, _KIND_ORDER, _T.runtime, _T.vendor, _T.sku)
        .offset(offset)
    )
    if limit is not None:
        statement = statement.limit(limit)
    return [_from_record(row, now) for row in session.execute(statement).all()]


class GapFact(NamedTuple):
    """The part of a gap row statistics read (a plain tuple: tens of thousands are read per request)."""

    runtime: str | None
    vendor: str | None
    sku: str | None
    stage: str
    family: str
    repo_id: str
    release_at: datetime
    status: str
    gap_hours: float
    key_is_new: bool


def _utc(value: datetime | str) -> datetime:
    # The column is read untyped (see gap_facts): PostgreSQL's driver already gives an aware datetime;
    # SQLite gives the stored naive-UTC text, which fromisoformat parses several times faster than the
    # generic DateTime result processor.
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def gap_facts(session: Session, filters: GapFilters, *, now: datetime) -> list[GapFact]:
    """``query_gaps`` reduced to what statistics need, in one query and without building full rows: the
    statistics endpoints read every vendor or runtime row of a stage on each request."""
    statement = select(
        _T.runtime,
        _T.vendor,
        _T.sku,
        _T.stage,
        _T.family,
        _T.repo_id,
        type_coerce(_T.release_at, String),
        _T.status,
        _T.gap_hours,
        _T.key_is_new,
    ).where(*_where(filters))
    facts = []
    for runtime, vendor, sku, stage, family, repo_id, release, status, gap, new in session.execute(
        statement
    ).all():
        release_at = _utc(release)
        if status == PENDING:
            gap = _hours(now - release_at)
        facts.append(
            GapFact(
                runtime or None,
                vendor or None,
                sku or None,
                stage,
                family,
                repo_id,
                release_at,
                status,
                gap,
                new,
            )
        )
    return facts


def count_gaps(session: Session, filters: GapFilters) -> int:
    """How many materialised rows match ``filters`` (one query)."""
    return session.scalar(select(func.count()).select_from(GapRecord).where(*_where(filters))) or 0


def _from_record(row, now: datetime) -> GapRow:  # type: ignore[no-untyped-def]
    release_at = _utc(row.release_at)
    gap = _hours(now - release_at) if row.status == PENDING else row.gap_hours
    return GapRow(
        repo_id=row.repo_id,
        publisher=row.publisher,
        runtime=row.runtime or None,
        stage=row.stage,
        key_kind=row.key_kind,
        key=row.key,
        status=row.status,
        gap_hours=gap,
        confidence=row.confidence,
        release_at=release_at,
        release_precision=row.release_precision,
        support_at=_utc(row.support_at) if row.support_at is not None else None,
        author_at=_utc(row.author_at) if row.author_at is not None else None,
        commit=row.commit,
        tag=row.tag,
        evidence_url=row.evidence_url,
        vendor=row.vendor or None,
        sku=row.sku or None,
        family=row.family,
        via_runtime=row.via_runtime,
        key_is_new=row.key_is_new,
        model_id=row.model_id,
    )


def _row_kind(row: GapRow) -> str:
    return "sku" if row.sku else "vendor" if row.runtime is None else "runtime"


def _identity(row: GapRow) -> tuple[int, str, str, str, str, str]:
    kind = _row_kind(row)
    vendor = row.vendor or "" if kind != "runtime" else ""
    return (row.model_id or 0, row.stage, kind, row.runtime or "", vendor, row.sku or "")


def _values(row: GapRow) -> dict[str, object]:
    model_id, stage, kind, runtime, vendor, sku = _identity(row)
    return {
        "model_id": model_id,
        "stage": stage,
        "row_kind": kind,
        "runtime": runtime,
        "vendor": vendor,
        "sku": sku,
        "repo_id": row.repo_id,
        "publisher": row.publisher,
        "family": row.family or row.repo_id,
        "key_kind": row.key_kind,
        "key": row.key,
        "key_is_new": row.key_is_new,
        "status": row.status,
        # The one clock-dependent number is left out: readers compute a pending row's elapsed time.
        "gap_hours": None if row.status == PENDING else row.gap_hours,
        "confidence": row.confidence,
        "release_at": row.release_at,
        "release_precision": row.release_precision,
        "support_at": row.support_at,
        "author_at": row.author_at,
        "commit": row.commit,
        "tag": row.tag,
        "evidence_url": row.evidence_url,
        "via_runtime": row.via_runtime,
    }


@dataclass(frozen=True)
class RefreshReport:
    """What one ``refresh_gaps`` changed in ``gap_rows``."""

    computed: int
    inserted: int
    updated: int
    deleted: int


# Any fixed instant will do: pending rows store no gap, and every other status ignores the clock.
_NO_CLOCK = datetime(2000, 1, 1, tzinfo=UTC)
_CHUNK = 500


def _runtime_scope(runtimes: Iterable[str]) -> set[str]:
    """The runtimes whose rows a scan of ``runtimes`` can change.

    Docs model names registered by one runtime feed the alias matcher every ``model_name`` runtime uses, so
    a scan of any runtime with a docs-name signal recomputes all of them."""
    scope = set(runtimes)
    by_name = {n: set(k) for st in STAGES for n, k in runtime_key_kinds(st).items()}
    with_names = {n for n, kinds in by_name.items() if "model_name" in kinds}
    if scope & with_names:
        scope |= with_names
    return scope


def _model_scope(session: Session, known: Sequence[Release], model_ids: set[int]) -> set[int]:
    """``model_ids`` and every model whose key novelty they can change: same family, or sharing a key they
    carry now or carried when their rows were last computed."""
    items: set[tuple[str, str]] = set()
    families: set[str] = set()
    for release in known:
        if release.model_id in model_ids:
            items.update(release.keys.items())
            families.add(release.family or release.repo_id)
    for chunk in _chunks(sorted(model_ids)):
        stored = session.execute(
            select(_T.key_kind, _T.key, _T.family).where(_T.model_id.in_(chunk)).distinct()
        )
        for kind, key, family in stored:
            if kind and key:
                items.add((kind, key))
            families.add(family)
    scope = set(model_ids)
    for release in known:
        if (release.family or release.repo_id) in families or items.intersection(release.keys.items()):
            scope.add(release.model_id)
    return scope


def _chunks(values: Sequence, size: int = _CHUNK) -> Iterable[Sequence]:  # type: ignore[type-arg]
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _insert_new(session: Session, rows: Sequence[dict[str, object]]) -> int:
    """Insert ``rows`` as one executemany, skipping rows a concurrent refresh inserted first; returns how
    many were inserted (on PostgreSQL, where SQLAlchemy reports no executemany row count, how many were
    sent).

    No RETURNING: with it the statement becomes one huge multi-VALUES text per thousand rows, which psycopg
    re-parses every time (39 s for 142,000 rows, against a few seconds as a plain executemany).
    """
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(GapRecord.__table__).on_conflict_do_nothing(
        index_elements=["model_id", "stage", "row_kind", "runtime", "vendor", "sku"]
    )
    count: int = session.execute(statement, list(rows)).rowcount  # type: ignore[attr-defined]
    return count if count >= 0 else len(rows)


def refresh_gaps(
    session: Session, *, models: Iterable[int] | None = None, runtimes: Iterable[str] | None = None
) -> RefreshReport:
    """Recompute the materialised gap rows that can have changed, and write only the differences.

    ``models`` (model ids: polled, imported or changed by a webhook) limits the work to those models and
    the ones whose key novelty they affect; ``runtimes`` (names just scanned) to those runtimes' rows, the
    vendor views they count for and their SKUs. Neither means everything. Idempotent: a second call with
    nothing changed writes nothing; concurrent refreshes skip rows the other already inserted. The caller
    commits (so a scan and the rows it implies land together).
    """
    originals, known = load_releases(session)
    model_scope = _model_scope(session, known, set(models)) if models is not None else None
    runtime_scope = _runtime_scope(runtimes) if runtimes is not None else None
    if model_scope is not None:
        originals = [r for r in originals if r.model_id in model_scope]

    target: dict[tuple[int, str, str, str, str, str], dict[str, object]] = {}
    vendor_scope: dict[str, set[str]] = {}
    for stage in STAGES:
        kinds = runtime_key_kinds(stage)
        vendors = vendor_runtimes(stage)
        skus = per_sku_runtimes(stage)
        if runtime_scope is not None:
            vendors = {v: rs for v, rs in vendors.items() if runtime_scope.intersection(rs)}
            skus = {r: s for r, s in skus.items() if r in runtime_scope}
        vendor_scope[stage] = set(vendors)
        needed = None
        if runtime_scope is not None:
            # The scanned runtimes, plus every runtime of the vendor views they count for (a view is the
            # earliest among its runtimes).
            needed = runtime_scope.union(*vendors.values())
        index = load_support_index(session, stage, runtimes=needed)
        rows = compute_gaps(
            originals,
            kinds,
            index,
            stage=stage,
            now=_NO_CLOCK,
            known_models=known,
            vendor_runtimes=vendors,
            sku_runtimes=skus,
            include_runtime_rows=False,
        )
        rows += compute_gaps(
            originals,
            {n: k for n, k in kinds.items() if runtime_scope is None or n in runtime_scope},
            index,
            stage=stage,
            now=_NO_CLOCK,
            known_models=known,
        )
        for row in rows:
            target[_identity(row)] = _values(row)

    def in_scope(identity: tuple[int, str, str, str, str, str]) -> bool:
        _, stage, kind, runtime, vendor, _ = identity
        if runtime_scope is None:
            return True
        if kind == "vendor":
            return vendor in vendor_scope.get(stage, ())
        return runtime in runtime_scope

    stored: dict[tuple[int, str, str, str, str, str], tuple[int, dict[str, object]]] = {}
    columns = [_T.id, *_READ_COLUMNS]
    scope_where = []
    if runtime_scope is not None:
        all_vendors = sorted(set().union(*vendor_scope.values()))
        scope_where.append(
            or_(
                _T.runtime.in_(sorted(runtime_scope)),
                and_(_T.row_kind == "vendor", _T.vendor.in_(all_vendors)),
            )
        )
    if model_scope is None:
        batches: Iterable[object] = [session.execute(select(*columns).where(*scope_where))]
    else:
        batches = (
            session.execute(select(*columns).where(_T.model_id.in_(chunk), *scope_where))
            for chunk in _chunks(sorted(model_scope))
        )
    for result in batches:
        for record in result:  # type: ignore[attr-defined]
            values = dict(record._mapping)
            record_id = values.pop("id")
            for name in _TIMES:
                if values[name] is not None:
                    values[name] = _utc(values[name])
            identity = (
                values["model_id"], values["stage"], values["row_kind"], values["runtime"], values["vendor"],
                values["sku"],
            )  # fmt: skip
            if in_scope(identity):
                stored[identity] = (record_id, values)

    inserts = [values for identity, values in target.items() if identity not in stored]
    updates = [
        {"id": record_id, **target[identity]}
        for identity, (record_id, values) in stored.items()
        if identity in target and target[identity] != values
    ]
    deletes = [record_id for identity, (record_id, _) in stored.items() if identity not in target]
    for chunk in _chunks(deletes):
        session.execute(delete(GapRecord).where(GapRecord.id.in_(chunk)))
    if updates:
        session.execute(update(GapRecord), updates)
    inserted = _insert_new(session, inserts)
    return RefreshReport(computed=len(target), inserted=inserted, updated=len(updates), deleted=len(deletes))


def load_gaps(
    session: Session,
    runtime_key_kinds: Mapping[str, Sequence[str]],
    *,
    stage: str,
    now: datetime,
    runtime: str | None = None,
    status: str | None = None,
) -> list[GapRow]:
    """Runtime gap rows computed from the evidence (not the table), optionally filtered by runtime and
    status, newest release first."""
    originals, known = load_releases(session)
    kinds = {name: k for name, k in runtime_key_kinds.items() if runtime is None or name == runtime}
    rows = compute_gaps(
        originals, kinds, load_support_index(session, stage), stage=stage, now=now, known_models=known
    )
    if status is not None:
        rows = [row for row in rows if row.status == status]
    return sorted(rows, key=lambda r: (-r.release_at.timestamp(), r.repo_id, r.runtime or ""))

"""The launch-gap decision, pure: statuses of (release, runtime, stage) cells from release times, support
points and ``now`` (the statuses are defined in docs/concepts.md).

``classify_gap`` decides one cell; ``compute_gaps`` builds every row for a set of releases. Nothing here
reads the database or the clock: ``load.py`` gathers the inputs, ``refresh.py`` stores the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.domain.gap_row import GapRow
from app.domain.vocabulary import Confidence, GapStatus, ReleasePrecision
from app.services.matching import support_keys
from app.services.runtime_coverage import event_vendors, sku_vendor

EARLY_ACCESS_WINDOW = timedelta(days=90)
DAY_0 = timedelta(hours=24)


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


SUPPORTED_STATUSES = frozenset(
    {GapStatus.PRE_EXISTING, GapStatus.PRE_RELEASE, GapStatus.DAY_0, GapStatus.LATER}
)
"""Statuses of a cell the runtime (or vendor, or SKU) supports: a cell entering one has gained support."""


@dataclass(frozen=True)
class GapDecision:
    status: GapStatus
    gap_hours: float
    confidence: Confidence


def hours(delta: timedelta) -> float:
    """A duration in hours, as gaps are stated (two decimals)."""
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
    older means the key predates what LaunchGap knows, so the support pre-exists. A day-precision release time
    cannot order events within that day, so support on the release day counts as day 0.
    """
    if support_at is None:
        return GapDecision(GapStatus.PENDING, hours(now - release_at), Confidence.HIGH)
    if support_at < release_at:
        if not key_is_new or release_at - support_at > early_access_window:
            return GapDecision(GapStatus.PRE_EXISTING, 0.0, Confidence.HIGH)
        confidence = Confidence.LOW if release_precision == ReleasePrecision.DAY else Confidence.HIGH
        return GapDecision(GapStatus.PRE_RELEASE, hours(support_at - release_at), confidence)
    gap = support_at - release_at
    if release_precision == ReleasePrecision.DAY and gap < timedelta(days=1):
        return GapDecision(GapStatus.DAY_0, hours(gap), Confidence.LOW)
    status = GapStatus.DAY_0 if gap <= DAY_0 else GapStatus.LATER
    return GapDecision(status, hours(gap), Confidence.HIGH)


class KeyNovelty:
    """Whether a key is new at a release: no earlier public model *of another release family* carries it.

    The family is one release (docs/concepts.md, "Release family"): an Instruct repo published a day after its Base shares the Base's
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

    An event counts for a vendor view only when the vendor table says so (``runtime_coverage.event_vendors``):
    a SKU's row counts for that SKU's vendor, an ``amd/*`` branch for AMD, anything else for the runtime's own
    vendors — so upstream vLLM merging an architecture is not AMD or Ascend support.
    """

    runtime: dict[SupportKeyTuple, SupportPoint] = field(default_factory=dict)
    vendor: dict[tuple[str, str, str, str, str], SupportPoint] = field(default_factory=dict)
    sku: dict[tuple[str, str, str, str, str], SupportPoint] = field(default_factory=dict)

    def add(
        self, runtime: str, stage: str, kind: str, key: str, sku: str, branch: str, point: SupportPoint
    ) -> None:
        # a docs name is indexed under each model it lists, normalised: spellings of one model meet here
        for indexed in support_keys(kind, key):
            base = (runtime, stage, kind, indexed)
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
    # looked up the way SupportIndex.add indexes it (a docs name by its normalised form)
    indexed = support_keys(kind, key) if kind and key else ()
    point = lookup(kind, indexed[0]) if indexed else None
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
    to the earliest registration (a docs name keyed as ``matching.support_keys`` gives it), or is a
    ``SupportIndex`` with vendor and SKU views. ``known_models`` (default: the releases) decides whether a
    key is new. ``vendor_runtimes`` (vendor → runtimes that count for it) adds one row per vendor view: the
    earliest among its runtimes, each decided on its own key. ``sku_runtimes`` (runtime → SKUs) adds per-SKU
    rows for runtimes whose source is per SKU.
    """
    index = support if isinstance(support, SupportIndex) else SupportIndex(runtime=dict(support))
    novelty = KeyNovelty(known_models if known_models is not None else releases)
    rows: list[GapRow] = []

    def decide(release: Release, runtime: str, table: Mapping[tuple, SupportPoint], *view: str) -> Cell:  # type: ignore[type-arg]
        # ``view`` is the vendor or the SKU that narrows the index, nothing for the runtime's own row.
        return _cell(
            release,
            novelty,
            runtime_key_kinds[runtime],
            lambda kind, key: table.get((runtime, stage, kind, key, *view)),
            now,
        )

    for release in releases:
        if include_runtime_rows:
            for runtime in runtime_key_kinds:
                rows.append(_row(release, stage, decide(release, runtime, index.runtime), runtime=runtime))
        for vendor, runtimes in (vendor_runtimes or {}).items():
            best: tuple[str, Cell] | None = None
            for runtime in runtimes:
                if runtime not in runtime_key_kinds:
                    continue
                cell = decide(release, runtime, index.vendor, vendor)
                if best is None or _better(cell, best[1]):
                    best = (runtime, cell)
            if best is not None:
                rows.append(_row(release, stage, best[1], runtime=None, vendor=vendor, via=best[0]))
        for runtime, skus in (sku_runtimes or {}).items():
            if runtime not in runtime_key_kinds:
                continue
            for sku in skus:
                cell = decide(release, runtime, index.sku, sku)
                rows.append(_row(release, stage, cell, runtime=runtime, vendor=sku_vendor(sku), sku=sku))
    return rows


def _better(cell: tuple, than: tuple) -> bool:  # type: ignore[type-arg]
    """The vendor view takes the earliest support; among unsupported cells, the first runtime."""
    point, other = cell[2], than[2]
    if point is None:
        return False
    return other is None or point.at < other.at

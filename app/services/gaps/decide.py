"""The launch-gap decision, pure: statuses of (release, runtime, stage) cells from release times, support
points and ``now`` (the statuses are defined in docs/concepts.md).

``classify_gap`` decides one cell; ``compute_gaps`` builds every row for a set of releases. Nothing here
reads the database or the clock: ``load.py`` gathers the inputs, ``refresh.py`` stores the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from app.domain.gap_row import GapRow
from app.domain.vocabulary import Confidence, GapStatus, ReleasePrecision, Stage
from app.services.gaps.matching import support_keys
from app.services.runtimes.catalog_views import event_vendors, sku_vendor

DEFAULT_EARLY_ACCESS_WINDOW = timedelta(days=90)
"""The early-access window when not configured (``LAUNCHGAP_EARLY_ACCESS_DAYS``)."""
DAY_0 = timedelta(hours=24)
FIRST_OBSERVED_VERSION = timedelta(days=1)
"""A coverage start is the start of the UTC day of a source's first version (``stage_coverage_start``): support
dated within that day was there at the first observed version, so the source cannot say when it came."""


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
    prerelease: bool | None = None
    """At the ``released`` stage: whether the tag is a pre-release (rc, alpha, beta, dev)."""


@dataclass(frozen=True)
class CellCoverage:
    """What the decision needs to know of a source's coverage (``app/services/runtimes/stored_coverage.py`` loads it)."""

    observed_until: datetime | None
    """None: never observed."""
    coverage_start: datetime | None = None


@dataclass(frozen=True)
class GapDecision:
    status: GapStatus
    gap_hours: float | None
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
    observed_until: datetime | None,
    coverage_start: datetime | None = None,
    early_access_window: timedelta = DEFAULT_EARLY_ACCESS_WINDOW,
) -> GapDecision:
    """Decide the status and gap of one (release, runtime, stage) cell.

    A source never observed (``observed_until`` None) says nothing: unknown. A release older than the
    source's coverage start is dated by it only as far as it can be: support already there at its first
    observed version (dated within the coverage start's day) says "supported by then", before-coverage with
    no gap; support added later is classified as usual, and a source that never supports it leaves it
    pending (a lower bound: it was watched from its start and never added it). Without support, a release newer
    than what the source was observed until is unknown too, and an older one is pending, its gap running
    to ``observed_until`` (censored there) — support found before the release is evidence whatever the copy's
    age. Support before the release is evidence of early access only for a key that is new at the release and
    only within the early-access window; anything older means the key predates what LaunchGap knows, so the
    support pre-exists. A day-precision release time cannot order events within that day (or the day around
    it, time zones), so support on the release day counts as day 0 and support within a day before it as a
    low-confidence pre-release.
    """
    if observed_until is None:
        return GapDecision(GapStatus.UNKNOWN, None, Confidence.HIGH)
    if (
        coverage_start is not None
        and release_at < coverage_start
        and support_at is not None
        and support_at < coverage_start + FIRST_OBSERVED_VERSION
    ):
        return GapDecision(GapStatus.BEFORE_COVERAGE, None, Confidence.HIGH)
    if support_at is None:
        if release_at > observed_until:
            return GapDecision(GapStatus.UNKNOWN, None, Confidence.HIGH)
        return GapDecision(GapStatus.PENDING, hours(observed_until - release_at), Confidence.HIGH)
    if support_at < release_at:
        if not key_is_new or release_at - support_at > early_access_window:
            return GapDecision(GapStatus.PRE_EXISTING, 0.0, Confidence.HIGH)
        near = release_at - support_at <= timedelta(days=1)
        confidence = Confidence.LOW if release_precision == ReleasePrecision.DAY and near else Confidence.HIGH
        return GapDecision(GapStatus.PRE_RELEASE, hours(support_at - release_at), confidence)
    gap = support_at - release_at
    if release_precision == ReleasePrecision.DAY and gap < timedelta(days=1):
        return GapDecision(GapStatus.DAY_0, hours(gap), Confidence.LOW)
    status = GapStatus.DAY_0 if gap <= DAY_0 else GapStatus.LATER
    return GapDecision(status, hours(gap), Confidence.HIGH)


class KeyNovelty:
    """Whether a key is new at a release (the rule ``app/services/gaps/novelty.py`` states): no earlier
    public model *of another release family* carries it, and no runtime merged support for it more than the
    early-access window before the family's release.

    The family is one release (docs/concepts.md, "Release family"): an Instruct repo published a day after its
    Base shares the Base's key, and the key is decided once for the family, at its earliest member carrying
    it. Per key it keeps the earliest time of the earliest family and the earliest time among all other
    families, so each question is answered in constant time. ``merged`` maps (key kind, key) to the earliest
    merged registration of that key by any runtime.
    """

    def __init__(
        self,
        models: Iterable[Release],
        *,
        merged: Mapping[tuple[str, str], datetime] | None = None,
        window: timedelta = DEFAULT_EARLY_ACCESS_WINDOW,
    ) -> None:
        self._first: dict[tuple[str, str], tuple[datetime, str]] = {}
        self._second: dict[tuple[str, str], datetime] = {}
        self._family_first: dict[tuple[str, str, str], datetime] = {}
        self._merged = dict(merged or {})
        self.window = window
        for model in models:
            self.add(model)

    def add(self, model: Release) -> None:
        """Know one more public model (a watcher classifying models in creation order adds each one)."""
        family = model.family or model.repo_id
        for item in model.keys.items():
            seen = self._family_first.get((family, *item))
            if seen is None or model.release_at < seen:
                self._family_first[(family, *item)] = model.release_at
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
        """Whether ``key`` is new for ``release``'s family (decided at the family's earliest member carrying
        it, so every member and every runtime gets the same answer)."""
        family = release.family or release.repo_id
        at = self._family_first.get((family, kind, key), release.release_at)
        return self.is_new_at(kind, key, min(at, release.release_at), family)

    def is_new_at(self, kind: str, key: str, at: datetime, family: str | None = None) -> bool:
        """Whether ``key`` is new for a release at ``at`` of ``family`` (None: a family of its own)."""
        first = self._first.get((kind, key))
        if first is not None:
            other = first[0] if first[1] != family else self._second.get((kind, key))
            if other is not None and other < at:
                return False
        indexed = support_keys(kind, key)
        merged = min((self._merged[(kind, k)] for k in indexed if (kind, k) in self._merged), default=None)
        return merged is None or at - merged <= self.window


SupportKeyTuple = tuple[str, str, str, str]
"""(runtime, stage, key kind, key)."""


@dataclass
class SupportIndex:
    """Earliest support per runtime, per (runtime, vendor view) and per (runtime, SKU).

    An event counts for a vendor view only when the vendor table says so (``runtime_coverage.event_vendors``):
    a SKU's row counts for that SKU's vendor, an ``amd/*`` branch for AMD, anything else for the runtime's own
    vendors — so upstream vLLM merging an architecture is not AMD or Ascend support. ``final`` holds the same
    views over final runtime releases only (the ``released`` stage: "which version do I install").
    """

    runtime: dict[SupportKeyTuple, SupportPoint] = field(default_factory=dict)
    vendor: dict[tuple[str, str, str, str, str], SupportPoint] = field(default_factory=dict)
    sku: dict[tuple[str, str, str, str, str], SupportPoint] = field(default_factory=dict)
    final: SupportIndex | None = None

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


Lookup = Callable[[str, str], SupportPoint | None]


@dataclass(frozen=True)
class Cell:
    """One runtime's decision for a release: the key it matched on, its support and its final support."""

    kind: str | None
    key: str | None
    point: SupportPoint | None
    decision: GapDecision
    key_is_new: bool
    coverage: CellCoverage
    final_point: SupportPoint | None = None
    final_decision: GapDecision | None = None


def _cell(
    release: Release,
    novelty: KeyNovelty,
    kinds: Sequence[str],
    lookup: Lookup,
    coverage: CellCoverage,
    final_lookup: Lookup | None = None,
) -> Cell:
    # Every key the release offers among the runtime's kinds, in the runtime's order. Support is the
    # earliest by any of them (a table that names the architecture on one row and links the repo on another
    # supports the release from the first); without support the cell names the first key offered.
    offered = [(k, release.keys[k]) for k in kinds if release.keys.get(k)]
    # looked up the way SupportIndex.add indexes it (a docs name by its normalised form)
    looked = [(k, key, indexed[0]) for k, key in offered if (indexed := support_keys(k, key))]
    point, kind, key = _earliest(lookup, looked)
    if kind is None and offered:
        kind, key = offered[0]
    # A release offering none of the runtime's key kinds has no key at all, so nothing can make it new.
    key_is_new = bool(kind and key) and novelty.is_new(release, kind, key)  # type: ignore[arg-type]

    def decide(support: SupportPoint | None) -> GapDecision:
        return classify_gap(
            release_at=release.release_at,
            release_precision=release.release_precision,
            support_at=support.at if support else None,
            key_is_new=key_is_new,
            observed_until=coverage.observed_until,
            coverage_start=coverage.coverage_start,
            early_access_window=novelty.window,
        )

    final_point = final_decision = None
    if final_lookup is not None:
        final_point = _earliest(final_lookup, looked)[0]
        final_decision = decide(final_point)
    return Cell(kind, key, point, decide(point), key_is_new, coverage, final_point, final_decision)


def _earliest(
    lookup: Lookup, looked: Sequence[tuple[str, str, str]]
) -> tuple[SupportPoint | None, str | None, str | None]:
    """The earliest support among ``(kind, key, indexed key)`` candidates, with the kind and key that gave it
    (ties: the first candidate, in the runtime's order); ``(None, None, None)`` when none is supported."""
    best: tuple[SupportPoint | None, str | None, str | None] = (None, None, None)
    for kind, key, indexed in looked:
        point = lookup(kind, indexed)
        if point is not None and (best[0] is None or point.at < best[0].at):
            best = (point, kind, key)
    return best


def _row(
    release: Release,
    stage: str,
    cell: Cell,
    *,
    runtime: str | None,
    vendor: str | None = None,
    sku: str | None = None,
    via: str | None = None,
    observed_until: datetime | None = None,
    final: Cell | None = None,
) -> GapRow:
    point, decision = cell.point, cell.decision
    # Unknown means no evidence is stated: a source not observed, or support the copy cannot reach.
    shown = point if decision.status != GapStatus.UNKNOWN else None
    final = final or cell
    final_point = final.final_point if final.final_decision is not None else None
    final_decision = final.final_decision or decision
    return GapRow(
        repo_id=release.repo_id,
        publisher=release.publisher,
        runtime=runtime,
        stage=stage,
        key_kind=cell.kind,
        key=cell.key,
        status=decision.status,
        gap_hours=decision.gap_hours,
        confidence=decision.confidence,
        release_at=release.release_at,
        release_precision=release.release_precision,
        support_at=shown.at if shown else None,
        author_at=shown.author_at if shown else None,
        commit=shown.commit if shown else None,
        tag=shown.tag if shown else None,
        evidence_url=shown.evidence_url if shown else None,
        vendor=vendor,
        sku=sku,
        family=release.family or release.repo_id,
        via_runtime=via,
        key_is_new=cell.key_is_new,
        model_id=release.model_id,
        observed_until=observed_until if runtime is None else cell.coverage.observed_until,
        tag_prerelease=shown.prerelease if shown else None,
        first_final_tag=final_point.tag if final_point and final_decision.status.observed else None,
        first_final_at=final_point.at if final_point and final_decision.status.observed else None,
        first_final_evidence_url=(
            final_point.evidence_url if final_point and final_decision.status.observed else None
        ),
        final_status=final_decision.status,
        final_gap_hours=final_decision.gap_hours,
    )


def compute_gaps(
    releases: Sequence[Release],
    runtime_key_kinds: Mapping[str, Sequence[str]],
    support: Mapping[SupportKeyTuple, SupportPoint] | SupportIndex,
    *,
    stage: str,
    now: datetime | None = None,
    coverage: Mapping[str, CellCoverage] | None = None,
    known_models: Sequence[Release] | None = None,
    vendor_runtimes: Mapping[str, Sequence[str]] | None = None,
    sku_runtimes: Mapping[str, Sequence[str]] | None = None,
    include_runtime_rows: bool = True,
    novelty: KeyNovelty | None = None,
) -> list[GapRow]:
    """Gap rows for every release × runtime at ``stage`` (and × vendor view, × runtime SKU when asked).

    ``runtime_key_kinds`` lists, per runtime, the key kinds it registers: a runtime matches a release by
    every kind the release offers, the earliest support winning (ties, and the key a cell without support
    names, follow the listed order). ``support`` maps (runtime, stage, key kind, key)
    to the earliest registration (a docs name keyed as ``matching.support_keys`` gives it), or is a
    ``SupportIndex`` with vendor, SKU and final views. ``coverage``
    says, per runtime, until when it is observed and where its source starts (a runtime missing from it was
    never observed); without it every runtime counts as observed until ``now``. ``known_models`` (default:
    the releases) and, at the ``merged`` stage, ``support`` decide whether a key is new, unless
    ``novelty`` (the rule over everything known, with its early-access window) is given. ``vendor_runtimes`` (vendor → runtimes that count for it)
    adds one row per vendor view: the earliest among its observed runtimes (those whose source covers the
    release), each decided on its own key, known until the earliest of their ``observed_until``.
    ``sku_runtimes`` (runtime → SKUs) adds per-SKU rows for runtimes whose source is per SKU.
    """
    if coverage is None:
        if now is None:
            raise ValueError("compute_gaps needs the runtimes' coverage, or now")
        coverage = {name: CellCoverage(now) for name in runtime_key_kinds}
    index = support if isinstance(support, SupportIndex) else SupportIndex(runtime=dict(support))
    final = index.final
    if novelty is None:
        merged: dict[tuple[str, str], datetime] = {}
        if stage == Stage.MERGED:
            for (_runtime, _stage, kind, key), point in index.runtime.items():
                if (kind, key) not in merged or point.at < merged[(kind, key)]:
                    merged[(kind, key)] = point.at
        novelty = KeyNovelty(known_models if known_models is not None else releases, merged=merged)

    def covered(runtime: str) -> CellCoverage:
        return coverage.get(runtime, CellCoverage(None))  # type: ignore[union-attr]

    rows: list[GapRow] = []
    for release in releases:
        if include_runtime_rows:
            for runtime, kinds in runtime_key_kinds.items():
                cell = _cell(
                    release,
                    novelty,
                    kinds,
                    lambda k, v, r=runtime: index.runtime.get((r, stage, k, v)),
                    covered(runtime),
                    (lambda k, v, r=runtime: final.runtime.get((r, stage, k, v))) if final else None,
                )
                rows.append(_row(release, stage, cell, runtime=runtime))
        for vendor, runtimes in (vendor_runtimes or {}).items():
            vendor_row = _vendor_row(
                release, stage, vendor, runtimes, runtime_key_kinds, index, novelty, covered
            )
            if vendor_row is not None:  # a vendor with no runtime at this stage has no row
                rows.append(vendor_row)
        for runtime, skus in (sku_runtimes or {}).items():
            if runtime not in runtime_key_kinds:
                continue
            for sku in skus:
                cell = _cell(
                    release,
                    novelty,
                    runtime_key_kinds[runtime],
                    lambda k, v, r=runtime, s=sku: index.sku.get((r, stage, k, v, s)),
                    covered(runtime),
                    (lambda k, v, r=runtime, s=sku: final.sku.get((r, stage, k, v, s))) if final else None,
                )
                rows.append(_row(release, stage, cell, runtime=runtime, vendor=sku_vendor(sku), sku=sku))
    return rows


def _vendor_row(
    release: Release,
    stage: str,
    vendor: str,
    runtimes: Sequence[str],
    runtime_key_kinds: Mapping[str, Sequence[str]],
    index: SupportIndex,
    novelty: KeyNovelty,
    covered: Callable[[str], CellCoverage],
) -> GapRow | None:
    """A vendor view: the earliest support among the vendor's runtimes with a source for the stage, and how
    complete that answer is (docs/concepts.md, "Complete or bound").

    Support counts from runtimes whose source covers the release. The cell is complete when every runtime
    is observed far enough to rule out earlier support: observed (its own cell neither unknown nor
    before-coverage) until at least the cell's support time, or the release when nothing supports it. An
    incomplete supported cell keeps its status, its gap an upper bound; an incomplete cell without support
    is unknown (a runtime nobody read could have supported it). Known until the earliest ``observed_until``
    of its observed runtimes.
    """
    final = index.final
    cells: list[tuple[str, Cell]] = []
    for runtime in runtimes:
        if runtime not in runtime_key_kinds:
            continue
        cell = _cell(
            release,
            novelty,
            runtime_key_kinds[runtime],
            lambda k, v, r=runtime: index.vendor.get((r, stage, k, v, vendor)),
            covered(runtime),
            (lambda k, v, r=runtime: final.vendor.get((r, stage, k, v, vendor))) if final else None,
        )
        cells.append((runtime, cell))
    if not cells:
        return None  # a vendor with no runtime at this stage has no row
    observed = [(r, c) for r, c in cells if c.coverage.observed_until is not None]
    until = min((c.coverage.observed_until for _, c in observed), default=None)  # type: ignore[type-var]
    covering = [(r, c) for r, c in cells if c.decision.status.observed]
    # A before-coverage runtime is supported by its source's first version (an upper bound): that support
    # counts among the vendor's, and a vendor row it decides says so, via that runtime.
    supported = [(r, c) for r, c in cells if c.point is not None and c.decision.status != GapStatus.UNKNOWN]
    best = min(supported, key=lambda rc: _support_order(rc[1].point)) if supported else None
    horizon = best[1].point.at if best else release.release_at  # type: ignore[union-attr]
    # A runtime with support of its own was read at least that far; one without, until its observed_until.
    far_enough = {
        r
        for r, c in covering
        if c.point is not None or c.coverage.observed_until >= horizon  # type: ignore[operator]
    }
    complete = len(far_enough) == len(cells)

    def with_completeness(row: GapRow) -> GapRow:
        return replace(
            row,
            complete=complete,
            runtimes_total=len(cells),
            runtimes_observed=len(far_enough),
            unobserved_runtimes=", ".join(r for r, _ in cells if r not in far_enough) or None,
        )

    if not covering and best is None:
        # Nothing observed: unknown; observed but every source starts after the release: before coverage.
        runtime, cell = (observed or cells)[0]
        # A before-coverage row still shows what the source says (an unknown one shows nothing): name it.
        via = runtime if cell.decision.status == GapStatus.BEFORE_COVERAGE else None
        row = _row(release, stage, cell, runtime=None, vendor=vendor, via=via, observed_until=until)
        return with_completeness(row)
    if best is None:
        # No support: pending to the earliest observed_until when every runtime was read past the release,
        # unknown otherwise (a runtime known only until March cannot say "none" for April).
        cell = covering[0][1]
        decision = classify_gap(
            release_at=release.release_at,
            release_precision=release.release_precision,
            support_at=None,
            key_is_new=cell.key_is_new,
            observed_until=until if complete else None,
        )
        cell = Cell(cell.kind, cell.key, None, decision, cell.key_is_new, cell.coverage, None, decision)
        row = _row(release, stage, cell, runtime=None, vendor=vendor, via=None, observed_until=until)
        return with_completeness(row)
    # Every detail of the cell (its first final release too) comes from the runtime that gave it its support:
    # another runtime's final release under this runtime's name would mix two answers. Without a final
    # release there, an incomplete cell cannot say "none yet" for the vendor: unknown.
    runtime, cell = best
    if not complete and cell.final_point is None and cell.final_decision is not None:
        unknown = classify_gap(
            release_at=release.release_at,
            release_precision=release.release_precision,
            support_at=None,
            key_is_new=cell.key_is_new,
            observed_until=None,
        )
        cell = replace(cell, final_decision=unknown)
    row = _row(release, stage, cell, runtime=None, vendor=vendor, via=runtime, observed_until=until)
    return with_completeness(row)


def _support_order(point: SupportPoint | None) -> tuple[bool, datetime | None]:
    """Supported before unsupported, then the earliest support (ties: the first runtime, as listed)."""
    return (point is None, point.at if point else None)  # type: ignore[return-value]

"""Keeping ``gap_rows`` in step with the evidence: recompute what a scan, poll or import can have changed,
and write only the differences."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from app.config import get_settings
from app.db.upsert import insert_ignoring_conflicts
from app.domain.vocabulary import SUPPORTED_STATUSES, KeyKind, RowKind, Stage
from app.models import GapRecord
from app.services.gaps.decide import CellCoverage, KeyNovelty, Release, compute_gaps
from app.services.gaps.load import load_gap_coverage, load_releases, load_support_index
from app.services.gaps.novelty import load_key_novelty
from app.services.gaps.record import READ_COLUMNS, TABLE, TIMES, Identity, identity, utc, values
from app.services.gaps.version import record_refresh
from app.services.runtimes.catalog_views import per_sku_runtimes, runtime_key_kinds, vendor_runtimes


@dataclass(frozen=True)
class RefreshReport:
    """What one ``refresh_gaps`` changed in ``gap_rows``."""

    computed: int
    inserted: int
    updated: int
    deleted: int
    gained_support: tuple[Identity, ...] = ()
    """Rows that now have a supported status and had none before (new, pending, or never computed)."""

    def plus(self, other: RefreshReport) -> RefreshReport:
        """Both refreshes' changes (a row recomputed by both is counted twice in ``computed``)."""
        return RefreshReport(
            computed=self.computed + other.computed,
            inserted=self.inserted + other.inserted,
            updated=self.updated + other.updated,
            deleted=self.deleted + other.deleted,
            gained_support=tuple(dict.fromkeys(self.gained_support + other.gained_support)),
        )


_CHUNK = 500


def _runtime_scope(runtimes: Iterable[str]) -> set[str]:
    """The runtimes whose rows a scan of ``runtimes`` can change.

    Docs model names registered by one runtime feed the alias matcher every ``model_name`` runtime uses, so
    a scan of any runtime with a docs-name signal recomputes all of them."""
    scope = set(runtimes)
    by_name = {n: set(k) for st in Stage for n, k in runtime_key_kinds(st).items()}
    with_names = {n for n, kinds in by_name.items() if KeyKind.MODEL_NAME in kinds}
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
            select(TABLE.key_kind, TABLE.key, TABLE.family).where(TABLE.model_id.in_(chunk)).distinct()
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


def refresh_gaps(
    session: Session,
    *,
    models: Iterable[int] | None = None,
    runtimes: Iterable[str] | None = None,
    early_access: timedelta | None = None,
) -> RefreshReport:
    """Recompute the materialised gap rows that can have changed, and write only the differences.

    ``models`` (model ids: polled, imported or changed by a webhook) limits the work to those models and
    the ones whose key novelty they affect; ``runtimes`` (names just scanned) to those runtimes' rows, the
    vendor views they count for and their SKUs — and, since one runtime's merged support can make a key
    not new for every runtime, to every row of the models whose key novelty the scan changed. Neither
    means everything. ``early_access`` is the early-access window (default: ``LAUNCHGAP_EARLY_ACCESS_DAYS``).
    Idempotent: a second call with nothing changed writes nothing; concurrent refreshes skip rows the other
    already inserted. The caller commits (so a scan and the rows it implies land together).
    """
    window = early_access if early_access is not None else get_settings().early_access_window
    originals, known = load_releases(session)
    novelty = load_key_novelty(session, window=window, known=known)
    coverage = load_gap_coverage(session)
    report = _refresh(session, originals, known, novelty, coverage, models=models, runtimes=runtimes)
    if runtimes is not None:
        stale = _novelty_changed(session, known, novelty)
        if stale:
            # The follow-up reads the same releases, novelty and coverage: writing gap rows changes none.
            report = report.plus(_refresh(session, originals, known, novelty, coverage, models=stale))
    return report


def _refresh(
    session: Session,
    originals: Sequence[Release],
    known: Sequence[Release],
    novelty: KeyNovelty,
    coverage: dict[str, dict[str, CellCoverage]],
    *,
    models: Iterable[int] | None = None,
    runtimes: Iterable[str] | None = None,
) -> RefreshReport:
    """``refresh_gaps`` over inputs already loaded, for ``models`` and ``runtimes`` as it says."""
    model_scope = _model_scope(session, known, set(models)) if models is not None else None
    runtime_scope = _runtime_scope(runtimes) if runtimes is not None else None
    if model_scope is not None:
        originals = [r for r in originals if r.model_id in model_scope]

    target: dict[Identity, dict[str, object]] = {}
    vendor_scope: dict[str, set[str]] = {}
    for stage in Stage:
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
            coverage=coverage[stage],
            known_models=known,
            vendor_runtimes=vendors,
            sku_runtimes=skus,
            include_runtime_rows=False,
            novelty=novelty,
        )
        rows += compute_gaps(
            originals,
            {n: k for n, k in kinds.items() if runtime_scope is None or n in runtime_scope},
            index,
            stage=stage,
            coverage=coverage[stage],
            known_models=known,
            novelty=novelty,
        )
        for row in rows:
            target[identity(row)] = values(row)

    def in_scope(key: Identity) -> bool:
        _, stage, kind, runtime, vendor, _ = key
        if runtime_scope is None:
            return True
        if kind == RowKind.VENDOR:
            return vendor in vendor_scope.get(stage, ())
        return runtime in runtime_scope

    stored: dict[Identity, tuple[int, dict[str, object]]] = {}
    columns = [TABLE.id, *READ_COLUMNS]
    scope_where = []
    if runtime_scope is not None:
        all_vendors = sorted(set().union(*vendor_scope.values()))
        scope_where.append(
            or_(
                TABLE.runtime.in_(sorted(runtime_scope)),
                and_(TABLE.row_kind == RowKind.VENDOR, TABLE.vendor.in_(all_vendors)),
            )
        )
    if model_scope is None:
        batches: Iterable[object] = [session.execute(select(*columns).where(*scope_where))]
    else:
        batches = (
            session.execute(select(*columns).where(TABLE.model_id.in_(chunk), *scope_where))
            for chunk in _chunks(sorted(model_scope))
        )
    for result in batches:
        for record in result:  # type: ignore[attr-defined]
            columns_read = dict(record._mapping)
            record_id = columns_read.pop("id")
            for name in TIMES:
                if columns_read[name] is not None:
                    columns_read[name] = utc(columns_read[name])
            key = (
                columns_read["model_id"], columns_read["stage"], columns_read["row_kind"],
                columns_read["runtime"], columns_read["vendor"], columns_read["sku"],
            )  # fmt: skip
            if in_scope(key):
                stored[key] = (record_id, columns_read)

    inserts = [wanted for key, wanted in target.items() if key not in stored]
    updates = [
        {"id": record_id, **target[key]}
        for key, (record_id, columns_read) in stored.items()
        if key in target and target[key] != columns_read
    ]
    deletes = [record_id for key, (record_id, _) in stored.items() if key not in target]
    gained = tuple(
        key
        for key, wanted in target.items()
        if wanted["status"] in SUPPORTED_STATUSES
        and (key not in stored or stored[key][1]["status"] not in SUPPORTED_STATUSES)
    )
    for chunk in _chunks(deletes):
        session.execute(delete(GapRecord).where(GapRecord.id.in_(chunk)))
    if updates:
        session.execute(update(GapRecord), updates)
    inserted = insert_ignoring_conflicts(
        session,
        GapRecord.__table__,  # type: ignore[arg-type]
        inserts,
        ["model_id", "stage", "row_kind", "runtime", "vendor", "sku"],
        bulk=True,
    )
    record_refresh(session)
    return RefreshReport(
        computed=len(target),
        inserted=inserted,
        updated=len(updates),
        deleted=len(deletes),
        gained_support=gained,
    )


def _novelty_changed(session: Session, known: Sequence[Release], novelty: KeyNovelty) -> set[int]:
    """Models with a stored row whose ``key_is_new`` the rule now answers differently (one query)."""
    by_id = {release.model_id: release for release in known}
    stale: set[int] = set()
    stored = select(TABLE.model_id, TABLE.key_kind, TABLE.key, TABLE.key_is_new).distinct()
    for model_id, kind, key, is_new in session.execute(stored):
        release = by_id.get(model_id)
        if release is None or not kind or not key:
            continue
        if novelty.is_new(release, kind, key) != bool(is_new):
            stale.add(model_id)
    return stale

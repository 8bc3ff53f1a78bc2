"""Launch gaps: support time − release time, per (release, runtime, stage), with the statuses of PRODUCT.md.

The decision is pure (``classify_gap`` and ``compute_gaps`` take ``now``); ``load_gaps`` reads what they
need from the database in a fixed number of queries, whatever the number of releases or runtimes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Model, Publisher, Runtime, SupportEvent, SupportKey

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
    """One launch gap: a release, a runtime, a stage."""

    repo_id: str
    publisher: str | None
    runtime: str
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


def compute_gaps(
    releases: Sequence[Release],
    runtime_key_kinds: Mapping[str, Sequence[str]],
    support: Mapping[tuple[str, str, str, str], SupportPoint],
    *,
    stage: str,
    now: datetime,
    known_models: Sequence[Release] | None = None,
) -> list[GapRow]:
    """Gap rows for every release × runtime at ``stage``.

    ``runtime_key_kinds`` lists, per runtime, the key kinds it registers in order of preference: a runtime
    matches a release on the first kind the release offers. ``support`` maps (runtime, stage, key kind, key)
    to the earliest registration. ``known_models`` (default: the releases) decides whether a key is new.
    """
    first_public = first_public_times(known_models if known_models is not None else releases)
    rows: list[GapRow] = []
    for release in releases:
        for runtime, kinds in runtime_key_kinds.items():
            kind = next((k for k in kinds if release.keys.get(k)), None)
            key = release.keys.get(kind) if kind else None
            point = support.get((runtime, stage, kind, key)) if kind and key else None
            first_seen = first_public.get((kind, key), release.release_at) if kind and key else None
            key_is_new = first_seen is not None and first_seen >= release.release_at
            decision = classify_gap(
                release_at=release.release_at,
                release_precision=release.release_precision,
                support_at=point.at if point else None,
                key_is_new=key_is_new,
                now=now,
            )
            rows.append(
                GapRow(
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
                )
            )
    return rows


def _release_keys(model: Model) -> dict[str, str]:
    keys: dict[str, str] = {"repo_id": model.repo_id}
    if model.primary_architecture:
        keys["architecture"] = model.primary_architecture
    if model.model_type:
        keys["model_type"] = model.model_type
    return keys


def load_releases(session: Session) -> tuple[list[Release], list[Release]]:
    """(original releases, every known public model) with a release time, oldest first."""
    rows = session.execute(
        select(Model, Publisher.hub_org)
        .outerjoin(Publisher, Model.publisher_id == Publisher.id)
        .where(Model.release_at.is_not(None))
        .order_by(Model.release_at, Model.repo_id)
    ).all()
    known: list[Release] = []
    originals: list[Release] = []
    for model, org in rows:
        release = Release(
            model_id=model.id,
            repo_id=model.repo_id,
            publisher=org,
            release_at=model.release_at,
            release_precision=model.release_at_precision or "second",
            keys=_release_keys(model),
        )
        known.append(release)
        if not model.is_derivative:
            originals.append(release)
    return originals, known


def load_support(session: Session, stage: str) -> dict[tuple[str, str, str, str], SupportPoint]:
    """Earliest non-retracted ``added`` event per (runtime, stage, key kind, key).

    A key removed later keeps its first support time (PRODUCT.md), so removals do not clear it here.
    """
    rows = session.execute(
        select(Runtime.name, SupportKey.key_kind, SupportKey.key, SupportEvent)
        .join(Runtime, SupportEvent.runtime_id == Runtime.id)
        .join(SupportKey, SupportEvent.support_key_id == SupportKey.id)
        .where(
            SupportEvent.stage == stage, SupportEvent.event == "added", SupportEvent.retracted_at.is_(None)
        )
        .order_by(SupportEvent.at)
    ).all()
    support: dict[tuple[str, str, str, str], SupportPoint] = {}
    for runtime, kind, key, event in rows:
        support.setdefault(
            (runtime, stage, kind, key),
            SupportPoint(
                at=event.at,
                author_at=event.author_at,
                commit=event.commit or None,
                tag=event.tag or None,
                evidence_url=event.evidence_url,
            ),
        )
    return support


def load_gaps(
    session: Session,
    runtime_key_kinds: Mapping[str, Sequence[str]],
    *,
    stage: str,
    now: datetime,
    runtime: str | None = None,
    status: str | None = None,
) -> list[GapRow]:
    """Gap rows from the database, optionally filtered by runtime and status, newest release first."""
    originals, known = load_releases(session)
    kinds = {name: k for name, k in runtime_key_kinds.items() if runtime is None or name == runtime}
    rows = compute_gaps(
        originals, kinds, load_support(session, stage), stage=stage, now=now, known_models=known
    )
    if status is not None:
        rows = [row for row in rows if row.status == status]
    return sorted(rows, key=lambda r: (-r.release_at.timestamp(), r.repo_id, r.runtime))

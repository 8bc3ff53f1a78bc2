"""Pure release rules: original or derivative, release families, new architectures, release time.

Nothing here touches the database or the clock: callers pass plain values and ``now``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from app.domain.vocabulary import ReleaseSource

FAMILY_WINDOW = timedelta(days=3)
"""Sibling repos (Base / Instruct / FP8 …) of one architecture released within this span form one family."""


# -- classification ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Classification:
    """``kind`` is ``original``, ``family_member``, or a derivative kind (``finetune``, ``quantized``,
    ``adapter``, ``merge``); ``reason`` says which evidence decided."""

    is_derivative: bool
    kind: str
    reason: str


def classify(
    repo_id: str, base_models: Sequence[tuple[str, str]], tags: Iterable[str], library_name: str | None
) -> Classification:
    """Original release by its publisher, or a derivative of someone else's model.

    ``base_models`` are (relation, repo_id) pairs from ``base_model:*`` tags. A repo whose bases all belong
    to its own org (an Instruct or FP8 variant of the publisher's Base) is a family member, not a
    derivative.
    """
    org = repo_id.split("/", 1)[0]
    foreign = [(rel, repo) for rel, repo in base_models if repo.split("/", 1)[0].lower() != org.lower()]
    if foreign:
        relation, base = foreign[0]
        kind = relation or "finetune"
        if len(foreign) > 1 and not relation:
            kind = "merge"
        return Classification(True, kind, f"{kind} of {base} (base_model lineage)")
    if base_models:
        return Classification(False, "family_member", f"variant of its publisher's {base_models[0][1]}")
    tag_set = {t.lower() for t in tags}
    if tag_set & {"merge", "mergekit"}:
        return Classification(True, "merge", "merge tags without lineage")
    if library_name == "peft" or tag_set & {"lora", "adapter", "peft"}:
        return Classification(True, "adapter", "adapter (peft/LoRA) without lineage")
    return Classification(False, "original", "no base_model lineage")


# -- release time -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReleaseTime:
    """A release time with where it comes from."""

    at: datetime
    source: ReleaseSource
    precision: str = "second"
    detail: str | None = None
    """The source text: a URL or citation for a fact, how LaunchGap saw it otherwise."""
    confidence: str | None = None
    notes: str | None = None
    """The facts file's notes, if any."""

    def as_record(self) -> dict[str, str | None]:
        """The JSON form kept in ``Model.release_times``."""
        return {
            "at": self.at.isoformat(),
            "precision": self.precision,
            "detail": self.detail,
            "confidence": self.confidence,
            "notes": self.notes,
        }

    @classmethod
    def from_record(cls, source: str, record: Mapping[str, Any]) -> ReleaseTime:
        at = datetime.fromisoformat(str(record["at"]))
        return cls(
            at=at if at.tzinfo else at.replace(tzinfo=UTC),
            source=ReleaseSource(source),
            precision=str(record.get("precision") or "second"),
            detail=record.get("detail"),
            confidence=record.get("confidence"),
            notes=record.get("notes"),
        )


class ReleaseColumns(Protocol):
    """A model's ``release_*`` columns: a ``Model`` row, or the values ``hub/decide.py`` reads."""

    release_at: datetime | None
    release_at_source: str | None
    release_at_precision: str | None
    release_source_detail: str | None
    release_confidence: str | None


def chosen_release_time(model: ReleaseColumns) -> ReleaseTime | None:
    """The release time copied to ``model``'s columns (None when it has none)."""
    if model.release_at is None or model.release_at_source is None:
        return None
    return ReleaseTime(
        model.release_at,
        ReleaseSource(model.release_at_source),
        model.release_at_precision or "second",
        model.release_source_detail,
        model.release_confidence,
    )


def same_day(a: ReleaseTime, b: ReleaseTime) -> bool:
    """Whether two times can name the same release day: a day-precision date is a day somewhere on Earth,
    so it agrees with anything from the day before to the day after (UTC)."""
    if a.precision == "day" or b.precision == "day":
        return abs((a.at.date() - b.at.date()).days) <= 1
    return abs(a.at - b.at) <= timedelta(days=1)


def _better_within_rank(current: ReleaseTime, candidate: ReleaseTime) -> ReleaseTime:
    if candidate.source == ReleaseSource.OBSERVED:
        return candidate if candidate.at < current.at else current  # two sightings: the first one
    if current.precision == "second" and candidate.precision == "day" and same_day(current, candidate):
        return current  # a time to the second beats a date of that day, whichever came later
    return candidate  # otherwise the newer fact replaces the older (it is the corrected one)


def choose_release_time(current: ReleaseTime | None, candidate: ReleaseTime) -> ReleaseTime:
    """Keep the better-ranked time; within one rank, see ``_better_within_rank``."""
    if current is None:
        return candidate
    rank_current, rank_candidate = ReleaseSource(current.source).rank, ReleaseSource(candidate.source).rank
    if rank_candidate != rank_current:
        return candidate if rank_candidate < rank_current else current
    return _better_within_rank(current, candidate)


def record_release_time(
    times: Mapping[str, Mapping[str, Any]], candidate: ReleaseTime
) -> dict[str, dict[str, Any]]:
    """``times`` (source → record) with ``candidate`` kept under its source if it wins within its rank."""
    result = {source: dict(record) for source, record in times.items()}
    current = result.get(candidate.source)
    if current is None:
        result[candidate.source] = candidate.as_record()
    else:
        kept = _better_within_rank(ReleaseTime.from_record(candidate.source, current), candidate)
        result[candidate.source] = kept.as_record()
    return result


def seeded_release_times(
    times: Mapping[str, Mapping[str, Any]] | None, chosen: ReleaseTime | None
) -> dict[str, dict[str, Any]]:
    """Every release time a model has, by source: ``times``, or for a row written before they were kept by
    source (``times`` empty), its one chosen time."""
    result = {source: dict(record) for source, record in (times or {}).items()}
    if not result and chosen is not None:
        result[chosen.source] = chosen.as_record()
    return result


def best_release_time(times: Mapping[str, Mapping[str, Any]]) -> ReleaseTime | None:
    """The best-ranked release time among ``times`` (None when there is none)."""
    known = [source for source in ReleaseSource if source in times]
    return ReleaseTime.from_record(known[0], times[known[0]]) if known else None


def release_values(times: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The columns for a model's release times: all of them by source, and the best-ranked one chosen."""
    chosen = best_release_time(times)
    assert chosen is not None, "a model's release times are never emptied"
    return {
        "release_times": dict(times),
        "release_at": chosen.at,
        "release_at_source": chosen.source,
        "release_at_precision": chosen.precision,
        "release_source_detail": chosen.detail,
        "release_confidence": chosen.confidence,
    }


@dataclass(frozen=True)
class ReleaseConflict:
    """A source whose release time disagrees with the chosen one (more than the precision explains)."""

    source: str
    at: datetime
    precision: str
    detail: str | None
    chosen_source: str
    chosen_at: datetime


def release_conflicts(times: Mapping[str, Mapping[str, Any]]) -> list[ReleaseConflict]:
    """Sources that disagree with the chosen release time, best-ranked first.

    ``createdAt`` is not a claim about the release (repos are created private days earlier), so it never
    conflicts; any two dated claims (observed, imported, bundled) that cannot name the same day do."""
    chosen = best_release_time(times)
    if chosen is None:
        return []
    conflicts = []
    for source in ReleaseSource:
        if source == chosen.source or not source.dated or source not in times:
            continue
        other = ReleaseTime.from_record(source, times[source])
        if not same_day(chosen, other):
            conflicts.append(
                ReleaseConflict(source, other.at, other.precision, other.detail, chosen.source, chosen.at)
            )
    return conflicts


def poll_release_time(created_at: datetime, *, seen_turning_public: bool, now: datetime) -> ReleaseTime:
    """The release time the poller can vouch for when it first sees a repo public.

    A repo that appears in a later cycle of a publisher whose full listing was read before turned public
    since that listing: ``now`` is observed. Otherwise the poller only knows ``createdAt``, an estimate.
    """
    if seen_turning_public:
        return ReleaseTime(
            now, ReleaseSource.OBSERVED, "second", "first seen public by the Hub poller", "high"
        )
    return created_at_estimate(created_at)


def created_at_estimate(created_at: datetime) -> ReleaseTime:
    """The Hub's ``createdAt`` as an estimate: repos are often created private days before release."""
    return ReleaseTime(
        created_at, ReleaseSource.CREATED_AT_ESTIMATE, "second", "Hub createdAt (repo creation time)", "low"
    )


def webhook_release_time(received_at: datetime) -> ReleaseTime:
    """A webhook saying the repo was created public or turned public."""
    return ReleaseTime(received_at, ReleaseSource.OBSERVED, "second", "Hub webhook (turned public)", "high")


class ReleaseDateError(ValueError):
    """A ``public_release_date`` that is not an ISO-8601 date or time with an offset."""


def parse_release_date(value: str) -> tuple[datetime, str]:
    """``2024-07-23`` → (start of that day UTC, ``day``); ``2024-07-23T15:00:00Z`` → (that time, ``second``).

    A time without an offset is refused rather than guessed.
    """
    value = value.strip()
    if not value:
        raise ReleaseDateError("empty release date")
    if len(value) == 10:
        try:
            day = date.fromisoformat(value)
        except ValueError as exc:
            raise ReleaseDateError(f"{value!r} is not an ISO-8601 date: {exc}") from exc
        return datetime(day.year, day.month, day.day, tzinfo=UTC), "day"
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ReleaseDateError(f"{value!r} is not an ISO-8601 date or time: {exc}") from exc
    if parsed.tzinfo is None:
        raise ReleaseDateError(f"{value!r} has no UTC offset (write e.g. {value}Z)")
    return parsed.astimezone(UTC), "second"


# -- families and new architectures -----------------------------------------------------------------------


@dataclass(frozen=True)
class ReleaseCandidate:
    """What family grouping and new-architecture detection need to know about one original model."""

    id: int
    repo_id: str
    org: str
    architecture: str | None
    model_type: str | None
    release_at: datetime | None


@dataclass(frozen=True)
class FamilyVerdict:
    family: str
    new_architecture: bool
    new_model_type: bool


def assign_families(candidates: Iterable[ReleaseCandidate]) -> dict[int, FamilyVerdict]:
    """Group originals into release families and flag the first family of each architecture/model_type.

    A family is one publisher's repos of one architecture and model_type released within
    ``FAMILY_WINDOW`` of the family's first member; its key is that first member's repo id. A family is
    new for an architecture (or model_type) when no earlier family of any watched publisher carries it.
    Models without a release time form their own family and are never new.
    """
    groups: dict[tuple[str, str | None, str | None], list[ReleaseCandidate]] = defaultdict(list)
    facts: dict[int, FamilyVerdict] = {}
    for c in candidates:
        if c.release_at is None:
            facts[c.id] = FamilyVerdict(c.repo_id, False, False)
        else:
            groups[(c.org.lower(), c.architecture, c.model_type)].append(c)

    families: list[tuple[datetime, str, list[ReleaseCandidate]]] = []
    for members in groups.values():
        members.sort(key=lambda c: (c.release_at, c.repo_id))
        current: list[ReleaseCandidate] = []
        for c in members:
            assert c.release_at is not None
            if current and c.release_at - current[0].release_at > FAMILY_WINDOW:  # type: ignore[operator]
                families.append((current[0].release_at, current[0].repo_id, current))  # type: ignore[arg-type]
                current = []
            current.append(c)
        if current:
            families.append((current[0].release_at, current[0].repo_id, current))  # type: ignore[arg-type]

    families.sort(key=lambda f: (f[0], f[1]))
    first_arch: dict[str, str] = {}
    first_type: dict[str, str] = {}
    for _, key, members in families:
        arch, model_type = members[0].architecture, members[0].model_type
        if arch:
            first_arch.setdefault(arch, key)
        if model_type:
            first_type.setdefault(model_type, key)
    for _, key, members in families:
        for c in members:
            facts[c.id] = FamilyVerdict(
                family=key,
                new_architecture=bool(c.architecture) and first_arch.get(c.architecture or "") == key,
                new_model_type=bool(c.model_type) and first_type.get(c.model_type or "") == key,
            )
    return facts


def import_conflicts(
    imported_architecture: str | None,
    imported_model_type: str | None,
    imported_release_at: datetime | None,
    hub_architectures: Sequence[str],
    hub_model_type: str | None,
    hub_created_at: datetime | None,
) -> str | None:
    """Where an imported fact disagrees with what the Hub says, as one readable line (None if it agrees)."""
    problems = []
    if imported_architecture and hub_architectures and imported_architecture not in hub_architectures:
        problems.append(f"architecture: imported {imported_architecture}, Hub {', '.join(hub_architectures)}")
    if imported_model_type and hub_model_type and imported_model_type != hub_model_type:
        problems.append(f"model_type: imported {imported_model_type}, Hub {hub_model_type}")
    # A day-precision date is the start of the day; a repo created later that same day is no conflict.
    if imported_release_at and hub_created_at and imported_release_at + timedelta(days=1) <= hub_created_at:
        problems.append(
            f"release date {imported_release_at.date()} is before the repo was created ({hub_created_at:%Y-%m-%d})"
        )
    return "; ".join(problems) or None

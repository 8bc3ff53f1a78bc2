"""What one Hub listing item changes in a stored model, decided without the database or the clock.

``decide_model_update`` reads the stored model's values (``StoredModel``, or None for a model not stored
yet) and the Hub's view of it, and returns the column values to write (``ModelUpdate``). Matching the
listing to a row, renames and writing belong to ``apply.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from app.services.releases.rules import (
    ReleaseTime,
    chosen_release_time,
    classify,
    created_at_estimate,
    import_conflicts,
    poll_release_time,
    record_release_time,
    release_values,
    seeded_release_times,
    webhook_release_time,
)
from app.sources.hub import HubModel

PUBLIC = "public"
GONE = "gone"


@dataclass(frozen=True)
class StoredModel:
    """The stored values of a model that the decision reads (the columns of the same names)."""

    first_seen_public_at: datetime | None = None
    visibility: str = PUBLIC
    hub_extra: Mapping[str, Any] = field(default_factory=dict)
    release_at: datetime | None = None
    release_at_source: str | None = None
    release_at_precision: str = "second"
    release_source_detail: str | None = None
    release_confidence: str | None = None
    release_times: Mapping[str, Any] = field(default_factory=dict)
    architectures: list[str] = field(default_factory=list)
    model_type: str | None = None
    parameters: int | None = None
    gated: str | None = None
    base_models: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    library_name: str | None = None
    pipeline_tag: str | None = None
    is_derivative: bool = False
    downloads: int = 0
    likes: int = 0
    demand_read_at: datetime | None = None

    @property
    def release(self) -> ReleaseTime | None:
        return chosen_release_time(self)


NOT_STORED = StoredModel()
"""What a model not stored yet starts from."""

# The stored values whose change makes a listing count as an update (the rest is detail, e.g. the sha).
_TRACKED = (
    "architectures",
    "model_type",
    "parameters",
    "gated",
    "base_models",
    "tags",
    "library_name",
    "pipeline_tag",
    "visibility",
    "release_at",
    "release_at_source",
    "is_derivative",
)


@dataclass(frozen=True)
class ModelUpdate:
    """The column values to write for one Hub model, and whether any value that counts changed."""

    values: dict[str, Any]
    changed: bool
    public_again: bool = False
    """The stored model was gone (deleted or private) and the Hub lists it again."""


def decide_model_update(
    existing: StoredModel | None,
    listing: HubModel,
    now: datetime,
    *,
    seen_turning_public: bool,
    seen_at: datetime | None = None,
) -> ModelUpdate:
    """The values ``listing`` (the Hub's view) gives a stored model (``existing``; None: not stored yet).

    ``seen_turning_public`` says the caller saw this repo become public (at ``now``, the poller); a
    webhook saying so passes its receipt time as ``seen_at``. Only a first sighting (or one earlier than
    the first) sets a release time: a repo public again after private or deleted is no new release.
    """
    current = existing or NOT_STORED
    verdict = classify(listing.repo_id, listing.base_models, listing.tags, listing.library_name)
    extra = dict(current.hub_extra or {})
    extra.update(
        sha=listing.sha,
        last_modified=listing.last_modified.isoformat() if listing.last_modified else None,
        quant_method=listing.quant_method,
        auto_map_now=listing.auto_map,
        parameters_by_dtype=dict(listing.parameters_by_dtype),
        base_model_relations=[list(pair) for pair in listing.base_models],
    )
    if listing.problems:
        extra["problems"] = list(listing.problems)
    values: dict[str, Any] = {
        "created_at": listing.created_at,
        "architectures": list(listing.architectures),
        "model_type": listing.model_type,
        "parameters": listing.parameters,
        "gated": listing.gated,
        "base_models": list(listing.base_model_ids),
        "tags": list(listing.tags),
        "library_name": listing.library_name,
        "pipeline_tag": listing.pipeline_tag,
        "is_derivative": verdict.is_derivative,
        "derivative_reason": verdict.reason,
        "hub_extra": extra,
    }
    values.update(demand_values(current, listing, now))
    public_again = current.visibility != PUBLIC
    if public_again:
        values.update(visibility=PUBLIC, gone_at=None)

    # Every source's time is kept; the best-ranked one is the release time (releases/rules.py ranks them).
    times = seeded_release_times(current.release_times, current.release)
    before = dict(times)
    if current.first_seen_public_at is None:
        seen = seen_at or now
        values["first_seen_public_at"] = seen
        # Remote code "at launch": what the repo needed when we first saw it public, kept afterwards.
        values["uses_remote_code"] = listing.auto_map
        sighting = (
            webhook_release_time(seen_at)
            if seen_at is not None
            else poll_release_time(listing.created_at, seen_turning_public=seen_turning_public, now=seen)
        )
        times = record_release_time(times, sighting)
    elif seen_at is not None and seen_at < current.first_seen_public_at:
        # A webhook processed after the poller had seen the repo: the earlier sighting wins. A sighting
        # later than the first one is the repo turning public again (after private or deleted), no release.
        values["first_seen_public_at"] = seen_at
        times = record_release_time(times, webhook_release_time(seen_at))
    if listing.created_at is not None:
        # Kept under its own (lowest) rank, so it is the release time only while nothing better is known;
        # the Hub alone can refine it.
        times = record_release_time(times, created_at_estimate(listing.created_at))
    if times and (times != before or not current.release_times):
        values.update(release_values(times))

    imported = extra.get("imported")
    if isinstance(imported, dict):
        values["release_conflict"] = import_conflicts(
            imported.get("architecture"),
            imported.get("model_type"),
            _parse_iso(imported.get("release_at")),
            listing.architectures,
            listing.model_type,
            listing.created_at,
        )
    changed = any(values.get(name, getattr(current, name)) != getattr(current, name) for name in _TRACKED)
    return ModelUpdate(values, changed, public_again)


DEMAND_REFRESH = timedelta(hours=1)
"""Stored demand older than this is written again even when unchanged (a fresh ``demand_read_at``)."""
DEMAND_NOISE = 0.01
"""A figure that moved less than this share since the stored read is not worth a write sooner."""


def demand_values(current: StoredModel, listing: HubModel, now: datetime) -> dict[str, Any]:
    """Downloads and likes to write, with the time they were read (``now``): when a figure moved by more
    than ``DEMAND_NOISE``, or the stored read is older than ``DEMAND_REFRESH`` (or there is none). An item
    without the figures leaves the stored ones alone. Never tracked: a new download count is no change to
    the release and refreshes no gap; and a cycle with nothing new writes nothing within the hour."""
    read = {"downloads": listing.downloads, "likes": listing.likes}
    read = {name: value for name, value in read.items() if value is not None}
    if not read:
        return {}
    stale = current.demand_read_at is None or now - current.demand_read_at >= DEMAND_REFRESH
    moved = any(
        abs(value - getattr(current, name)) > DEMAND_NOISE * max(getattr(current, name), 1)
        for name, value in read.items()
    )
    return {**read, "demand_read_at": now} if stale or moved else {}


def _parse_iso(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None

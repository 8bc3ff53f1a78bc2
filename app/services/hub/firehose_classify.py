"""What the firehose read, classified in creation order, oldest first (docs/hub.md, "The firehose").

Each repository is compared with everything created before it, so a base is known before its fine-tunes:

- a repository of a watched publisher is stored as that publisher's poll would store it (and counted on its
  base when it is a derivative: a watched org's quantisation of another's release);
- a derivative (fine-tune, quantisation, adapter, merge of a stored model) is counted on its base release
  (``derivative_sightings``, ``models.derivatives``), never stored;
- an original whose architecture or model type is new (the novelty rule, ``app/services/gaps/novelty.py``:
  no earlier known release of another family carries it, no runtime merged it longer ago than the
  early-access window) becomes a release of its publisher, which is discovered (watched from then on);
- anything else (a known architecture uploaded by someone nobody watches) is no release: nothing is kept.

Every step is idempotent: a repository read twice (the listings overlap at their cursors, a resumed pass)
is matched by its ``_id``, and a derivative counts once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.upsert import insert_ignoring_conflicts
from app.domain.vocabulary import KeyKind
from app.models import DerivativeSighting, Model, Publisher
from app.services.gaps.decide import DEFAULT_EARLY_ACCESS_WINDOW, Release
from app.services.gaps.novelty import KeyNovelty, load_key_novelty
from app.services.hub.apply import apply_hub_model
from app.services.releases.demand import count_derivatives
from app.services.releases.publishers import discover_publisher
from app.services.releases.rules import classify
from app.sources.hub import HubModel


@dataclass
class Classified:
    """What classifying a batch did."""

    releases: list[str] = field(default_factory=list)
    """Repo ids of the new releases of publishers nobody watched (each discovered one's first)."""
    discovered: list[str] = field(default_factory=list)
    watched_models: int = 0
    """Repositories of watched publishers stored (new or updated)."""
    derivatives: int = 0
    """Derivatives counted on a stored base for the first time."""
    ignored: int = 0
    changed: bool = False


class Classifier:
    """Classifies batches of listing items, oldest first, with what is known loaded once per run."""

    def __init__(
        self, session: Session, now: datetime, *, window: timedelta = DEFAULT_EARLY_ACCESS_WINDOW
    ) -> None:
        self.session = session
        self.now = now
        self.window = window
        self._novelty: KeyNovelty | None = None
        self._publishers: dict[str, Publisher] | None = None
        self.report = Classified()
        self._counted: set[int] = set()
        self._sightings: dict[str, dict[str, object]] = {}

    @property
    def novelty(self) -> KeyNovelty:
        """What is known (every stored release, the earliest merged support per key), read at first use: a
        cycle with nothing to classify reads none of it."""
        if self._novelty is None:
            self._novelty = load_key_novelty(self.session, window=self.window)
        return self._novelty

    @property
    def publishers(self) -> dict[str, Publisher]:
        if self._publishers is None:
            rows = self.session.execute(select(Publisher)).scalars()
            self._publishers = {p.hub_org.lower(): p for p in rows}
        return self._publishers

    def classify_batch(self, hubs: Sequence[HubModel], *, observed: bool) -> None:
        """Classify ``hubs`` (oldest first). ``observed``: the listing saw each one turn public since its
        cursor (release time: now); False on the first, backfilling pass (release time: ``createdAt``)."""
        bases = self._base_rows(hubs)
        for hub in hubs:
            if hub.private:
                continue
            publisher = self.publishers.get(hub.org.lower())
            verdict = classify(hub.repo_id, hub.base_models, hub.tags, hub.library_name)
            if publisher is not None and publisher.watched:
                outcome = apply_hub_model(
                    self.session, hub, publisher, self.now, seen_turning_public=observed
                )
                self._know(hub, bases)
                if outcome != "unchanged":
                    self.report.watched_models += 1
                    self.report.changed = True
                if verdict.is_derivative:  # stored (its publisher is watched) and counted on its base too
                    self._count_derivative(hub, verdict.kind, bases)
                continue
            if verdict.is_derivative:
                self._count_derivative(hub, verdict.kind, bases)
                continue
            reason = self._new_keys(hub)
            if reason is None or (publisher is not None and publisher.unwatched_by_operator):
                self.report.ignored += 1
                continue
            found = discover_publisher(
                self.session, hub.org, release=hub.repo_id, reason=reason, now=self.now
            )
            if found is None:
                self.report.ignored += 1
                continue
            if publisher is None or not publisher.watched:
                self.report.discovered.append(found.hub_org)
            self.publishers[found.hub_org.lower()] = found
            apply_hub_model(self.session, hub, found, self.now, seen_turning_public=observed)
            self._know(hub, bases)
            self.report.releases.append(hub.repo_id)
            self.report.changed = True
        self._store_sightings()

    def finish(self) -> Classified:
        """Count the derivatives of every base that gained one; the caller commits."""
        if self._counted:
            count_derivatives(self.session, self._counted)
            self.report.changed = True
        return self.report

    # -- steps ------------------------------------------------------------------------------------------

    def _new_keys(self, hub: HubModel) -> str | None:
        """What is new about ``hub`` (its architecture, its model type), or None when nothing is."""
        new = [
            f"new {label} {key}"
            for kind, label, key in (
                (KeyKind.ARCHITECTURE, "architecture", hub.architectures[0] if hub.architectures else None),
                (KeyKind.MODEL_TYPE, "model type", hub.model_type),
            )
            # Its own family: a row stored for this very repository is no earlier release of it.
            if key and self.novelty.is_new_at(kind, key, hub.created_at, hub.repo_id)
        ]
        return "; ".join(new) or None

    def _know(self, hub: HubModel, bases: dict[str, int]) -> None:
        """Later repositories of this run are compared with ``hub`` (created before them), and its
        derivatives count on it."""
        stored = self.session.scalar(select(Model.id).where(Model.hub_id == hub.hub_id))
        if stored is not None:
            bases[hub.repo_id] = stored
        keys: dict[str, str] = {}
        if hub.architectures:
            keys[KeyKind.ARCHITECTURE] = hub.architectures[0]
        if hub.model_type:
            keys[KeyKind.MODEL_TYPE] = hub.model_type
        if keys:
            self.novelty.add(
                Release(
                    model_id=0,
                    repo_id=hub.repo_id,
                    publisher=hub.org,
                    release_at=hub.created_at,
                    release_precision="second",
                    keys=keys,
                )
            )

    def _base_rows(self, hubs: Iterable[HubModel]) -> dict[str, int]:
        """Stored models (by repo id) the batch's derivatives may name as base, and the base release of
        derivatives counted before (a derivative of a derivative counts on the first one's base)."""
        names = {repo for hub in hubs for _, repo in hub.base_models}
        found: dict[str, int] = {}
        ordered = sorted(names)
        for start in range(0, len(ordered), 400):
            chunk = ordered[start : start + 400]
            for repo_id, model_id in self.session.execute(
                select(Model.repo_id, Model.id).where(Model.repo_id.in_(chunk))
            ):
                found[repo_id] = model_id
            # A counted derivative (stored too when its publisher is watched) stands for its base.
            for repo_id, model_id in self.session.execute(
                select(DerivativeSighting.repo_id, DerivativeSighting.base_model_id).where(
                    DerivativeSighting.repo_id.in_(chunk)
                )
            ):
                found[repo_id] = model_id
        return found

    def _count_derivative(self, hub: HubModel, kind: str, bases: dict[str, int]) -> None:
        foreign = [repo for _, repo in hub.base_models if repo.split("/", 1)[0].lower() != hub.org.lower()]
        base_id = next((bases[repo] for repo in foreign if repo in bases), None)
        if base_id is None:
            self.report.ignored += 1  # a derivative of something no release stands behind
            return
        bases[hub.repo_id] = base_id  # its own derivatives, later in this batch, count on the same base
        self._sightings[hub.hub_id] = {
            "hub_id": hub.hub_id,
            "repo_id": hub.repo_id,
            "base_model_id": base_id,
            "kind": kind[:16],
            "seen_at": self.now,
        }

    def _store_sightings(self) -> None:
        """Insert the batch's derivative sightings not stored yet, in one statement per 400 (a repository
        read again, by either listing, is counted once)."""
        pending = list(self._sightings.values())
        self._sightings.clear()
        for start in range(0, len(pending), 400):
            chunk = pending[start : start + 400]
            known = set(
                self.session.scalars(
                    select(DerivativeSighting.hub_id).where(
                        DerivativeSighting.hub_id.in_([row["hub_id"] for row in chunk])
                    )
                )
            )
            new = [row for row in chunk if row["hub_id"] not in known]
            insert_ignoring_conflicts(
                self.session,
                DerivativeSighting.__table__,  # type: ignore[arg-type]
                new,
                ["hub_id"],
                bulk=True,
            )
            self.report.derivatives += len(new)
            self._counted.update(row["base_model_id"] for row in new)

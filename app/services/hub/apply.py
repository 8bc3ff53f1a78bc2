"""Writing what the Hub says into the ``models`` table: match each listed model to its row (by ``hub_id``,
else an imported row by ``repo_id``), follow renames, let ``decide.py`` say what changes, write it.

Also here: marking a model gone. Release times are kept and ranked by ``app/services/releases/store.py``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session

from app.models.model import Model
from app.models.publisher import Publisher
from app.services.hub.decide import GONE, NOT_STORED, StoredModel, decide_model_update
from app.services.releases.rules import (
    ReleaseTime,
    seeded_release_times,
)
from app.services.releases.store import set_release_time
from app.sources.hub import HubModel

log = logging.getLogger(__name__)

_IN_CHUNK = 400
"""Ids per ``IN`` list when loading rows: far below SQLite's and PostgreSQL's bound-parameter limits."""


class _RowIndex:
    """The rows a batch may touch, by ``hub_id`` and by ``repo_id``, kept in step as rows are added,
    renamed and deleted so later models of the same batch see earlier ones' effects without a query."""

    def __init__(self) -> None:
        self.by_hub: dict[str, Model] = {}
        self.by_repo: dict[str, Model] = {}

    def add(self, row: Model) -> None:
        if row.hub_id is not None:
            self.by_hub[row.hub_id] = row
        self.by_repo[row.repo_id] = row

    def set_repo_id(self, row: Model, repo_id: str) -> None:
        if self.by_repo.get(row.repo_id) is row:
            del self.by_repo[row.repo_id]
        row.repo_id = repo_id
        self.by_repo[repo_id] = row

    def remove(self, row: Model) -> None:
        if self.by_repo.get(row.repo_id) is row:
            del self.by_repo[row.repo_id]
        if row.hub_id is not None and self.by_hub.get(row.hub_id) is row:
            del self.by_hub[row.hub_id]


def _load_index(session: Session, hubs: Sequence[HubModel], publisher: Publisher | None) -> _RowIndex:
    """Every row ``hubs`` may touch: the publisher's rows in one query, then, by ``IN`` lists, any other
    row holding a listed ``hub_id`` (a repo moved in from another org) or a listed ``repo_id`` (an
    imported row without ``hub_id``, or a name left behind by a repo that was deleted or moved away).

    On a cycle with no changes the second query is not even sent: the publisher's rows hold every id.
    """
    index = _RowIndex()
    if publisher is not None and publisher.id is not None:
        for row in session.execute(select(Model).where(Model.publisher_id == publisher.id)).scalars():
            index.add(row)
    hub_ids = list(dict.fromkeys(h.hub_id for h in hubs if h.hub_id not in index.by_hub))
    repo_ids = list(dict.fromkeys(h.repo_id for h in hubs if h.repo_id not in index.by_repo))
    for start in range(0, max(len(hub_ids), len(repo_ids)), _IN_CHUNK):
        hub_chunk, repo_chunk = hub_ids[start : start + _IN_CHUNK], repo_ids[start : start + _IN_CHUNK]
        query = select(Model).where(or_(Model.hub_id.in_(hub_chunk), Model.repo_id.in_(repo_chunk)))
        for row in session.execute(query).scalars():
            index.add(row)
    return index


def _free_repo_id(
    session: Session, index: _RowIndex, repo_id: str, keeper: Model | None, now: datetime
) -> None:
    """Make ``repo_id`` available to ``keeper``: the Hub says that name is now ``keeper``'s repo."""
    other = index.by_repo.get(repo_id)
    if other is None or other is keeper:
        return
    if other.hub_id is None and keeper is not None:
        # An imported placeholder for this very repo: fold its release times into the Hub row.
        for source, record in seeded_release_times(other.release_times, _stored(other).release).items():
            set_release_time(keeper, ReleaseTime.from_record(source, record))
        keeper.hub_extra = {
            **(keeper.hub_extra or {}),
            **{k: v for k, v in (other.hub_extra or {}).items() if k == "imported"},
        }
        index.remove(other)
        session.delete(other)
    else:
        # The name belonged to another repo (deleted, or moved away); keep it, under a name that says so.
        index.set_repo_id(other, f"{repo_id}#{other.hub_id}")
        if other.visibility != GONE:
            other.visibility = GONE
            other.gone_at = now
    # The unique repo_id must be free in the database before the keeper's INSERT or UPDATE is flushed.
    session.flush()


def apply_hub_model(
    session: Session,
    hub: HubModel,
    publisher: Publisher | None,
    now: datetime,
    *,
    seen_turning_public: bool,
    seen_at: datetime | None = None,
) -> str:
    """Insert or update the row for ``hub``; returns ``new``, ``renamed``, ``updated`` or ``unchanged``.

    Matched by ``hub_id``, else by ``repo_id`` for a row that has no ``hub_id`` yet (imported from facts).
    ``seen_turning_public`` says the caller saw this repo become public (at ``now``, the poller); a
    webhook saying so passes its receipt time as ``seen_at``. Only a first sighting (or one earlier than
    the first) sets a release time: a repo public again after private or deleted is no new release.
    """
    index = _load_index(session, [hub], None)
    outcome = _apply(session, index, hub, publisher, now, seen_turning_public, seen_at, None)
    session.flush()
    return outcome


def apply_hub_models(
    session: Session,
    hubs: Sequence[HubModel],
    publisher: Publisher,
    now: datetime,
    *,
    seen_turning_public: bool,
) -> Counter[str]:
    """``apply_hub_model`` for one publisher's listing, in a few queries: its rows are loaded at once and
    matched in memory, changes flushed once, new rows inserted together at the end. Returns how many
    models had each outcome."""
    index = _load_index(session, hubs, publisher)
    outcomes: Counter[str] = Counter()
    new_rows: list[Model] = []
    for hub in hubs:
        outcomes[_apply(session, index, hub, publisher, now, seen_turning_public, None, new_rows)] += 1
    session.flush()
    _insert_new_rows(session, new_rows)
    return outcomes


_MODEL_COLUMNS = tuple((attr.key, attr.columns[0].name) for attr in Model.__mapper__.column_attrs)


def _insert_new_rows(session: Session, rows: Sequence[Model]) -> None:
    """INSERT the batch's new rows in one executemany, after every UPDATE of the batch (renames that
    freed a name a new row takes are already in the database).

    Core rather than ``session.add``: the ORM needs each new id back (RETURNING), which makes both
    dialects render one huge multi-row statement that psycopg re-parses per page; without RETURNING,
    psycopg pipelines one cached single-row statement. Nothing in this cycle needs the new objects.
    """
    if not rows:
        return
    values = [
        {column: row.__dict__.get(key) for key, column in _MODEL_COLUMNS if key != "id"} for row in rows
    ]
    session.execute(insert(Model.__table__), values)


def _apply(
    session: Session,
    index: _RowIndex,
    hub: HubModel,
    publisher: Publisher | None,
    now: datetime,
    seen_turning_public: bool,
    seen_at: datetime | None,
    new_rows: list[Model] | None,
) -> str:
    """Apply one Hub model; a new row goes to ``new_rows`` for the caller to insert, or (None) is added
    to the session."""
    row = index.by_hub.get(hub.hub_id)
    if row is None:
        candidate = index.by_repo.get(hub.repo_id)
        if candidate is not None and candidate.hub_id is None:
            row = candidate
    outcome = "updated"
    existing: StoredModel | None = None
    if row is None:
        _free_repo_id(session, index, hub.repo_id, keeper=None, now=now)
        row = _new_row(hub)
        if new_rows is None:
            session.add(row)
        else:
            new_rows.append(row)
        index.add(row)
        outcome = "new"
    else:
        if row.repo_id != hub.repo_id:
            _free_repo_id(session, index, hub.repo_id, keeper=row, now=now)
            log.info("Hub repo %s renamed to %s", row.repo_id, hub.repo_id)
            index.set_repo_id(row, hub.repo_id)
            # Flushed at once: a later model of this batch may take the old name (an INSERT, or an UPDATE
            # flushed in primary-key order), and the unique repo_id must not see both at the same time.
            session.flush()
            outcome = "renamed"
        existing = _stored(row)

    update = decide_model_update(existing, hub, now, seen_turning_public=seen_turning_public, seen_at=seen_at)
    if update.public_again:
        log.info("Hub repo %s is public again", hub.repo_id)
    publisher_changed = publisher is not None and row.publisher_id != publisher.id
    if row.hub_id != hub.hub_id:
        row.hub_id = hub.hub_id
        index.add(row)
    if publisher is not None:
        row.publisher_id = publisher.id
    for name, value in update.values.items():
        setattr(row, name, value)
    if outcome == "updated" and not update.changed and not publisher_changed:
        outcome = "unchanged"
    return outcome


_STORED_FIELDS = tuple(item.name for item in dataclasses.fields(StoredModel))


def _stored(row: Model) -> StoredModel:
    return StoredModel(**{name: getattr(row, name) for name in _STORED_FIELDS})


def _new_row(hub: HubModel) -> Model:
    """A row for a model not stored yet, holding what a stored model starts from."""
    start = {name: getattr(NOT_STORED, name) for name in _STORED_FIELDS}
    return Model(
        repo_id=hub.repo_id,
        hub_id=hub.hub_id,
        uses_remote_code=False,
        new_architecture=False,
        new_model_type=False,
        derivatives=0,
        **{**start, "hub_extra": {}, "release_times": {}, "architectures": [], "base_models": [], "tags": []},
    )


def mark_gone(session: Session, row: Model, now: datetime, why: str) -> bool:
    """Record that a repo is no longer public (deleted or private again); the row and its facts stay."""
    if row.visibility == GONE:
        return False
    log.info("Hub repo %s is gone: %s", row.repo_id, why)
    row.visibility = GONE
    row.gone_at = now
    row.hub_extra = {**(row.hub_extra or {}), "gone_reason": why}
    session.flush()
    return True

"""The one place a model's release time is written: every source's time kept by source, the best-ranked one
(``ReleaseSource``, ranked by ``rules.py``) copied to the model's ``release_*`` columns; and the release
families recomputed after release times change.

Hub apply (a sighting, a webhook, ``createdAt``), the release-facts import and the snapshot import all
write through ``set_release_time`` or ``fill_release_time``; none ranks sources by itself.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from app.domain.vocabulary import ReleaseSource
from app.models.model import Model
from app.models.publisher import Publisher
from app.services.releases.rules import (
    ReleaseCandidate,
    ReleaseTime,
    assign_families,
    chosen_release_time,
    record_release_time,
    release_values,
    seeded_release_times,
)


def set_release_time(row: Model, candidate: ReleaseTime) -> None:
    """Keep ``candidate`` among ``row``'s release times and make the best-ranked one its release time."""
    times = record_release_time(seeded_release_times(row.release_times, chosen_release_time(row)), candidate)
    for name, value in release_values(times).items():
        setattr(row, name, value)


def has_dated_release_time(row: Model) -> bool:
    """Whether ``row``'s release time states the release day (anything but the repo's ``createdAt``)."""
    return (
        row.release_at is not None
        and row.release_at_source is not None
        and ReleaseSource(row.release_at_source).dated
    )


def fill_release_time(row: Model, candidate: ReleaseTime) -> bool:
    """``set_release_time`` only when ``row`` has no dated release time yet (a snapshot's facts fill gaps,
    never add a second opinion to a model already dated here); returns whether it was set."""
    if has_dated_release_time(row):
        return False
    set_release_time(row, candidate)
    return True


def refresh_families(session: Session) -> int:
    """Recompute release families and new-architecture flags over every original of a watched publisher.

    Returns how many rows changed. Derivatives and models of unwatched publishers get no family.
    """
    rows = session.execute(
        select(
            Model.id,
            Model.repo_id,
            Model.architectures,
            Model.model_type,
            Model.release_at,
            Model.is_derivative,
            Model.family,
            Model.new_architecture,
            Model.new_model_type,
            Publisher.hub_org,
            Publisher.watched,
        ).join(Publisher, Model.publisher_id == Publisher.id, isouter=True)
    ).all()
    candidates = [
        ReleaseCandidate(
            id=r.id,
            repo_id=r.repo_id,
            org=r.hub_org or r.repo_id.split("/", 1)[0],
            architecture=(r.architectures or [None])[0],
            model_type=r.model_type,
            release_at=r.release_at,
        )
        for r in rows
        if not r.is_derivative and r.watched
    ]
    facts = assign_families(candidates)
    changes = []
    for r in rows:
        fact = facts.get(r.id)
        wanted = (fact.family, fact.new_architecture, fact.new_model_type) if fact else (None, False, False)
        if (r.family, bool(r.new_architecture), bool(r.new_model_type)) != wanted:
            changes.append({"row_id": r.id, "f": wanted[0], "na": wanted[1], "nt": wanted[2]})
    if changes:
        # One executemany instead of loading each ORM object: a first cycle changes every row.
        table = Model.__table__
        statement = (
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(family=bindparam("f"), new_architecture=bindparam("na"), new_model_type=bindparam("nt"))
        )
        session.execute(statement, changes)
        # Objects already loaded in this session must not keep (or later write back) the old values.
        for change in changes:
            loaded = session.identity_map.get(identity_key(Model, change["row_id"]))
            if loaded is not None:
                set_committed_value(loaded, "family", change["f"])
                set_committed_value(loaded, "new_architecture", change["na"])
                set_committed_value(loaded, "new_model_type", change["nt"])
    return len(changes)

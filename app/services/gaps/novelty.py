"""Key novelty: whether a release's key (architecture, model_type …) is new at that release — the rule that
decides which releases measure a launch and which support can be evidence of early access.

A key is new for a release family when nothing public shows it earlier (docs/concepts.md, "Key novelty"):

- no earlier known release of *another* family carries it, and
- no runtime merged support for it (``merged`` stage, any runtime) longer before the family's release than
  the early-access window (``LAUNCHGAP_EARLY_ACCESS_DAYS``, default 90): code that was public that long
  before the weights means the key was public already (Transformers had ``LlamaForCausalLM`` for a year
  before Llama 3), whereas code merged weeks before the weights is the early access being measured.

It is decided once per (release family, key kind, key), at the family's earliest release carrying the key,
and every gap row that uses the key carries the same answer. ``KeyNovelty`` is the pure rule over what is
known; ``load_key_novelty`` reads what is known from the database and ``key_is_new`` answers one question
(for a watcher classifying a model it has just seen).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.vocabulary import EventKind, Stage
from app.models import SupportEvent, SupportKey
from app.services.gaps.decide import DEFAULT_EARLY_ACCESS_WINDOW, KeyNovelty, Release
from app.services.gaps.load import load_releases
from app.services.gaps.matching import support_keys
from app.services.gaps.record import utc

__all__ = ["KeyNovelty", "earliest_merged_support", "key_is_new", "load_key_novelty"]


def earliest_merged_support(session: Session) -> dict[tuple[str, str], datetime]:
    """Per (key kind, key): the earliest non-retracted ``merged`` registration by any runtime (one query).

    A docs name is stored under each model it lists, normalised (``matching.support_keys``), as the gap
    decision looks it up."""
    rows = session.execute(
        select(SupportKey.key_kind, SupportKey.key, func.min(SupportEvent.at))
        .join(SupportKey, SupportEvent.support_key_id == SupportKey.id)
        .where(
            SupportEvent.stage == Stage.MERGED,
            SupportEvent.event == EventKind.ADDED,
            SupportEvent.retracted_at.is_(None),
        )
        .group_by(SupportKey.key_kind, SupportKey.key)
    ).all()
    earliest: dict[tuple[str, str], datetime] = {}
    for kind, key, at in rows:
        at = utc(at)
        for indexed in support_keys(kind, key):
            seen = earliest.get((kind, indexed))
            if seen is None or at < seen:
                earliest[(kind, indexed)] = at
    return earliest


def load_key_novelty(
    session: Session,
    *,
    window: timedelta = DEFAULT_EARLY_ACCESS_WINDOW,
    known: Iterable[Release] | None = None,
    merged: Mapping[tuple[str, str], datetime] | None = None,
) -> KeyNovelty:
    """The novelty rule over everything the database knows: every public model with a release time
    (``known``, when the caller has loaded them already) and the earliest merged support of each key."""
    if known is None:
        _originals, known = load_releases(session)
    if merged is None:
        merged = earliest_merged_support(session)
    return KeyNovelty(known, merged=merged, window=window)


def key_is_new(
    session: Session,
    *,
    kind: str,
    key: str,
    at: datetime,
    family: str | None = None,
    window: timedelta = DEFAULT_EARLY_ACCESS_WINDOW,
) -> bool:
    """Whether ``key`` (of ``kind``) is new for a release at ``at`` of release family ``family`` (its
    earliest member's repo id; None: a release of its own): no earlier known release of another family
    carries it, and no runtime merged it more than ``window`` before ``at``."""
    return load_key_novelty(session, window=window).is_new_at(kind, key, at, family)

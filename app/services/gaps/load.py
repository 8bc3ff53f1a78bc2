"""What the gap decision reads from the database: releases with their keys, and the earliest support.

Each loader reads plain columns in a fixed number of queries, whatever the number of releases or runtimes.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from app.domain.text import has_control_characters
from app.domain.vocabulary import KeyKind, ReleasePrecision, Stage
from app.models import KeyMapping, Model, Publisher, Runtime, SupportEvent, SupportKey
from app.services.csv_files import read_csv
from app.services.gaps.decide import CellCoverage, Release, SupportIndex, SupportPoint
from app.services.gaps.matching import NameMatcher, release_keys
from app.services.runtimes.stored_coverage import load_coverage
from app.sources.hub.types import MAX_KEY_CHARS


def load_gguf_table(session: Session) -> dict[str, str]:
    """HF architecture → GGUF architecture as llama.cpp's converter declared it at its last scan."""
    rows = session.execute(
        select(KeyMapping.from_key, KeyMapping.to_key).where(
            KeyMapping.from_kind == KeyKind.ARCHITECTURE, KeyMapping.to_kind == KeyKind.GGUF_ARCHITECTURE
        )
    ).all()
    return dict(rows)  # type: ignore[arg-type]


NAME_OVERRIDES = Path(__file__).resolve().parents[2] / "data" / "model_name_overrides.csv"


@lru_cache(maxsize=1)
def load_name_overrides(path: Path = NAME_OVERRIDES) -> dict[str, str]:
    """Manual docs-name matches (``repo_id,docs_name``; an empty name means "never matches")."""
    return {
        row["repo_id"]: row["docs_name"]
        for _line, row in read_csv(path, ("repo_id", "docs_name"), ValueError)
    }


def _usable_key(value: object) -> str | None:
    """A stored architecture or model type if it can key a gap row; None for one stored before the Hub's
    values were bounded (a model no longer listed keeps it): it must not fail every refresh."""
    if not isinstance(value, str) or len(value) > MAX_KEY_CHARS or has_control_characters(value):
        return None
    return value


def load_releases(session: Session) -> tuple[list[Release], list[Release]]:
    """(original releases, every known public model) with a release time, oldest first.

    Reads plain columns (not ORM objects) in one query: the gap pages read every model on each request.
    """
    doc_names = session.scalars(select(SupportKey.key).where(SupportKey.key_kind == KeyKind.MODEL_NAME)).all()
    names = NameMatcher(doc_names, load_name_overrides())
    gguf_table = load_gguf_table(session)
    rows = session.execute(
        select(
            Model.id,
            Model.repo_id,
            Publisher.hub_org,
            Model.release_at,
            Model.release_at_precision,
            Model.architectures,
            Model.model_type,
            Model.is_derivative,
            Model.family,
        )
        .outerjoin(Publisher, Model.publisher_id == Publisher.id)
        .where(Model.release_at.is_not(None))
        .order_by(Model.release_at, Model.repo_id)
    ).all()
    known: list[Release] = []
    originals: list[Release] = []
    for model_id, repo_id, org, release_at, precision, architectures, model_type, derivative, family in rows:
        keys = release_keys(
            repo_id=repo_id,
            architecture=_usable_key(architectures[0]) if architectures else None,
            model_type=_usable_key(model_type),
            names=names,
            gguf_table=gguf_table,
        )
        release = Release(
            model_id=model_id,
            repo_id=repo_id,
            publisher=org,
            release_at=release_at,
            release_precision=precision or ReleasePrecision.SECOND,
            keys=keys,
            family=family,
        )
        known.append(release)
        if not derivative:
            originals.append(release)
    return originals, known


def load_support_index(
    session: Session, stage: str, *, runtimes: Iterable[str] | None = None
) -> SupportIndex:
    """Earliest non-retracted ``added`` event per (runtime, key, SKU, branch) at ``stage``, with evidence
    (only ``runtimes``' events when given); at the ``released`` stage, also the earliest final release
    (``SupportIndex.final``). ``proposed`` reads the events of every stage that dates it
    (``Stage.event_stages``: a pull request, a branch or the default branch, whichever came first).

    The minimum is taken in SQL, so this reads one row per registration, not every event. A key removed later
    keeps its first support time (docs/concepts.md, "Support event"), so removals do not clear it here.
    """
    index = _earliest(session, stage, runtimes, final_only=False)
    if stage == Stage.RELEASED:
        index.final = _earliest(session, stage, runtimes, final_only=True)
    return index


def _earliest(
    session: Session, stage: str, runtimes: Iterable[str] | None, *, final_only: bool
) -> SupportIndex:
    live: tuple = (  # type: ignore[type-arg]
        SupportEvent.stage.in_(Stage(stage).event_stages),
        SupportEvent.event == "added",
        SupportEvent.retracted_at.is_(None),
    )
    if final_only:
        live = (*live, SupportEvent.is_prerelease.is_not(True))
    if runtimes is not None:
        names = select(Runtime.id).where(Runtime.name.in_(sorted(set(runtimes))))
        live = (*live, SupportEvent.runtime_id.in_(names.scalar_subquery()))
    first = (
        select(
            SupportEvent.runtime_id,
            SupportEvent.support_key_id,
            SupportEvent.sku,
            SupportEvent.branch,
            func.min(SupportEvent.at).label("first_at"),
        )
        .where(*live)
        .group_by(SupportEvent.runtime_id, SupportEvent.support_key_id, SupportEvent.sku, SupportEvent.branch)
        .subquery()
    )
    rows = session.execute(
        select(
            Runtime.name,
            SupportKey.key_kind,
            SupportKey.key,
            SupportEvent.sku,
            SupportEvent.branch,
            SupportEvent.at,
            SupportEvent.author_at,
            SupportEvent.commit,
            SupportEvent.tag,
            SupportEvent.evidence_url,
            SupportEvent.is_prerelease,
        )
        .join(
            first,
            and_(
                SupportEvent.runtime_id == first.c.runtime_id,
                SupportEvent.support_key_id == first.c.support_key_id,
                SupportEvent.sku == first.c.sku,
                SupportEvent.branch == first.c.branch,
                SupportEvent.at == first.c.first_at,
            ),
        )
        .join(Runtime, SupportEvent.runtime_id == Runtime.id)
        .join(SupportKey, SupportEvent.support_key_id == SupportKey.id)
        .where(*live)
        .order_by(SupportEvent.at, SupportEvent.id)
    ).all()
    index = SupportIndex()
    for runtime, kind, key, sku, branch, at, author_at, commit, tag, url, prerelease in rows:
        index.add(
            runtime,
            stage,
            kind,
            key,
            sku,
            branch,
            SupportPoint(at, author_at, commit or None, tag or None, url, prerelease),
        )
    return index


def load_gap_coverage(session: Session) -> dict[str, dict[str, CellCoverage]]:
    """Per stage, per runtime with a source for it: until when it is observed and where its source starts
    (one query). A runtime never observed has ``observed_until`` None."""
    by_stage: dict[str, dict[str, CellCoverage]] = {stage: {} for stage in Stage}
    for (runtime, stage), item in load_coverage(session).items():
        by_stage[stage][runtime] = CellCoverage(item.observed_until, item.coverage_start)
    return by_stage

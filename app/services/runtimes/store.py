"""Storing scanned (or imported) evidence: support keys and events inserted idempotently on their identity,
retractions after a force-push or a moved tag, the GGUF key mapping and version statements. The caller
commits.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.db.upsert import insert_ignoring_conflicts
from app.domain.rows import EventRow
from app.domain.runtime_spec import RuntimeSpec
from app.domain.vocabulary import Stage
from app.models.key_mapping import KeyMapping
from app.models.runtime import Runtime
from app.models.support import EVENT_IDENTITY, SupportEvent, SupportKey
from app.models.version_statement import VersionStatement
from app.services.runtimes.catalog_rows import sync_catalog
from app.sources.runtimes.catalog import VERSION_SOURCES
from app.sources.runtimes.scan_events import ScanEvent
from app.sources.runtimes.version_statements import StatedVersion

_CHUNK = 500


def store_version_statements(
    session: Session,
    spec: RuntimeSpec,
    statements: Sequence[StatedVersion],
    *,
    commit: str,
    now: datetime,
) -> None:
    """Replace ``spec``'s statements (minimum versions and images) with ``statements`` (read at ``commit``;
    the caller commits)."""
    source = VERSION_SOURCES[spec.name]
    existing = {
        (row.key, row.runtime, row.kind, row.vendor, row.variant): row
        for row in session.scalars(select(VersionStatement).where(VersionStatement.source == spec.name))
    }
    wanted: dict[tuple[str, str, str, str, str], StatedVersion] = {}
    for stated in statements:
        identity = (stated.key, source.of_runtime, stated.kind, stated.vendor or "", stated.variant or "")
        wanted.setdefault(identity, stated)
    for identity, row in existing.items():
        if identity not in wanted:
            session.delete(row)
    for identity, stated in wanted.items():
        key, runtime, kind, vendor, variant = identity
        values = {
            "value": stated.value,
            "commit": commit,
            "path": stated.path,
            "evidence_url": stated.evidence_url,
            "recorded_at": now,
        }
        row = existing.get(identity)
        if row is None:
            session.add(
                VersionStatement(
                    source=spec.name, key_kind=source.key_kind, key=key, runtime=runtime, kind=kind,
                    vendor=vendor, variant=variant, **values,
                )
            )  # fmt: skip
        elif (row.value, row.commit) != (stated.value, commit):
            for name, value in values.items():
                setattr(row, name, value)


def store_key_mapping(
    session: Session, source: str, mapping: dict[str, str], *, commit: str, now: datetime
) -> bool:
    """Replace ``source``'s HF architecture → GGUF architecture rows with ``mapping`` (the caller commits);
    True when a row was added, removed or changed."""
    existing = {
        row.from_key: row
        for row in session.execute(
            select(KeyMapping).where(
                KeyMapping.source == source,
                KeyMapping.from_kind == "architecture",
                KeyMapping.to_kind == "gguf_architecture",
            )
        ).scalars()
    }
    changed = False
    for architecture, row in existing.items():
        if architecture not in mapping:
            session.delete(row)
            changed = True
    for architecture, gguf in mapping.items():
        row = existing.get(architecture)
        changed = changed or row is None or row.to_key != gguf
        if row is None:
            session.add(
                KeyMapping(
                    source=source,
                    from_kind="architecture",
                    from_key=architecture,
                    to_kind="gguf_architecture",
                    to_key=gguf,
                    commit=commit,
                    recorded_at=now,
                )
            )
        elif (row.to_key, row.commit) != (gguf, commit):
            row.to_key, row.commit, row.recorded_at = gguf, commit, now
    return changed


def runtime_row_id(session: Session, name: str) -> int:
    runtime_id = session.execute(select(Runtime.id).where(Runtime.name == name)).scalar_one_or_none()
    if runtime_id is None:
        sync_catalog(session)
        runtime_id = session.execute(select(Runtime.id).where(Runtime.name == name)).scalar_one()
    return runtime_id


def support_key_ids(session: Session, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    rows = [{"key_kind": kind, "key": key} for kind, key in sorted(pairs)]
    for start in range(0, len(rows), _CHUNK):
        insert_ignoring_conflicts(
            session, SupportKey.__table__, rows[start : start + _CHUNK], ["key_kind", "key"]
        )  # type: ignore[arg-type]
    ids: dict[tuple[str, str], int] = {}
    by_kind: dict[str, list[str]] = {}
    for kind, key in pairs:
        by_kind.setdefault(kind, []).append(key)
    for kind, keys in by_kind.items():
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            result = session.execute(
                select(SupportKey.id, SupportKey.key).where(
                    SupportKey.key_kind == kind, SupportKey.key.in_(chunk)
                )
            )
            ids.update({(kind, key): key_id for key_id, key in result})
    return ids


# The columns an event brings as they are; its runtime, its key and when it was recorded are added.
_EVENT_COLUMNS = tuple(
    item.name
    for item in dataclasses.fields(EventRow)
    if item.name not in {"id", "runtime", "key_kind", "key", "retracted_at", "recorded_at"}
)


def event_rows(
    session: Session, events: Sequence[Any], runtime_id_of: Callable[[Any], int], now: datetime
) -> list[dict[str, Any]]:
    """``support_events`` rows for scanned or imported events (each names its key by kind and text; an
    imported one may carry its retraction time), their support keys created as needed."""
    key_ids = support_key_ids(session, {(e.key_kind, e.key) for e in events})
    return [
        {
            "runtime_id": runtime_id_of(e),
            "support_key_id": key_ids[(e.key_kind, e.key)],
            **{name: getattr(e, name) for name in _EVENT_COLUMNS},
            "retracted_at": getattr(e, "retracted_at", None),
            "recorded_at": now,
        }
        for e in events
    ]


def store_events(session: Session, runtime_id: int, events: Sequence[ScanEvent], now: datetime) -> int:
    """Insert events, ignoring ones already stored (same identity); returns how many were new."""
    if not events:
        return 0
    rows = event_rows(session, events, lambda _event: runtime_id, now)
    # Counted rather than taken from the driver's rowcount, which psycopg reports as 0 for
    # INSERT … ON CONFLICT DO NOTHING with many VALUES rows here.
    count = select(func.count()).select_from(SupportEvent).where(SupportEvent.runtime_id == runtime_id)
    before = session.scalar(count) or 0
    for start in range(0, len(rows), _CHUNK):
        insert_ignoring_conflicts(
            session, SupportEvent.__table__, rows[start : start + _CHUNK], EVENT_IDENTITY
        )  # type: ignore[arg-type]
    return (session.scalar(count) or 0) - before


def retract_vanished(
    session: Session,
    runtime_id: int,
    rewritten: dict[str, set[str]],
    vanished_tags: Mapping[str, str | None],
    now: datetime,
) -> int:
    """Mark events whose commit left a rewritten ref (or whose tag vanished or moved) as retracted; never
    delete."""
    ids: list[int] = []
    for branch, live in rewritten.items():
        rows = session.execute(
            select(SupportEvent.id, SupportEvent.commit).where(
                SupportEvent.runtime_id == runtime_id,
                SupportEvent.branch == branch,
                SupportEvent.retracted_at.is_(None),
            )
        )
        ids.extend(event_id for event_id, commit in rows if commit and commit not in live)
    # A deleted tag retracts all its released events; a moved one only those judged at its old target
    # (the new target's events were just stored under the same tag name).
    tags = sorted(vanished_tags.items())
    for start in range(0, len(tags), _CHUNK):
        chunk = dict(tags[start : start + _CHUNK])
        rows = session.execute(
            select(SupportEvent.id, SupportEvent.tag, SupportEvent.commit).where(
                SupportEvent.runtime_id == runtime_id,
                SupportEvent.stage == Stage.RELEASED,
                SupportEvent.tag.in_(list(chunk)),
                SupportEvent.retracted_at.is_(None),
            )
        )
        ids.extend(event_id for event_id, tag, commit in rows if commit != chunk[tag])
        # a tag moved back to a commit it once named: those events are true again
        for tag, target in chunk.items():
            if target is not None:
                session.execute(
                    update(SupportEvent)
                    .where(
                        SupportEvent.runtime_id == runtime_id,
                        SupportEvent.stage == Stage.RELEASED,
                        SupportEvent.tag == tag,
                        SupportEvent.commit == target,
                        SupportEvent.retracted_at.is_not(None),
                    )
                    .values(retracted_at=None)
                    .execution_options(synchronize_session=False)
                )
    for start in range(0, len(ids), _CHUNK):
        session.execute(
            update(SupportEvent)
            .where(SupportEvent.id.in_(ids[start : start + _CHUNK]))
            .values(retracted_at=now)
            .execution_options(synchronize_session=False)
        )
    return len(ids)

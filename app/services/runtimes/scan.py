"""Runtime support scanning as a service: mirror, scan incrementally, store events idempotently.

The scan engine (app/sources/runtimes/scanner.py) only reads git and returns typed events; this module
owns the database side: SupportKey/SupportEvent rows, retractions after a force-push, and the
SourceState cursor (kind ``runtime_repo``, one per runtime) that makes the next scan incremental.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.db.upsert import insert_ignoring_conflicts
from app.domain.runtime_spec import RuntimeSpec
from app.metrics import SCAN_DURATION, SCAN_EVENTS, SCAN_FAILURES
from app.models.key_mapping import KeyMapping
from app.models.runtime import Runtime
from app.models.support import EVENT_IDENTITY, SupportEvent, SupportKey
from app.models.version_statement import VersionStatement
from app.services.operations.source_state import RUNTIME_REPO, get_state, record_failure, record_success
from app.services.runtimes.catalog_rows import sync_catalog
from app.services.runtimes.stored_coverage import record_coverage
from app.sources.git.repo import GitError, GitRepo, is_url, open_repository
from app.sources.runtimes.audit import AuditRecorder
from app.sources.runtimes.catalog import CATALOG, VERSION_SOURCES, get_runtime, gguf_mapping_runtime
from app.sources.runtimes.coverage import StageCoverage, read_coverage
from app.sources.runtimes.scan_events import ScanError, ScanEvent, ScanOutcome, evidence_base
from app.sources.runtimes.scanner import Scanner
from app.sources.runtimes.verified_facts import VerifiedFact, load_facts
from app.sources.runtimes.version_statements import StatedVersion, read_version_statements

log = logging.getLogger(__name__)

__all__ = [
    "FactCheck", "ScanError", "ScanSummary", "collect_events",
    "declared_source", "event_rows", "get_runtime", "gguf_mapping", "runtimes_named", "scan_runtime",
    "store_events", "verify_facts",
]  # fmt: skip

_CHUNK = 500
AUDIT_CURSOR_KEY = "audit"
"""Where a source's scan cursor keeps the audit's resumable state."""


@dataclass
class ScanSummary:
    """What one scan did, for the CLI and the watcher's log."""

    runtime: str
    ref: str
    head: str
    events_found: int
    events_inserted: int
    retracted: int
    commits_walked: int
    versions_read: int
    head_at: datetime | None = None
    """Committer time of ``head`` (a local copy's cutoff)."""
    keys_by_signal: dict[str, int] = field(default_factory=dict)
    empty_signals: list[str] = field(default_factory=list)
    seconds: float = 0.0
    audit_findings: int = 0
    audit_unexplained: list[str] = field(default_factory=list)
    """Ids of the catalog audit's findings without a declared reason (see app/services/runtimes/catalog_audit.py)."""
    first_scan: bool = False
    """The source's first successful scan: its events are history (they date support, they do not notify)."""


def _source_key(repo: str | None) -> str:
    # Cursors are kept per source: scanning a local copy must not look like a rewrite of the remote.
    return "default" if repo is None else f"repo:{repo}"


def _open(
    spec: RuntimeSpec, data_dir: Path, repo: str | None, upstream: str | None = None
) -> tuple[GitRepo, str | None]:
    source = repo or spec.repo_url
    git = open_repository(source, data_dir, spec.name)
    # A declared copy (a snapshot source, LAUNCHGAP_RUNTIME_REPOS, ``scan --upstream``) shares its commits
    # and tags with its upstream, so evidence links point there; a URL with no upstream declared is its own.
    evidence = upstream or (source if is_url(source) else None)
    return git, evidence


def declared_source(spec: RuntimeSpec, runtime_repos: Mapping[str, str]) -> tuple[str | None, str | None]:
    """Where to read ``spec`` from and which upstream its evidence links name: a configured copy
    (``LAUNCHGAP_RUNTIME_REPOS``) is a copy of the catalog's repository; otherwise the catalog's URL."""
    repo = runtime_repos.get(spec.name)
    return (repo, spec.repo_url) if repo else (None, None)


class ScanReadings(NamedTuple):
    """What one scan returns: its outcome, then what was read at the scanned head."""

    outcome: ScanOutcome
    gguf: dict[str, str] | None
    head_at: datetime | None
    coverage: list[StageCoverage]
    statements: list[StatedVersion] | None


def _run_scan(
    spec: RuntimeSpec,
    *,
    data_dir: Path,
    repo: str | None,
    ref: str | None,
    cursor: dict[str, Any] | None,
    progress: Callable[[str], None] | None,
    upstream: str | None = None,
    audit: AuditRecorder | None = None,
    fetched_at: datetime | None = None,
    stages: Collection[str] | None = None,
) -> ScanReadings:
    """Scan, then read at the head: llama.cpp's GGUF mapping, the head's commit time, (with ``fetched_at``)
    what the scan covered, and the version statements."""
    try:
        git, evidence = _open(spec, data_dir, repo, upstream)
        with git:
            outcome = Scanner(spec, git, evidence_url=evidence, progress=progress, audit=audit).scan(
                ref=ref, cursor=cursor
            )
            mapping = _read_gguf_mapping(spec, git, outcome.head)
            head_at = git.commit_times(outcome.head)[0] if outcome.head else None
            coverage = []
            if fetched_at is not None and outcome.head:
                coverage = read_coverage(
                    spec,
                    git,
                    outcome.head,
                    source=repo or spec.repo_url,
                    fetched_at=fetched_at,
                    stages=stages,
                )
            statements = _read_statements(spec, git, outcome.head, evidence)
            return ScanReadings(outcome, mapping, head_at, coverage, statements)
    except GitError as exc:
        raise ScanError(f"{spec.name}: {exc}") from exc


def _read_gguf_mapping(spec: RuntimeSpec, git: GitRepo, head: str | None) -> dict[str, str] | None:
    """The GGUF mapping at the scanned head (None for runtimes that define none, or when it cannot be read)."""
    if not spec.defines_gguf_mapping or not head:
        return None
    from app.sources.runtimes.gguf import read_mapping

    try:
        return read_mapping(git, head)
    except GitError as exc:  # the events are still right; the mapping waits for the next scan
        log.warning("llama.cpp GGUF mapping not read at %s: %s", head[:12], exc)
        return None


def _read_statements(
    spec: RuntimeSpec, git: GitRepo, head: str | None, evidence: str | None
) -> list[StatedVersion] | None:
    """The version statements at the scanned head (None: the runtime states none, or they cannot be read)."""
    source = VERSION_SOURCES.get(spec.name)
    if source is None or not head:
        return None
    try:
        return read_version_statements(git, head, source, evidence_base(evidence))
    except GitError as exc:  # the events are still right; the statements wait for the next scan
        log.warning("%s version statements not read at %s: %s", spec.name, head[:12], exc)
        return None


def store_version_statements(
    session: Session,
    spec: RuntimeSpec,
    statements: Sequence[StatedVersion],
    *,
    commit: str,
    now: datetime,
) -> None:
    """Replace ``spec``'s version statements with ``statements`` (read at ``commit``; the caller commits)."""
    source = VERSION_SOURCES[spec.name]
    existing = {
        (row.key, row.runtime): row
        for row in session.scalars(select(VersionStatement).where(VersionStatement.source == spec.name))
    }
    wanted = {(s.key, source.of_runtime): s for s in statements}
    for identity, row in existing.items():
        if identity not in wanted:
            session.delete(row)
    for (key, runtime), stated in wanted.items():
        values = {
            "min_version": stated.min_version,
            "commit": commit,
            "path": stated.path,
            "evidence_url": stated.evidence_url,
            "recorded_at": now,
        }
        row = existing.get((key, runtime))
        if row is None:
            session.add(
                VersionStatement(
                    source=spec.name, key_kind=source.key_kind, key=key, runtime=runtime, **values
                )
            )
        elif (row.min_version, row.commit) != (stated.min_version, commit):
            for name, value in values.items():
                setattr(row, name, value)


def store_key_mapping(
    session: Session, source: str, mapping: dict[str, str], *, commit: str, now: datetime
) -> None:
    """Replace ``source``'s HF architecture → GGUF architecture rows with ``mapping`` (the caller commits)."""
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
    for architecture, row in existing.items():
        if architecture not in mapping:
            session.delete(row)
    for architecture, gguf in mapping.items():
        row = existing.get(architecture)
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


def runtimes_named(name: str | None) -> list[RuntimeSpec]:
    """The catalog runtime called ``name``, or every one (None); ``UnknownRuntimeError`` for another name."""
    return list(CATALOG.values()) if name is None else [get_runtime(name)]


def collect_events(
    spec: RuntimeSpec,
    *,
    data_dir: Path,
    repo: str | None = None,
    ref: str | None = None,
    progress: Callable[[str], None] | None = None,
    upstream: str | None = None,
) -> list[ScanEvent]:
    """A full scan that stores nothing (``launchgap scan --json``): every event, oldest first."""
    outcome = _run_scan(
        spec, data_dir=data_dir, repo=repo, ref=ref, cursor=None, progress=progress, upstream=upstream
    ).outcome
    return sorted(outcome.events, key=lambda e: (e.at, e.stage, e.key))


def _runtime_id(session: Session, name: str) -> int:
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
_EVENT_COLUMNS = (
    "stage", "event", "at", "author_at", "commit", "tag", "branch", "sku", "signal", "pr_number",
    "is_prerelease", "evidence_url", "provenance", "confidence",
)  # fmt: skip


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


def _retract(
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
                SupportEvent.stage == "released",
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
                        SupportEvent.stage == "released",
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


def scan_runtime(
    session: Session,
    spec: RuntimeSpec,
    *,
    data_dir: Path,
    repo: str | None = None,
    ref: str | None = None,
    now: datetime,
    progress: Callable[[str], None] | None = None,
    interval: timedelta = timedelta(minutes=15),
    retry_after: timedelta = timedelta(minutes=5),
    upstream: str | None = None,
    stages: Collection[str] | None = None,
    one_off: bool = False,
) -> ScanSummary:
    """Mirror/update ``spec``'s repository (or ``repo``), scan what is new since the last scan, store it.

    ``upstream``: the repository ``repo`` is a copy of (evidence links name it). ``stages``: keep only
    events of these stages (a fork carries upstream's tags but its own branches and merge dates).

    Events are inserted idempotently; events whose commits vanished after a force-push are marked
    retracted. On any failure nothing of this scan is kept (a savepoint is rolled back), the failure is
    recorded on the runtime's SourceState, and ``ScanError`` is raised. The caller commits.

    ``one_off``: a scan of another copy than the configured source (``launchgap scan RUNTIME --repo PATH``).
    What it found is stored and its cursor kept (per source), but the configured source's health — status,
    error, next check — is left alone: a typo'd path is the operator's mistake, not the server's failure.
    """
    started = time.perf_counter()
    state = get_state(session, RUNTIME_REPO, spec.name)
    cursors: dict[str, Any] = dict(state.cursor or {})
    source_key = _source_key(repo)
    previous: dict[str, Any] = cursors.get(source_key) or {}
    # The audit rides on this scan's walk and resumes from where the last scan left it.
    recorder = AuditRecorder(spec, copy.deepcopy(previous.get(AUDIT_CURSOR_KEY)))
    try:
        with session.begin_nested():
            runtime_id = _runtime_id(session, spec.name)
            outcome, gguf, head_at, coverage, statements = _run_scan(
                spec, data_dir=data_dir, repo=repo, ref=ref, cursor=previous or None, progress=progress,
                upstream=upstream, audit=recorder, fetched_at=now, stages=stages,
            )  # fmt: skip
            if stages is not None:
                outcome.events = [e for e in outcome.events if e.stage in stages]
            inserted = store_events(session, runtime_id, outcome.events, now)
            # A scan of another ref than the default branch says nothing about what the runtime ships.
            if ref in (None, spec.default_branch):
                record_coverage(session, spec.name, coverage, now=now)
            if gguf and outcome.head:
                store_key_mapping(session, spec.name, gguf, commit=outcome.head, now=now)
            if statements is not None and outcome.head:
                store_version_statements(session, spec, statements, commit=outcome.head, now=now)
            retracted = _retract(session, runtime_id, outcome.rewritten_refs, outcome.vanished_tags, now)
    except ScanError as exc:
        SCAN_FAILURES.labels(runtime=spec.name).inc()
        if not one_off:
            record_failure(session, state, now, str(exc), now + retry_after)
            session.flush()
        raise
    except Exception as exc:  # a database error: same contract, nothing partial, failure recorded
        SCAN_FAILURES.labels(runtime=spec.name).inc()
        if not one_off:
            record_failure(
                session, state, now, f"{spec.name}: {type(exc).__name__}: {exc}", now + retry_after
            )
            session.flush()
        raise ScanError(f"{spec.name}: {type(exc).__name__}: {exc}") from exc
    report = recorder.report(commits_walked=outcome.commits_walked)
    first_scan = cursors.get(source_key) is None
    cursors[source_key] = {**outcome.cursor, AUDIT_CURSOR_KEY: recorder.state}
    state.audit = {**report.as_json(), "audited_at": now.isoformat(), "source": source_key}
    if one_off:
        state.cursor = cursors
    else:
        record_success(session, state, now, now + interval, cursor=cursors)
    session.flush()
    seconds = time.perf_counter() - started
    SCAN_DURATION.labels(runtime=spec.name).observe(seconds)
    SCAN_EVENTS.labels(runtime=spec.name).inc(inserted)
    return ScanSummary(
        runtime=spec.name,
        ref=ref or spec.default_branch,
        head=outcome.head,
        events_found=len(outcome.events),
        events_inserted=inserted,
        retracted=retracted,
        commits_walked=outcome.commits_walked,
        versions_read=outcome.versions_read,
        head_at=head_at,
        keys_by_signal=outcome.facts_by_signal,
        empty_signals=outcome.empty_signals,
        seconds=seconds,
        audit_findings=len(report.findings),
        audit_unexplained=[f.id for f in report.unexplained],
        first_scan=first_scan,
    )


@dataclass(frozen=True)
class FactCheck:
    """One hand-checked fact compared with what the scanner finds in a real history."""

    fact: VerifiedFact
    ok: bool
    found_commit: str | None
    found_at: datetime | None
    found_tag: str | None
    message: str
    checked: bool = True
    """False when the copy lacks the head the fact was checked on (another history): ``ok`` is then
    meaningless and the fact counts neither way."""


def verify_facts(
    spec: RuntimeSpec,
    *,
    repo: str,
    data_dir: Path,
    facts: Sequence[VerifiedFact] | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[FactCheck]:
    """Scan ``repo`` with ``spec``'s rules (storing nothing) and check each hand-checked fact against it.

    A fact holds when the first event of its kind (``added``, or ``removed`` for a removal fact) for its
    key and stage is at its commit and time (and tag, for ``released``). A fact recorded on a copy whose head this one lacks (a fork, another mirror) is
    reported with ``checked=False``: a fork's merged dates are its merge dates, not upstream's.
    """
    facts = [f for f in (facts if facts is not None else load_facts()) if f.runtime == spec.name]
    try:
        git, _ = _open(spec, data_dir, repo)
        with git:
            present = {f.head for f in facts if f.head and git.has_commit(f.head)}
    except GitError as exc:
        raise ScanError(f"{spec.name}: {exc}") from exc
    checkable = [f for f in facts if not f.head or f.head in present]
    first: dict[tuple[str, str, str, str], ScanEvent] = {}
    if checkable:
        for event in collect_events(spec, data_dir=data_dir, repo=repo, progress=progress):
            first.setdefault((event.key, event.stage, event.sku, event.event), event)
    return [_check(fact, first, checked=fact in checkable) for fact in facts]


def _check(
    fact: VerifiedFact, first: dict[tuple[str, str, str, str], ScanEvent], *, checked: bool
) -> FactCheck:
    if not checked:
        return FactCheck(
            fact, False, None, None, None,
            f"not checkable here: checked on {fact.repository or 'another copy'} at {fact.head[:12]}, "
            "which this copy lacks", checked=False,
        )  # fmt: skip
    found = first.get((fact.key, fact.stage, fact.sku, fact.event))
    if found is None:
        return FactCheck(fact, False, None, None, None, f"no {fact.event} event found for this key and stage")
    problems = []
    if fact.commit and not found.commit.startswith(fact.commit):
        problems.append(f"commit {found.commit[:12]} != {fact.commit[:12]}")
    if fact.at and found.at != fact.at:
        problems.append(f"time {found.at.isoformat()} != {fact.at.isoformat()}")
    if fact.tag and found.tag != fact.tag:
        problems.append(f"tag {found.tag or '-'} != {fact.tag}")
    return FactCheck(
        fact, not problems, found.commit, found.at, found.tag or None, "; ".join(problems) or "ok"
    )


def gguf_mapping(*, data_dir: Path, repo: str | None = None, ref: str | None = None) -> dict[str, str]:
    """HF architecture → GGUF architecture as llama.cpp's converter declares it at ``ref`` (default head).

    Read from the converter and gguf-py's constants in the llama.cpp repository (``repo`` or the catalog's
    remote), so a key stored as ``gguf_architecture`` can be matched to a release's HF architecture.
    """
    from app.sources.runtimes.gguf import read_mapping

    spec = gguf_mapping_runtime()
    try:
        git, _ = _open(spec, data_dir, repo)
        with git:
            try:
                commit = git.resolve(ref or spec.default_branch)
            except GitError:
                if ref:
                    raise
                commit = git.resolve("HEAD")
            return read_mapping(git, commit)
    except GitError as exc:
        raise ScanError(f"llama.cpp GGUF mapping: {exc}") from exc

"""Runtime support scanning as a service: mirror, scan incrementally, store events idempotently.

The scan engine (app/sources/runtimes/scanner.py) only reads git and returns typed events. ``fetch.py`` runs
it and reads the scanned head, ``store.py`` writes support keys, events and retractions; this module runs
one scan from cursor to cursor: the SourceState cursor (kind ``runtime_repo``, one per runtime) that makes
the next scan incremental, the audit riding on the walk, success or failure recorded, all or nothing.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app.domain.runtime_spec import RuntimeSpec
from app.metrics import SCAN_DURATION, SCAN_EVENTS, SCAN_FAILURES
from app.services.operations.source_state import RUNTIME_REPO, get_state, record_failure, record_success
from app.services.runtimes import quick_rescan
from app.services.runtimes.catalog_audit import known_keys
from app.services.runtimes.fetch import run_scan
from app.services.runtimes.store import (
    retract_vanished,
    runtime_row_id,
    store_events,
    store_key_mapping,
    store_version_statements,
)
from app.services.runtimes.stored_coverage import record_coverage
from app.sources.runtimes.audit import AuditRecorder
from app.sources.runtimes.scan_events import ScanError

__all__ = ["ScanError", "ScanSummary", "scan_runtime"]

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
    changed: bool = True
    """The scan stored something the gap rows read: events added or retracted (or tags moved back), coverage
    newly observed or moved forward, a key mapping. False: the gap rows are already up to date."""


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
    pull_requests: bool = True,
) -> ScanSummary:
    """Mirror/update ``spec``'s repository (or ``repo``), scan what is new since the last scan, store it.

    ``upstream``: the repository ``repo`` is a copy of (evidence links name it). ``stages``: keep only
    events of these stages (a fork carries upstream's tags but its own branches and merge dates).
    ``pull_requests``: the source's ``refs/pull/*`` are the runtime's own pull requests (read for the
    ``proposed`` stage); False for a fork's copy, whose pull requests are not upstream's.

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
    source_key = quick_rescan.source_key(repo)
    # What this scan reads, fingerprinted before it reads anything (a ref moving meanwhile makes the next
    # differ); only a whole scan of the default branch can stand for a later one (``quick_rescan``).
    fingerprint = (
        quick_rescan.scan_fingerprint(spec, repo, pull_requests=pull_requests, upstream=upstream)
        if ref is None and stages is None
        else None
    )
    previous: dict[str, Any] = cursors.get(source_key) or {}
    # The audit rides on this scan's walk and resumes from where the last scan left it.
    recorder = AuditRecorder(
        spec, copy.deepcopy(previous.get(AUDIT_CURSOR_KEY)), known=lambda: known_keys(session, spec.name)
    )
    try:
        with session.begin_nested():
            runtime_id = runtime_row_id(session, spec.name)
            outcome, gguf, head_at, coverage, statements = run_scan(
                spec, data_dir=data_dir, repo=repo, ref=ref, cursor=previous or None, progress=progress,
                upstream=upstream, audit=recorder, fetched_at=now, stages=stages, pull_requests=pull_requests,
            )  # fmt: skip
            if stages is not None:
                outcome.events = [e for e in outcome.events if e.stage in stages]
            inserted = store_events(session, runtime_id, outcome.events, now)
            changed = bool(inserted or outcome.rewritten_refs or outcome.vanished_tags)
            if coverage:  # empty for a ref off the default branch's line (``fetch.run_scan``)
                changed = record_coverage(session, spec.name, coverage, now=now) or changed
            if gguf and outcome.head:
                changed = store_key_mapping(session, spec.name, gguf, commit=outcome.head, now=now) or changed
            if statements is not None and outcome.head:
                store_version_statements(session, spec, statements, commit=outcome.head, now=now)
            retracted = retract_vanished(
                session, runtime_id, outcome.rewritten_refs, outcome.vanished_tags, now
            )
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
    if fingerprint is not None:
        cursors[source_key][quick_rescan.FINGERPRINT_KEY] = fingerprint
    else:
        cursors[source_key].pop(quick_rescan.FINGERPRINT_KEY, None)
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
        changed=changed,
    )

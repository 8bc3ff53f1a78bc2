"""Catalog audit as a service: run it on a repository (``launchgap catalog audit``) and keep a scan's audit.

The audit rides on the scanner's walk (``app/sources/runtimes/audit.py``), so it costs one scan plus
bookkeeping. Its dead-keys check needs what LaunchGap knows outside the audited runtime (``known_keys``:
models, watched publishers, other runtimes' registrations), read from the database. ``scan_runtime`` runs it on every scan and stores the report on the runtime's SourceState
(``audit`` column, shown on the runtime's page); its resumable state stays in the scan cursor so an
incremental scan continues it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, make_url, select
from sqlalchemy.orm import Session

from app.db.session import open_database, read_only_factory
from app.domain.runtime_spec import RuntimeSpec
from app.models.model import Model
from app.models.publisher import Publisher
from app.models.runtime import Runtime
from app.models.support import SupportEvent, SupportKey
from app.sources.git.repo import GitError, is_url, open_repository
from app.sources.runtimes.audit import JUDGED_KINDS, AuditLimits, AuditRecorder, AuditReport, KnownKeys
from app.sources.runtimes.scan_events import ScanError
from app.sources.runtimes.scanner import Scanner

__all__ = ["AuditLimits", "AuditReport", "KnownKeys", "audit_runtime", "known_keys", "known_keys_in"]


def known_keys(session: Session, runtime: str) -> KnownKeys:
    """Every architecture, model type and repo id LaunchGap has seen outside ``runtime`` — on a model, or
    registered by another runtime — with the repo owners among them and the watched publishers' orgs.

    The audited runtime's own keys are left out: after its first scan they would make every key known."""
    keys: set[str] = set()
    owners: set[str] = set()
    for repo_id, architectures, model_type in session.execute(
        select(Model.repo_id, Model.architectures, Model.model_type)
    ):
        keys.add(repo_id.lower())
        owners.add(repo_id.split("/", 1)[0].lower())
        keys.update(a.lower() for a in architectures or () if isinstance(a, str))
        if model_type:
            keys.add(model_type.lower())
    owners.update(org.lower() for org in session.scalars(select(Publisher.hub_org)))
    registered = (
        select(SupportKey.key_kind, SupportKey.key)
        .join(SupportEvent, SupportEvent.support_key_id == SupportKey.id)
        .join(Runtime, Runtime.id == SupportEvent.runtime_id)
        .where(Runtime.name != runtime, SupportKey.key_kind.in_(sorted(JUDGED_KINDS)))
        .group_by(SupportKey.key_kind, SupportKey.key)
    )
    for kind, key in session.execute(registered):
        keys.add(key.lower())
        if kind == "repo_id" and "/" in key:
            owners.add(key.split("/", 1)[0].lower())
    return KnownKeys(frozenset(keys), frozenset(owners))


def known_keys_in(database_url: str, runtime: str) -> KnownKeys | None:
    """``known_keys`` from the database at ``database_url``; None when it holds no schema yet (a fresh
    install: nothing is known, so nothing can be judged dead). A SQLite file that does not exist is not
    created."""
    url = make_url(database_url)
    on_disk = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    if on_disk and not Path(str(url.database)).expanduser().exists():
        return None
    with open_database(database_url) as factory, read_only_factory(factory)() as session:
        try:
            if not session.scalar(select(func.count()).select_from(SupportKey)):
                return None
        except Exception:  # no tables: an empty or unmigrated database
            return None
        return known_keys(session, runtime)


def audit_runtime(
    spec: RuntimeSpec,
    *,
    repo: str | None,
    data_dir: Path,
    ref: str | None = None,
    progress: Callable[[str], None] | None = None,
    limits: AuditLimits | None = None,
    known: KnownKeys | None = None,
) -> AuditReport:
    """A full scan of ``repo`` (or the catalog's remote) with the audit attached; stores nothing.

    ``known``: what is known outside the runtime, for the dead-keys check (None: not judged)."""
    source = repo or spec.repo_url
    started = time.perf_counter()
    try:
        git = open_repository(source, data_dir, spec.name)
        with git:
            recorder = AuditRecorder(spec, limits=limits, known=lambda: known)
            scanner = Scanner(
                spec, git, evidence_url=source if is_url(source) else None, progress=progress, audit=recorder
            )
            outcome = scanner.scan(ref=ref)
            report = recorder.report(commits_walked=outcome.commits_walked)
    except GitError as exc:
        raise ScanError(f"{spec.name}: {exc}") from exc
    report.seconds = time.perf_counter() - started
    return report

"""A rescan with nothing new, answered without loading the ORM (docs/operations.md, "The command line").

A one-off scan of a local copy (``launchgap scan RUNTIME --repo PATH``) stores what it read and its cursor;
when nothing it reads has moved since, a second scan walks nothing, stores nothing and refreshes nothing, yet
paid ~1 s of imports (SQLAlchemy, Alembic, the services) to find that out. Each scan of a local copy now
keeps a **fingerprint** of what it read in its cursor: every ref of the copy with what it points to and where
its HEAD points (``git ls-remote --symref``: branches for the ``branch`` stage, tags for ``released``,
pull-request heads for ``proposed``, the default branch for the walked stages), the runtime's catalog entry
(its files, rules, release and branch patterns) and the scan's options. Taken *before* the scan reads
anything, so a ref that moves during a scan makes the next fingerprint differ. ``unchanged_scan`` compares
it with the copy's refs now, reading the stored cursor with the standard library, and answers only when they
are equal; anything else — another database than SQLite, a URL, ``--ref``, the configured source (whose
check times the server shows), a cursor from before fingerprints — takes the ordinary scan.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from app.db.peek import read_row
from app.domain.runtime_spec import RuntimeSpec
from app.sources.git.repo import source_refs

FINGERPRINT_KEY = "fingerprint"
"""Where a source's scan cursor keeps the fingerprint of what that scan read."""
_RUNTIME_REPO = "runtime_repo"  # the SourceState kind of runtime repositories (operations/source_state.py)


def source_key(repo: str | None) -> str:
    """The key a source's cursor is kept under: scanning a local copy must not look like a rewrite of the
    remote."""
    return "default" if repo is None else f"repo:{repo}"


def scan_fingerprint(
    spec: RuntimeSpec, repo: str | None, *, pull_requests: bool, upstream: str | None
) -> str | None:
    """What a scan of ``repo`` reads, as one digest; None when it cannot be known without fetching (a URL,
    the catalog's remote) or the path is no repository git can read."""
    if repo is None:
        return None
    refs = source_refs(repo)
    if refs is None:
        return None
    what = {"spec": repr(spec), "pull_requests": pull_requests, "upstream": upstream, "refs": refs}
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class UnchangedScan:
    """A scan that would read nothing new: the head it stopped at and its audit's unexplained findings."""

    head: str
    ref: str
    audit_unexplained: list[str]


def unchanged_scan(
    spec: RuntimeSpec, database_url: str, *, repo: str, pull_requests: bool, upstream: str | None
) -> UnchangedScan | None:
    """The last one-off scan of ``repo`` when nothing it reads has moved since (None: scan as usual)."""
    row = read_row(
        database_url,
        "SELECT cursor, audit FROM source_states WHERE kind = ? AND name = ?",
        (_RUNTIME_REPO, spec.name),
    )
    if row is None or not isinstance(row[0], str):
        return None
    try:
        cursor = json.loads(row[0]).get(source_key(repo)) or {}
        audit = json.loads(row[1]) if isinstance(row[1], str) else None
    except (ValueError, AttributeError):
        return None
    stored = cursor.get(FINGERPRINT_KEY) if isinstance(cursor, dict) else None
    head = (cursor.get("refs") or {}).get(spec.default_branch, {}).get("head") if stored else None
    if not stored or not isinstance(head, str):
        return None
    if scan_fingerprint(spec, repo, pull_requests=pull_requests, upstream=upstream) != stored:
        return None
    unexplained: list[str] = []
    if isinstance(audit, dict) and audit.get("source") == source_key(repo):
        unexplained = [
            f["id"] for f in audit.get("findings", []) if isinstance(f, dict) and f.get("reason") is None
        ]
    return UnchangedScan(head=head, ref=spec.default_branch, audit_unexplained=unexplained)

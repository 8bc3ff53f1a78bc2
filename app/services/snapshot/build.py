"""``launchgap snapshot build``: scan every listed repository copy into a scratch database, export it.

The list of copies (``app/data/snapshot_sources.json``) says, per catalog runtime, which copy of its
history is read and which stages it is trusted for: a fork that mirrors upstream's main gives upstream's
merge dates, one that carries upstream's tags gives its releases, but a fork's own branches and tags are not
upstream's. Each copy is scanned with the catalog's rules as a declared copy of the catalog's repository,
so every evidence link names the upstream. The result depends only on the copies and the code: building
again from the same copies gives the same bytes.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from app.db.migrate import upgrade
from app.db.session import open_database, session_scope
from app.domain.runtime_spec import RuntimeSpec, UnknownRuntimeError
from app.domain.vocabulary import ReleaseSource, Stage
from app.services.releases.facts import import_releases
from app.services.runtimes.catalog_rows import sync_catalog
from app.services.runtimes.scan import scan_runtime
from app.services.snapshot.exchange import export_snapshot
from app.services.snapshot.format import Snapshot, SnapshotError, SourceRow
from app.sources.runtimes.catalog import get_runtime

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
SOURCES_FILE = DATA_DIR / "snapshot_sources.json"
BUNDLED_SNAPSHOT = DATA_DIR / "snapshot.jsonl.gz"
RELEASE_FACTS = DATA_DIR / "releases.csv"


@dataclass(frozen=True)
class CopySpec:
    """One repository copy to read for one runtime."""

    runtime: str
    copy: str
    """``owner/name`` on GitHub of the copy (upstream itself when it could be fetched whole)."""
    stages: tuple[str, ...] = ()
    """Stages taken from this copy; empty means every stage."""
    excluded_tags: tuple[str, ...] = ()
    """The copy's own tags under upstream release names (not upstream's releases): ignored."""
    pull_requests: bool = True
    """Whether the copy's ``refs/pull/*`` are the runtime's own pull requests (a fork's are not: not read)."""
    why: str = ""

    @property
    def reads_pull_requests(self) -> bool:
        """Its pull requests are read only when they are upstream's and ``proposed`` is taken from it."""
        return self.pull_requests and (not self.stages or Stage.PROPOSED in self.stages)


def read_sources(path: Path = SOURCES_FILE) -> list[CopySpec]:
    """The copies a build reads, checked against the catalog (``SnapshotError`` on any bad entry)."""
    try:
        entries = json.loads(path.read_text())["copies"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SnapshotError(f"{path}: cannot read the list of copies ({exc})") from None
    copies: list[CopySpec] = []
    errors: list[str] = []
    for number, entry in enumerate(entries, start=1):
        try:
            copy = CopySpec(
                runtime=entry["runtime"],
                copy=entry["copy"],
                stages=tuple(entry.get("stages", ())),
                excluded_tags=tuple(entry.get("excluded_tags", ())),
                pull_requests=entry.get("pull_requests", True),
                why=entry.get("why", ""),
            )
            if not isinstance(copy.pull_requests, bool):
                raise ValueError(f"pull_requests must be true or false, not {copy.pull_requests!r}")
            get_runtime(copy.runtime)
            bad = [s for s in copy.stages if s not in tuple(Stage)]
            if bad:
                raise ValueError(f"unknown stages {bad}")
            if not re.fullmatch(r"[\w.-]+/[\w.-]+", copy.copy):
                raise ValueError(f"copy {copy.copy!r} is not owner/name")
        except (KeyError, TypeError, ValueError, UnknownRuntimeError) as exc:
            errors.append(f"entry {number}: {exc}")
            continue
        copies.append(copy)
    if errors:
        raise SnapshotError(f"{path}: " + "; ".join(errors))
    return copies


def locate_copy(copies_dir: Path, copy: str) -> Path | None:
    """Where a copy of ``owner/name`` lies under ``copies_dir``: ``owner+name/repo`` (as ``fetch`` leaves
    it), ``owner+name`` or ``owner/name`` (a bare or work-tree clone)."""
    flat = copy.replace("/", "+")
    for candidate in (copies_dir / flat / "repo", copies_dir / flat, copies_dir / copy):
        if candidate.exists():
            return candidate
    return None


def _spec_for(copy: CopySpec) -> RuntimeSpec:
    spec = get_runtime(copy.runtime)
    if not copy.excluded_tags or spec.releases is None:
        return spec
    skip = "|".join(re.escape(t) for t in copy.excluded_tags)
    pattern = f"^(?!(?:{skip})$)(?:{spec.releases.tag_pattern})"
    return replace(spec, releases=replace(spec.releases, tag_pattern=pattern))


def build_snapshot(
    copies: list[CopySpec],
    *,
    copies_dir: Path,
    work_dir: Path,
    clock: Callable[[], datetime],
    progress: Callable[[str], None] | None = None,
) -> Snapshot:
    """Scan each copy (as a copy of its catalog repository) into a new SQLite database under ``work_dir``,
    with the bundled release facts, and export it. Raises ``SnapshotError`` if a copy is missing."""
    say = progress or (lambda _message: None)
    located = {(c.runtime, c.copy): locate_copy(copies_dir, c.copy) for c in copies}
    missing = sorted({c.copy for c in copies if located[(c.runtime, c.copy)] is None})
    if missing:
        raise SnapshotError(f"copies not found under {copies_dir}: {', '.join(missing)}")
    if work_dir.exists():
        shutil.rmtree(work_dir)
    work_dir.mkdir(parents=True)
    url = f"sqlite:///{work_dir / 'build.db'}"
    upgrade(url)
    sources: list[SourceRow] = []
    with open_database(url) as factory:
        with session_scope(factory) as session:
            sync_catalog(session)
            import_releases(session, RELEASE_FACTS, kind=ReleaseSource.BUNDLED)
        for copy in copies:
            spec = _spec_for(copy)
            path = located[(copy.runtime, copy.copy)]
            with session_scope(factory) as session:
                summary = scan_runtime(
                    session, spec, data_dir=work_dir / "data", repo=str(path), upstream=spec.repo_url,
                    stages=copy.stages or None, now=clock(), progress=say,
                    pull_requests=copy.reads_pull_requests,
                )  # fmt: skip
            say(
                f"{copy.runtime} from {copy.copy}: head {summary.head[:12]}, {summary.events_inserted} new events "
                f"of {summary.events_found} ({summary.seconds:.1f}s)"
            )
            sources.append(
                SourceRow(
                    runtime=copy.runtime,
                    copy=copy.copy,
                    upstream=spec.repo_url,
                    ref=summary.ref,
                    head=summary.head,
                    head_at=summary.head_at,
                    stages=copy.stages,
                    excluded_tags=copy.excluded_tags,
                )
            )
        with session_scope(factory) as session:
            snapshot = export_snapshot(session, sources=sources)
    # Coverage names the copy read (owner/name), not where it lay on the machine that built the file.
    names = {str(path): copy for (_runtime, copy), path in located.items()}
    snapshot.coverage = [replace(row, source=names.get(row.source, row.source)) for row in snapshot.coverage]
    return snapshot

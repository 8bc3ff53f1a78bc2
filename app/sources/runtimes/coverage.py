"""What one scan of a runtime's repository observed, stage by stage, and until when (docs/concepts.md, "Coverage").

A repository LaunchGap fetched from its URL is known up to the fetch. A copy given as a path is known only up
to its newest commit among the refs the scanner reads for the stage — the scanned head, the catalog's release
tags and its branch patterns, and for ``proposed`` the pull-request heads too: a copy made in March says
nothing about April. A stage whose refs the copy lacks (no release tags for ``released``, no matching branch
for ``branch``, no ``refs/pull/*`` — or a fork's, not read — for ``proposed``) is not observed at all, rather
than observed as "nothing happened".
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from app.domain.runtime_spec import RuntimeSpec
from app.domain.vocabulary import Stage
from app.sources.git.repo import GitError, GitRepo, is_url

FETCHED = "fetched"
LOCAL = "local"


@dataclass(frozen=True)
class StageCoverage:
    """Whether ``stage`` of a runtime was observed by one scan, and until when."""

    stage: str
    observed: bool
    observed_until: datetime | None
    copy: str
    """``fetched`` or ``local``."""
    source: str
    reason: str | None = None
    """Why the stage is not observed."""


def is_fetched(source: str) -> bool:
    """A source given as a URL, which LaunchGap fetches itself; a path is a local copy (even when a later
    version reads it through a clone of its own), known only as far as its refs go."""
    return is_url(source)


def scanned_stages(spec: RuntimeSpec) -> list[Stage]:
    """The stages a scan of ``spec`` reads (the walked signals' stages, and released/branch for code)."""
    stages = list(dict.fromkeys(signal.stage for signal in spec.signals))
    if Stage.MERGED in stages:
        stages.insert(0, Stage.PROPOSED)
        if spec.releases is not None:
            stages.append(Stage.RELEASED)
        if spec.branch_patterns:
            stages.append(Stage.BRANCH)
    return stages


def stage_coverage_start(spec: RuntimeSpec, stage: str) -> datetime | None:
    """When ``spec`` starts dating support at ``stage`` (start of that UTC day): None when any signal
    feeding the stage covers its whole history, else the earliest declared start."""
    feeding = Stage(stage).fed_by
    starts = [signal.coverage_start_at for signal in spec.signals if signal.stage == feeding]
    if not starts or any(start is None for start in starts):
        return None
    return min(start for start in starts if start is not None)


def on_default_line(spec: RuntimeSpec, git: GitRepo, head: str | None) -> bool:
    """``head`` is a commit of the default branch's first-parent line (the line a default scan walks): a
    commit merged from a side branch is not, since walking from it skips the default branch's own commits."""
    if not head:
        return False
    try:
        default = git.resolve(spec.default_branch)
    except GitError:  # a local copy whose default branch has another name (as the scanner reads it)
        default = git.resolve("HEAD")
    return git.is_ancestor(head, default) and head in git.first_parent_shas(default)


def read_coverage(
    spec: RuntimeSpec,
    git: GitRepo,
    head: str,
    *,
    source: str,
    fetched_at: datetime,
    stages: Collection[str] | None = None,
    pull_requests: bool = True,
    pinned_at: datetime | None = None,
) -> list[StageCoverage]:
    """Coverage of every stage ``spec`` scans (or only ``stages``), after a successful scan of ``head``.

    ``fetched_at`` is when the scan fetched ``source`` (used only when LaunchGap fetched it from its URL).
    A local copy read for some stages only (a fork trusted for upstream's tags, not for its own main line)
    is known as far as the refs of those stages go: its tags for ``released``, its head for the walked stages.
    ``proposed`` is observed only where the pull-request heads were read (``pull_requests``: the source's
    own; a fork's are not upstream's) and, for a copy, only when it carries them.
    ``pinned_at``: the scan walked the default branch only up to a commit of it (``scan --ref SHA``), so every
    stage is known up to that commit's committer time, however new the fetch or the copy's other refs.
    """
    fetched = is_fetched(source)
    tags = (
        [tag.commit for tag in git.tags() if spec.releases.is_release_tag(tag.name)]
        if spec.releases is not None
        else []
    )
    branches = [sha for name, sha in git.branches().items() if spec.branch_matches(name)]
    pulls = list(git.pull_heads().values()) if pull_requests else []
    read = [stage for stage in scanned_stages(spec) if stages is None or stage in stages]
    until: datetime | None = fetched_at
    proposed_until: datetime | None = fetched_at
    if not fetched:
        walked = any(Stage(stage).walked for stage in read)
        refs = ([head] if walked else []) + (tags if Stage.RELEASED in read else [])
        refs += branches if Stage.BRANCH in read else []
        until = git.newest_commit_time(refs)
        # every ref the proposed stage is dated from: pull-request heads, branches and the head
        proposed_until = git.newest_commit_time([head, *branches, *pulls]) if pulls else None
    if pinned_at is not None:
        until = pinned_at
        proposed_until = pinned_at if proposed_until is not None else None
    copy = FETCHED if fetched else LOCAL
    result = []
    for stage in read:
        reason = None
        if stage == Stage.PROPOSED and not pull_requests:
            reason = "the copy's pull requests are not the runtime's own (a fork): not read"
        elif stage == Stage.PROPOSED and not fetched and not pulls:
            reason = "the local copy carries no pull-request refs (refs/pull/*)"
        if not fetched and stage == Stage.RELEASED and not tags:
            version_bumps = spec.releases is not None and bool(spec.releases.version_file)
            if not version_bumps:
                reason = "the local copy has no release tags"
        if not fetched and stage == Stage.BRANCH and not branches:
            reason = "the local copy has no branch matching " + ", ".join(spec.branch_patterns)
        result.append(
            StageCoverage(
                stage=stage,
                observed=reason is None,
                observed_until=(proposed_until if stage == Stage.PROPOSED else until)
                if reason is None
                else None,
                copy=copy,
                source=source,
                reason=reason,
            )
        )
    return result

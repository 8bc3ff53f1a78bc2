"""Pull-request heads (``refs/pull/N/head``) in the repositories LaunchGap keeps (docs/runtimes.md, "proposed").

A mirror fetched from a URL fetches them with its other refs (a refspec); a local copy's are set from the
path's, and a copy declared a fork's drops them: its pull requests are not its upstream's.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.sources.git.repo import GitRepo

PULL_REFSPEC = "+refs/pull/*/head:refs/pull/*/head"
"""Pull-request heads as GitHub serves them, kept under the same names."""
PULL_REF_RE = re.compile(r"^refs/pull/(\d+)/head$")


def want_pull_requests(repo: GitRepo, wanted: bool | None) -> bool:
    """Fetch pull-request heads with the other refs (or stop, dropping them); True when that changed."""
    if wanted is None:
        return False
    specs = repo.run("config", "--get-all", "remote.origin.fetch", check=False).split()
    if wanted == (PULL_REFSPEC in specs):
        return False
    if wanted:
        repo.run("config", "--add", "remote.origin.fetch", PULL_REFSPEC)
    else:
        repo.run("config", "--unset", "remote.origin.fetch", re.escape(PULL_REFSPEC))
        _drop_pull_refs(repo)
    return True


def _drop_pull_refs(repo: GitRepo) -> None:
    # --prune only prunes what the refspecs still name: the old pull heads are deleted here
    refs = repo.run("for-each-ref", "refs/pull", "--format=delete %(refname)")
    if refs:
        repo.run("update-ref", "--stdin", input_text=refs)


def sync_pull_refs(repo: GitRepo, wanted: bool | None) -> None:
    """A local copy's pull-request heads, set to the source's (``launchgap.pullrequests`` remembers the choice).

    Not a refspec: a fetch would pack every object the heads reach, and copies of GitHub repositories often
    lack a few of them (a size-filtered mirror), which makes the whole fetch fail. The copy was cloned with
    the source's objects, so heads whose commits it already has are set directly; only the others are fetched.
    """
    if wanted is None:
        wanted = repo.run("config", "--get", "launchgap.pullrequests", check=False).strip() == "true"
    repo.run("config", "launchgap.pullrequests", "true" if wanted else "false")
    if not wanted:
        _drop_pull_refs(repo)
        return
    source: dict[str, str] = {}
    for line in repo.run("ls-remote", "origin", "refs/pull/*/head").splitlines():
        sha, _, name = line.partition("\t")
        if PULL_REF_RE.match(name):
            source[name] = sha
    ours = {f"refs/pull/{number}/head": sha for number, sha in repo.pull_heads().items()}
    present = repo.existing_commits(sha for name, sha in source.items() if ours.get(name) != sha)
    lines = [f"delete {name}" for name in ours if name not in source]
    lines += [
        f"update {name} {sha}" for name, sha in source.items() if ours.get(name) != sha and sha in present
    ]
    if lines:
        repo.run("update-ref", "--stdin", input_text="\n".join(lines) + "\n")
    missing = sorted(name for name, sha in source.items() if ours.get(name) != sha and sha not in present)
    for start in range(0, len(missing), 500):
        repo.run(
            "fetch", "--quiet", "--no-tags", "origin", *[f"+{n}:{n}" for n in missing[start : start + 500]]
        )
    pack_pull_refs(repo)


def pack_pull_refs(repo: GitRepo) -> None:
    """Pack loose pull-request refs: reading 10,000 loose ref files takes seconds, one packed file milliseconds."""
    loose = repo.git_dir / "refs" / "pull"
    if loose.is_dir() and any(loose.iterdir()):
        repo.run("pack-refs", "--all", "--prune")

"""The only code in LaunchGap that runs git: mirrors, first-parent walks, a batched blob reader, refs.

Everything goes through the git CLI (docs/architecture.md, "Design decisions": faster than pygit2/dulwich
here and easy to reproduce by hand). Mirrors are partial clones (``--filter=blob:none``): commits and trees are local, file
versions are fetched in batches only when the scanner reads them.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app.sources.git.pulls import PULL_REF_RE, pack_pull_refs, sync_pull_refs, want_pull_requests

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
ZERO_OID = "0" * 40
_PR_RE = re.compile(r"\(#(\d+)\)\s*$")
_URL_RE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|[\w.-]+@[\w.-]+:)", re.IGNORECASE)


class GitError(RuntimeError):
    """A git command failed: missing or unreachable repository, unknown ref, corrupt object."""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # Never prompt for credentials (the watcher runs unattended) and never read the user's config quirks.
    env.update({"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "LC_ALL": "C"})
    return env


def is_url(source: str) -> bool:
    """True for ``https://…``, ``file://…`` or ``user@host:path`` sources, False for a local path."""
    return bool(_URL_RE.match(source))


@dataclass(frozen=True)
class Change:
    """One path changed by a commit (``--raw``): blob ids before/after, ``ZERO_OID`` when absent."""

    path: str
    old_blob: str
    new_blob: str


@dataclass(frozen=True)
class Commit:
    sha: str
    committed_at: datetime
    authored_at: datetime
    subject: str
    changes: tuple[Change, ...]

    @property
    def pr_number(self) -> int | None:
        match = _PR_RE.search(self.subject)
        return int(match.group(1)) if match else None


@dataclass(frozen=True)
class TagRef:
    name: str
    commit: str
    at: datetime
    """Tagger date for an annotated tag, else the commit's committer date."""
    annotated: bool


@dataclass(frozen=True)
class GraphCommit:
    """One commit of a graph listing: its parents (first parent first), tree and times."""

    sha: str
    parents: tuple[str, ...]
    tree: str
    committed_at: datetime
    authored_at: datetime


def _ts(value: str) -> datetime:
    return datetime.fromtimestamp(int(value), tz=UTC)


class GitRepo:
    """A git directory (bare or not) read with the git CLI."""

    def __init__(self, git_dir: Path) -> None:
        self.git_dir = Path(git_dir)
        self._reader: BlobReader | None = None

    # -- plumbing ---------------------------------------------------------------------------------
    def run(self, *args: str, input_text: str | None = None, check: bool = True) -> str:
        try:
            proc = subprocess.run(
                ["git", "--git-dir", str(self.git_dir), *args],
                input=input_text.encode() if input_text is not None else None,
                capture_output=True,
                env=_env(),
                check=False,
            )
        except OSError as exc:  # git missing from PATH
            raise GitError(f"cannot run git: {exc}") from exc
        if check and proc.returncode != 0:
            message = proc.stderr.decode(errors="replace").strip() or f"exit {proc.returncode}"
            raise GitError(f"git {' '.join(args[:3])} failed in {self.git_dir}: {message}")
        return proc.stdout.decode(errors="replace")

    def resolve(self, ref: str) -> str:
        """The commit a ref names; GitError when it does not exist."""
        out = self.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False).strip()
        if not out:
            raise GitError(f"ref {ref!r} not found in {self.git_dir}")
        return out

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        proc = subprocess.run(
            ["git", "--git-dir", str(self.git_dir), "merge-base", "--is-ancestor", ancestor, descendant],
            capture_output=True,
            env=_env(),
            check=False,
        )
        return proc.returncode == 0

    def has_commit(self, sha: str) -> bool:
        out = self.run("cat-file", "-t", sha, check=False).strip()
        return out == "commit"

    def first_parent_shas(self, head: str) -> list[str]:
        return self.run("rev-list", "--first-parent", head).split()

    def default_branch(self) -> str:
        out = self.run("symbolic-ref", "--short", "HEAD", check=False).strip()
        return out or "main"

    # -- history ----------------------------------------------------------------------------------
    def walk(self, head: str, pathspecs: Sequence[str], *, since: str | None = None) -> Iterator[Commit]:
        """First-parent history of ``head`` (oldest first), with the paths each commit changed.

        Only commits touching ``pathspecs`` (``:(glob)`` magic) are listed; merges are diffed against
        their first parent, so a branch merged into main counts at the merge. ``--no-renames``: a move is
        a deletion plus an addition inside one commit, which the scanner nets out per commit.
        """
        rev = f"{since}..{head}" if since else head
        args = [
            "log", "--first-parent", "--reverse", "--no-renames", "--raw", "-z", "--no-abbrev",
            "--diff-merges=first-parent", "--format=%x01%H%x00%ct%x00%at%x00%s", rev, "--",
            *[f":(glob){p}" for p in pathspecs],
        ]  # fmt: skip
        out = self.run(*args)
        for record in out.split("\x01")[1:]:
            head_part, _, raw = record.partition("\n")
            fields = head_part.split("\x00")
            sha, ct, at, subject = fields[0], fields[1], fields[2], fields[3]
            changes: list[Change] = []
            # --raw -z: ":old_mode new_mode old new status\0path\0" repeated.
            parts = (raw + "\x00".join(fields[4:])).split("\x00") if len(fields) > 4 else raw.split("\x00")
            i = 0
            while i < len(parts):
                meta = parts[i].strip("\n")
                if not meta.startswith(":"):
                    i += 1
                    continue
                bits = meta[1:].split()
                path = parts[i + 1] if i + 1 < len(parts) else ""
                changes.append(Change(path=path, old_blob=bits[2], new_blob=bits[3]))
                i += 2
            yield Commit(sha, _ts(ct), _ts(at), subject, tuple(changes))

    def list_tree(self, commit: str, pathspecs: Sequence[str]) -> dict[str, str]:
        """``{path: blob}`` of the files matching ``pathspecs`` in ``commit``'s tree."""
        return self.list_trees([commit], pathspecs)[commit]

    def list_trees(self, commits: Sequence[str], pathspecs: Sequence[str]) -> dict[str, dict[str, str]]:
        """Many trees in one git process: ``diff-tree --stdin`` against the empty tree lists every file."""
        result: dict[str, dict[str, str]] = {c: {} for c in commits}
        if not commits:
            return result
        tree_of = self.trees_of(commits)
        commits_of: dict[str, list[str]] = {}
        for commit, tree in tree_of.items():
            commits_of.setdefault(tree, []).append(commit)
        out = self.run(
            "diff-tree", "--stdin", "-r", "-z", "--no-renames", "--no-abbrev", "--",
            *[f":(glob){p}" for p in pathspecs],
            input_text="".join(f"{EMPTY_TREE} {t}\n" for t in commits_of),
        )  # fmt: skip
        # Output: an echoed "<empty> <tree>" header line, then ":meta\0path\0" entries.
        current: list[dict[str, str]] = []
        pending_meta: str | None = None
        for token in out.split("\x00"):
            if pending_meta is not None:
                for files in current:
                    files[token] = pending_meta
                pending_meta = None
                continue
            for line in token.split("\n"):
                if line.startswith(":"):
                    pending_meta = line[1:].split()[3]
                elif line.startswith(EMPTY_TREE):
                    current = [result[c] for c in commits_of.get(line.split()[1], [])]
        return result

    def trees_of(self, commits: Sequence[str]) -> dict[str, str]:
        """``{commit: tree}``, peeled in one cat-file process (diff-tree wants trees)."""
        if not commits:
            return {}
        peeled = self.run("cat-file", "--batch-check", input_text="".join(f"{c}^{{tree}}\n" for c in commits))
        tree_of: dict[str, str] = {}
        for commit, line in zip(commits, peeled.splitlines(), strict=True):
            bits = line.split()
            if len(bits) < 2 or bits[1] != "tree":
                raise GitError(f"commit {commit} has no readable tree in {self.git_dir}")
            tree_of[commit] = bits[0]
        return tree_of

    def diff_trees(
        self, pairs: Iterable[tuple[str, str]], pathspecs: Sequence[str]
    ) -> dict[tuple[str, str], list[Change]]:
        """``{(old tree, new tree): changes}`` for many pairs in one ``diff-tree --stdin`` (pairs of equal
        trees have no changes and are not asked)."""
        wanted = sorted({(a, b) for a, b in pairs if a != b})
        result: dict[tuple[str, str], list[Change]] = {pair: [] for pair in wanted}
        if not wanted:
            return result
        out = self.run(
            "diff-tree", "--stdin", "-r", "-z", "--no-renames", "--no-abbrev", "--",
            *[f":(glob){p}" for p in pathspecs],
            input_text="".join(f"{a} {b}\n" for a, b in wanted),
        )  # fmt: skip
        # Output: an echoed "<old> <new>" header line per pair, then ":meta\0path\0" entries.
        current: list[Change] = []
        pending: list[str] | None = None
        for token in out.split("\x00"):
            if pending is not None:
                current.append(Change(path=token, old_blob=pending[2], new_blob=pending[3]))
                pending = None
                continue
            for line in token.split("\n"):
                if line.startswith(":"):
                    pending = line[1:].split()
                elif line:
                    old, _, new = line.partition(" ")
                    current = result.setdefault((old, new), [])
        return result

    def commit_graph(self, heads: Sequence[str], exclude: Sequence[str] = ()) -> list[GraphCommit]:
        """Commits reachable from ``heads`` but not from ``exclude``, children before parents
        (``--topo-order``), with parents, tree and times; revisions go through stdin (thousands of refs)."""
        if not heads:
            return []
        out = self.run(
            "log",
            "--stdin",
            "--topo-order",
            "--format=%H%x00%P%x00%T%x00%ct%x00%at",
            input_text="".join(f"{h}\n" for h in heads) + "".join(f"^{x}\n" for x in exclude),
        )
        graph: list[GraphCommit] = []
        for line in out.splitlines():
            if not line:
                continue
            sha, parents, tree, ct, at = line.split("\x00")
            graph.append(GraphCommit(sha, tuple(parents.split()), tree, _ts(ct), _ts(at)))
        return graph

    def describe(self, commits: Iterable[str]) -> dict[str, tuple[str, datetime]]:
        """``{commit: (tree, committer time)}`` for exactly these commits (one git call)."""
        wanted = sorted(set(commits))
        if not wanted:
            return {}
        out = self.run(
            "log", "--no-walk", "--stdin", "--format=%H%x00%T%x00%ct", input_text="\n".join(wanted) + "\n"
        )
        result: dict[str, tuple[str, datetime]] = {}
        for line in out.splitlines():
            if line:
                sha, tree, ct = line.split("\x00")
                result[sha] = (tree, _ts(ct))
        return result

    def existing_commits(self, shas: Iterable[str]) -> set[str]:
        """Those of ``shas`` that are commits present in the repository (one cat-file process)."""
        return {sha for sha, kind in self._object_types(shas).items() if kind == "commit"}

    def missing_objects(self, oids: Iterable[str]) -> set[str]:
        """Those of ``oids`` the repository lacks (a copy of a size-filtered mirror). Never ask a partial
        clone: each missing object would be fetched lazily, one request at a time."""
        return {oid for oid, kind in self._object_types(oids).items() if kind == "missing"}

    def _object_types(self, oids: Iterable[str]) -> dict[str, str]:
        wanted = sorted(set(oids))
        if not wanted:
            return {}
        out = self.run("cat-file", "--batch-check", input_text="".join(f"{s}\n" for s in wanted))
        lines = out.splitlines()
        return {oid: (line.split()[1:2] or ["missing"])[0] for oid, line in zip(wanted, lines, strict=True)}

    def pull_heads(self) -> dict[int, str]:
        """``{pull-request number: head commit}`` from ``refs/pull/N/head`` (empty when the copy has none)."""
        out = self.run("for-each-ref", "refs/pull", "--format=%(refname)%00%(objectname)")
        heads: dict[int, str] = {}
        for line in out.splitlines():
            name, _, sha = line.partition("\x00")
            match = PULL_REF_RE.match(name)
            if match:
                heads[int(match.group(1))] = sha
        return heads

    def tags(self) -> list[TagRef]:
        """Every tag with its peeled commit and date (tagger date if annotated, else commit date)."""
        # lstrip=2, not :short: a branch of the same name (lmdeploy has branch and tag v0.14.0) makes
        # :short disambiguate the tag as "tags/v0.14.0", which no release pattern matches.
        fmt = "%(refname:lstrip=2)%00%(objecttype)%00%(objectname)%00%(*objectname)%00%(taggerdate:unix)%00%(committerdate:unix)%00%(*objecttype)"
        out = self.run("for-each-ref", "refs/tags", f"--format={fmt}")
        tags: list[TagRef] = []
        lightweight: list[tuple[str, str]] = []
        for line in out.splitlines():
            name, otype, oid, peeled, tagger_ts, commit_ts, peeled_type = line.split("\x00")
            if otype == "tag":
                if peeled_type != "commit" or not tagger_ts:
                    continue  # a tag of a tree/blob, or one without a tagger: nothing to date
                tags.append(TagRef(name, peeled, _ts(tagger_ts), True))
            elif otype == "commit" and commit_ts:
                tags.append(TagRef(name, oid, _ts(commit_ts), False))
            else:
                lightweight.append((name, oid))
        return tags

    def branches(self) -> dict[str, str]:
        """``{branch name: head commit}`` for local branches (a mirror keeps the remote's as local)."""
        out = self.run("for-each-ref", "refs/heads", "--format=%(refname:lstrip=2)%00%(objectname)")
        return dict(line.split("\x00") for line in out.splitlines() if line)

    def newest_commit_time(self, commits: Iterable[str]) -> datetime | None:
        """The newest committer time among ``commits`` (one git call however many), None for none."""
        wanted = sorted(set(commits))
        if not wanted:
            return None
        # --no-walk lists exactly the given commits; reading them from stdin keeps thousands of tags
        # clear of the command-line length limit.
        out = self.run("log", "--no-walk", "--stdin", "--format=%ct", input_text="\n".join(wanted) + "\n")
        times = [int(line) for line in out.split() if line.strip()]
        return datetime.fromtimestamp(max(times), UTC) if times else None

    def commit_times(self, sha: str) -> tuple[datetime, datetime, str]:
        out = self.run("show", "-s", "--format=%ct%x00%at%x00%s", sha).strip("\n")
        ct, at, subject = out.split("\x00", 2)
        return _ts(ct), _ts(at), subject

    # -- blobs ------------------------------------------------------------------------------------
    def prefetch(self, blobs: Iterable[str]) -> None:
        """In a partial clone, fetch ``blobs`` in one request rather than one lazy fetch per blob.

        git 2.39 has no way to ask "is this blob present?" without triggering the lazy fetch, so every
        wanted blob is requested; the scanner only asks for versions it has not parsed yet.
        """
        remote = self.promisor_remote()
        if remote is None:
            return
        wanted = sorted({b for b in blobs if b != ZERO_OID})
        for start in range(0, len(wanted), 5000):
            chunk = wanted[start : start + 5000]
            self.run(
                "-c", "fetch.negotiationAlgorithm=noop", "fetch", "--quiet", "--no-tags",
                "--no-write-fetch-head", "--recurse-submodules=no", "--filter=blob:none", "--stdin",
                remote, input_text="\n".join(chunk) + "\n",
            )  # fmt: skip

    def promisor_remote(self) -> str | None:
        """The remote a partial clone lazily fetches from, or None for a complete repository."""
        explicit = self.run("config", "--get", "extensions.partialclone", check=False).strip()
        if explicit:
            return explicit
        out = self.run("config", "--get-regexp", r"^remote\..*\.promisor$", check=False)
        for line in out.splitlines():
            key, _, value = line.partition(" ")
            if value.strip().lower() == "true":
                return key[len("remote.") : -len(".promisor")]
        return None

    def reader(self) -> BlobReader:
        if self._reader is None:
            self._reader = BlobReader(self.git_dir)
        return self._reader

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def __enter__(self) -> GitRepo:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class BlobReader:
    """One long-lived ``git cat-file --batch``: request many objects, read them back in order."""

    def __init__(self, git_dir: Path) -> None:
        self.git_dir = git_dir
        self._proc = subprocess.Popen(
            ["git", "--git-dir", str(git_dir), "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=_env(),
        )

    def read_many(self, oids: Sequence[str]) -> dict[str, bytes]:
        """Read ``oids``; GitError naming the first one that is missing or unreadable."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        result: dict[str, bytes] = {}
        # Write and read in chunks so neither pipe fills up and deadlocks.
        for start in range(0, len(oids), 200):
            chunk = oids[start : start + 200]
            try:
                self._proc.stdin.write("".join(f"{o}\n" for o in chunk).encode())
                self._proc.stdin.flush()
            except BrokenPipeError as exc:
                raise GitError(f"git cat-file died in {self.git_dir}") from exc
            for oid in chunk:
                header = self._proc.stdout.readline().decode()
                if not header:
                    raise GitError(f"git cat-file died reading {oid} in {self.git_dir} (corrupt object?)")
                bits = header.split()
                if len(bits) < 3 or bits[1] in ("missing", "ambiguous"):
                    raise GitError(f"object {oid} is missing or corrupt in {self.git_dir}")
                size = int(bits[2])
                data = self._proc.stdout.read(size)
                self._proc.stdout.read(1)
                result[oid] = data
        return result

    def close(self) -> None:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        if not self._proc.stdin.closed:
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._proc.stdout.close()


def source_refs(source: str) -> str | None:
    """Every ref of the local repository at ``source`` with what it points to, and where its HEAD points
    (``git ls-remote --symref``, as a fetch from it would see them), or None for a URL or a path git cannot
    read. Read through git's transport, never inside the path (its config is someone else's: see
    ``_owned_copy``), from a neutral directory."""
    if is_url(source):
        return None
    path = Path(source).expanduser().resolve()
    if not path.exists():
        return None
    proc = subprocess.run(
        ["git", "ls-remote", "--symref", "--", str(path)],
        capture_output=True,
        env=_env(),
        cwd="/",
        check=False,
    )
    if proc.returncode != 0:
        return None
    return proc.stdout.decode(errors="replace")


def open_repository(
    source: str, data_dir: Path, name: str, *, update: bool = True, pull_requests: bool | None = None
) -> GitRepo:
    """A readable repository for ``source``, always one LaunchGap owns.

    A URL is kept as a bare partial clone under ``data_dir/mirrors/<name>.git``, cloned once and fetched
    (with pruning, so force-pushes show) on later calls. A local path is never read in place: its config is
    someone else's (``remote.*.uploadpack``, ``core.fsmonitor``, hooks …) and git runs what a config names.
    It is copied to ``data_dir/local-copies/`` and synced at every call (see ``_owned_copy``).

    ``pull_requests``: True fetches the pull-request heads too (``refs/pull/N/head``: the source's own pull
    requests), False drops them (a fork's pull requests are not its upstream's), None leaves the copy as it is.
    """
    if not is_url(source):
        return _owned_copy(source, data_dir, name, update=update, pull_requests=pull_requests)
    mirror = Path(data_dir) / "mirrors" / f"{name}.git"
    if not (mirror / "HEAD").exists():
        mirror.parent.mkdir(parents=True, exist_ok=True)
        tmp = mirror.with_suffix(".partial")
        if tmp.exists():
            shutil.rmtree(tmp)
        proc = subprocess.run(
            ["git", "clone", "--bare", "--filter=blob:none", "--quiet", source, str(tmp)],
            capture_output=True,
            env=_env(),
            check=False,
        )
        if proc.returncode != 0:
            raise GitError(f"cannot clone {source}: {proc.stderr.decode(errors='replace').strip()}")
        repo = GitRepo(tmp)
        # Mirror every branch and tag as local refs; prune so a force-push or deleted branch shows.
        repo.run("config", "remote.origin.fetch", "+refs/heads/*:refs/heads/*")
        repo.run("config", "--add", "remote.origin.fetch", "+refs/tags/*:refs/tags/*")
        want_pull_requests(repo, pull_requests)
        if pull_requests:
            repo.run("fetch", "--quiet", "--prune", "--force", "origin")
            pack_pull_refs(repo)
        tmp.rename(mirror)
        return GitRepo(mirror)
    repo = GitRepo(mirror)
    changed = want_pull_requests(repo, pull_requests)
    if update or changed:
        repo.run("fetch", "--quiet", "--prune", "--force", "origin")
        pack_pull_refs(repo)
    return repo


def _owned_copy(
    source: str, data_dir: Path, name: str, *, update: bool, pull_requests: bool | None = None
) -> GitRepo:
    """A bare copy of the repository at ``source`` with a config LaunchGap wrote, synced from the path.

    The first copy is a local clone (objects copied or hard-linked, nothing of the source's config kept);
    each later call fetches from the path so moved or rewritten refs are followed. Fetching runs
    ``git-upload-pack`` as *our* config names it, and upload-pack neither runs hooks nor lazily fetches
    (git ≥ 2.39.4), so nothing the source's config names is ever executed. A path that is itself a partial
    clone cannot hand over the file versions it lacks: reading one is a GitError (missing object), never a
    fetch through the source's promisor remote.
    """
    path = Path(source).expanduser().resolve()
    if not path.exists():
        raise GitError(f"repository {source!r} does not exist")
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
    copy = Path(data_dir) / "local-copies" / f"{_safe_name(name)}-{digest}.git"
    if not (copy / "HEAD").exists():
        copy.parent.mkdir(parents=True, exist_ok=True)
        tmp = copy.with_suffix(".partial")
        if tmp.exists():
            shutil.rmtree(tmp)
        proc = subprocess.run(
            ["git", "clone", "--bare", "--local", "--quiet", "--", str(path), str(tmp)],
            capture_output=True,
            env=_env(),
            check=False,
        )
        if proc.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            raise GitError(
                f"{source!r} is not a git repository (or cannot be copied): "
                f"{proc.stderr.decode(errors='replace').strip()}"
            )
        repo = GitRepo(tmp)
        repo.run("config", "remote.origin.fetch", "+refs/heads/*:refs/heads/*")
        repo.run("config", "--add", "remote.origin.fetch", "+refs/tags/*:refs/tags/*")
        sync_pull_refs(repo, pull_requests)
        tmp.rename(copy)
        return GitRepo(copy)
    repo = GitRepo(copy)
    if update:
        repo.run("fetch", "--quiet", "--prune", "--force", "origin")
        _follow_source_head(repo)
    if update or pull_requests is not None:
        sync_pull_refs(repo, pull_requests)
    return repo


def _follow_source_head(repo: GitRepo) -> None:
    """Point the copy's HEAD where the source's HEAD points now (its default branch can change)."""
    out = repo.run("ls-remote", "--symref", "origin", "HEAD", check=False)
    for line in out.splitlines():
        target, _, what = line.partition("\t")
        if what == "HEAD" and target.startswith("ref: refs/heads/"):
            repo.run("symbolic-ref", "HEAD", target.removeprefix("ref: "))
            return
        if what == "HEAD" and re.fullmatch(r"[0-9a-f]{40,64}", target):
            repo.run("update-ref", "--no-deref", "HEAD", target)  # the source's HEAD is detached
            return


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name) or "repo"

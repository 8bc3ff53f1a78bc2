"""A fluent builder of small real git repositories in tmp dirs, for scanner tests.

    repo = RepoBuilder(tmp_path / "r").commit({"a.py": "..."}, at="2024-01-02T10:00:00Z", message="Add (#12)")
    repo.branch("releases/v1").commit({...}).tag("v1.0rc1", annotated=True, at=...).checkout("main")

Dates are exact (committer and author dates can differ), so tests can assert event times.
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

_DAY = timedelta(days=1)


def _iso(value: str | datetime) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")
    return value.replace("Z", "+0000")


class RepoBuilder:
    """A non-bare repository whose every commit, tag, branch and merge has controlled dates."""

    def __init__(self, path: Path, *, branch: str = "main") -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.git("init", "--quiet", f"--initial-branch={branch}")
        self.git("config", "user.name", "Test")
        self.git("config", "user.email", "test@example.invalid")
        self.git("config", "commit.gpgsign", "false")
        self.git("config", "tag.gpgsign", "false")
        self._clock = datetime(2024, 1, 1, tzinfo=UTC)

    def git(self, *args: str, env: dict[str, str] | None = None) -> str:
        full_env = {**os.environ, "LC_ALL": "C", **(env or {})}
        proc = subprocess.run(
            ["git", "-C", str(self.path), *args], capture_output=True, text=True, env=full_env, check=False
        )
        if proc.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)} failed: {proc.stderr}")
        return proc.stdout.strip()

    def _next(self, at: str | datetime | None) -> str:
        if at is None:
            self._clock = self._clock + _DAY
            return _iso(self._clock)
        return _iso(at)

    def commit(
        self,
        files: dict[str, str | None] | None = None,
        *,
        message: str = "change",
        at: str | datetime | None = None,
        author_at: str | datetime | None = None,
        move: dict[str, str] | None = None,
    ) -> RepoBuilder:
        """Write (``str``) or delete (``None``) files, optionally ``git mv`` some, and commit."""
        for src, dst in (move or {}).items():
            (self.path / dst).parent.mkdir(parents=True, exist_ok=True)
            self.git("mv", src, dst)
        for name, content in (files or {}).items():
            target = self.path / name
            if content is None:
                self.git("rm", "--quiet", name)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
            self.git("add", name)
        committed = self._next(at)
        authored = _iso(author_at) if author_at is not None else committed
        self.git(
            "commit", "--quiet", "--allow-empty", "-m", message,
            env={"GIT_COMMITTER_DATE": committed, "GIT_AUTHOR_DATE": authored},
        )  # fmt: skip
        return self

    def branch(self, name: str, start: str | None = None) -> RepoBuilder:
        """Create ``name`` (from ``start`` or HEAD) and switch to it."""
        self.git("checkout", "--quiet", "-b", name, *([start] if start else []))
        return self

    def checkout(self, name: str) -> RepoBuilder:
        self.git("checkout", "--quiet", name)
        return self

    def merge(
        self, name: str, *, at: str | datetime | None = None, message: str | None = None
    ) -> RepoBuilder:
        """A real merge commit (``--no-ff``) of ``name`` into the current branch."""
        when = self._next(at)
        self.git(
            "merge", "--quiet", "--no-ff", "-m", message or f"Merge {name}", name,
            env={"GIT_COMMITTER_DATE": when, "GIT_AUTHOR_DATE": when},
        )  # fmt: skip
        return self

    def tag(
        self, name: str, *, annotated: bool = False, at: str | datetime | None = None, ref: str = "HEAD"
    ) -> RepoBuilder:
        """A lightweight tag, or an annotated one whose tagger date is ``at``."""
        if annotated:
            when = self._next(at)
            self.git("tag", "-a", name, "-m", name, ref, env={"GIT_COMMITTER_DATE": when})
        else:
            self.git("tag", name, ref)
        return self

    def reset_hard(self, ref: str) -> RepoBuilder:
        """Rewrite the current branch to ``ref`` (the local half of a force-push)."""
        self.git("reset", "--quiet", "--hard", ref)
        return self

    def head(self, ref: str = "HEAD") -> str:
        return self.git("rev-parse", ref)

    def allow_filter(self) -> RepoBuilder:
        """Let partial clones from this repo work (without it git silently makes a full clone)."""
        self.git("config", "uploadpack.allowFilter", "true")
        self.git("config", "uploadpack.allowAnySHA1InWant", "true")
        return self

    @property
    def url(self) -> str:
        return self.path.resolve().as_uri()

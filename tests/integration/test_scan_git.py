"""The git layer: partial-clone mirrors, batched blob prefetch, first-parent walks, tags and trees."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from app.sources.git.repo import GitError, GitRepo, open_repository
from tests.fakes.repo_builder import RepoBuilder


def _missing(repo: GitRepo) -> int:
    out = subprocess.run(
        ["git", "--git-dir", str(repo.git_dir), "rev-list", "--objects", "--all", "--missing=print"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return sum(line.startswith("?") for line in out.splitlines())


def test_partial_mirror_fetches_blobs_in_one_batch(tmp_path: Path) -> None:
    upstream = RepoBuilder(tmp_path / "up").allow_filter()
    upstream.commit({"a.py": "A = 1\n"}).commit({"a.py": "A = 2\n", "b.py": "B\n"})
    mirror = open_repository(upstream.url, tmp_path / "data", "demo")
    assert mirror.git_dir == tmp_path / "data" / "mirrors" / "demo.git"
    assert mirror.promisor_remote() == "origin"
    blobs = [ch.new_blob for c in mirror.walk("main", ["*.py"]) for ch in c.changes]
    assert _missing(mirror) == 3  # no blobs until needed
    mirror.prefetch(blobs)
    assert _missing(mirror) == 0
    assert mirror.reader().read_many([blobs[0]])[blobs[0]] == b"A = 1\n"
    mirror.close()


def test_mirror_update_sees_new_commits_and_force_pushes(tmp_path: Path) -> None:
    upstream = RepoBuilder(tmp_path / "up").allow_filter()
    upstream.commit({"a.py": "1\n"}).commit({"a.py": "2\n"})
    open_repository(upstream.url, tmp_path / "data", "demo")
    upstream.reset_hard("HEAD~1").commit({"a.py": "3\n"})
    mirror = open_repository(upstream.url, tmp_path / "data", "demo")
    assert mirror.resolve("main") == upstream.head()


def test_walk_is_first_parent_with_merge_diffs_and_pr_numbers(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "r")
    repo.commit({"m/a.py": "a"}, message="Add a (#12)")
    repo.branch("feat").commit({"m/b.py": "b"}, message="side").commit({"m/b.py": "b2"}, message="side 2")
    repo.checkout("main").merge("feat", message="Merge feat (#13)")
    git = open_repository(str(repo.path), tmp_path, "r")
    commits = list(git.walk("main", ["m/**/*.py"]))
    assert [c.pr_number for c in commits] == [12, 13]
    assert [ch.path for ch in commits[1].changes] == ["m/b.py"]


def test_tags_dates_and_trees(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "r")
    repo.commit({"x.py": "x"}, at="2024-05-01T00:00:00Z").tag("light").tag(
        "ann", annotated=True, at="2024-06-01T00:00:00Z"
    )
    git = open_repository(str(repo.path), tmp_path, "r")
    tags = {t.name: (t.at.date().isoformat(), t.annotated) for t in git.tags()}
    assert tags == {"light": ("2024-05-01", False), "ann": ("2024-06-01", True)}
    assert list(git.list_trees([repo.head()], ["*.py"])[repo.head()]) == ["x.py"]


def test_bad_sources_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(GitError, match="does not exist"):
        open_repository(str(tmp_path / "none"), tmp_path, "x")
    (tmp_path / "plain").mkdir()
    with pytest.raises(GitError, match="not a git repository"):
        open_repository(str(tmp_path / "plain"), tmp_path, "x")
    with pytest.raises(GitError, match="cannot clone"):
        open_repository((tmp_path / "nowhere").as_uri(), tmp_path / "data", "x")


def test_a_scan_of_a_partial_mirror_fetches_only_the_signal_files_blobs(tmp_path: Path) -> None:
    """A multi-GB repository stays a partial clone: the scan fetches the blobs of the files its rules read
    (and of the version file), never the rest of the tree or history."""
    from app.sources.runtimes.catalog import get_runtime
    from app.sources.runtimes.scanner import Scanner

    upstream = RepoBuilder(tmp_path / "up").allow_filter()
    weights = "x" * 200_000
    upstream.commit(
        {
            "mlx_lm/models/llama.py": "class Model: ...\n",
            "mlx_lm/utils.py": 'MODEL_REMAPPING = {"mistral": "llama"}\n',
            "mlx_lm/_version.py": '__version__ = "0.1.0"\n',
            "assets/weights.bin": weights,
            "README.md": "readme\n",
        }
    ).tag("v0.1.0")
    upstream.commit({"mlx_lm/utils.py": 'MODEL_REMAPPING = {"mistral": "llama", "m2": "llama"}\n',
                     "assets/weights.bin": weights + "y", "docs/big.md": "z" * 100_000})  # fmt: skip
    mirror = open_repository(upstream.url, tmp_path / "data", "mlx-lm")
    signal_blobs = {
        line.split()[3]
        for line in upstream.git(
            "log", "--all", "--raw", "--no-abbrev", "--format=", "--", "mlx_lm"
        ).splitlines()
        if line.startswith(":")
    } - {"0" * 40}
    other_blobs = {
        line.split()[3]
        for line in upstream.git("log", "--all", "--raw", "--no-abbrev", "--format=", "--", "assets", "docs", "README.md").splitlines()
    }  # fmt: skip
    with mirror:
        outcome = Scanner(get_runtime("mlx-lm"), mirror).scan()
    assert outcome.events
    present = set(
        subprocess.run(
            ["git", "--git-dir", str(mirror.git_dir), "cat-file", "--batch-all-objects", "--batch-check=%(objectname)"],
            capture_output=True, text=True, check=True,
        ).stdout.split()
    )  # fmt: skip
    # every version of the model files, the remapping and the version file was read …
    assert {b for b in signal_blobs if b in present} == signal_blobs - _path_only(upstream)
    # … and not one byte of anything else
    assert not other_blobs & present
    assert mirror.promisor_remote() == "origin"


def _path_only(upstream: RepoBuilder) -> set[str]:
    """Blobs of files whose keys come from their path (mlx_lm/models/*.py): never read at all."""
    out = upstream.git("log", "--all", "--raw", "--no-abbrev", "--format=", "--", "mlx_lm/models")
    return {line.split()[3] for line in out.splitlines() if line.startswith(":")}

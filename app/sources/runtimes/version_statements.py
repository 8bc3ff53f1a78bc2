"""Version statements read from a runtime's files at one commit: which version of another runtime a model
needs, as the source says it (vLLM Recipes' ``model.min_vllm_version``)."""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.runtime_spec import VersionSource
from app.sources.git.repo import GitRepo
from app.sources.runtimes.extractors import read_recipe


@dataclass(frozen=True)
class StatedVersion:
    key: str
    """The model as the source names it."""
    min_version: str
    path: str
    evidence_url: str | None
    """The file at that commit on the repository's web host (None for a local copy without an upstream)."""


def read_version_statements(
    repo: GitRepo, commit: str, source: VersionSource, web_base: str | None = None
) -> list[StatedVersion]:
    """Every model's stated minimum version in ``source``'s files as of ``commit`` (files that state none,
    or do not parse, are skipped: one broken recipe must not hide the others). ``web_base``
    (``https://github.com/owner/name``) makes each statement's evidence link."""
    files = repo.list_tree(commit, list(source.globs))
    paths = sorted(files)
    repo.prefetch([files[p] for p in paths])
    blobs = repo.reader().read_many([files[p] for p in paths])
    statements: dict[str, StatedVersion] = {}
    for path in paths:
        recipe = read_recipe(blobs[files[path]])
        if recipe is not None and recipe.min_vllm_version:
            # two files naming one model: the first path in sorted order states it (stable across scans)
            url = f"{web_base}/blob/{commit}/{path}" if web_base else None
            statements.setdefault(
                recipe.model_id, StatedVersion(recipe.model_id, recipe.min_vllm_version, path, url)
            )
    return list(statements.values())

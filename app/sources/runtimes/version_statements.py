"""Statements read from a runtime's files at one commit about running a model on another runtime, as the
source says them: the minimum version it needs (vLLM Recipes' ``model.min_vllm_version``) and the container
images to run it with (``model.docker_image``, per vendor). They date nothing (docs/api.md, "Which version
do I need")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.domain.runtime_spec import VersionSource
from app.domain.vocabulary import StatementKind, Vendor
from app.sources.git.repo import GitRepo
from app.sources.runtimes.extractors import Recipe, read_recipe


@dataclass(frozen=True)
class RecipeImage:
    """One container image a recipe names in ``model.docker_image`` (docs/runtimes.md, "vLLM Recipes'
    statements")."""

    vendor: Vendor | None
    """Whose hardware it is for (None: the recipe names one image for every GPU it runs on)."""
    variant: str | None
    """A build the recipe names beside the vendor (``cu129``, ``cu130``), else None."""
    image: str


# A CUDA build's slug (``cu129``): the recipes key NVIDIA images by CUDA version, before (2026-04-23 ..
# 2026-08-20) or under (``nvidia: {cu130: …}``) the vendor slug.
_CUDA_SLUG = re.compile(r"cu\d+")


def recipe_images(value: object) -> tuple[RecipeImage, ...]:
    """The images of a recipe's ``model.docker_image``, in each shape the real history has used: one
    string (every vendor), a map by vendor slug (``amd``, ``nvidia``), by CUDA build (``cu129``: NVIDIA),
    or by vendor then CUDA build. An entry that is not an image name (empty, several words) is skipped."""
    if isinstance(value, str):
        image = _image_name(value)
        return (RecipeImage(None, None, image),) if image else ()
    if not isinstance(value, dict):
        return ()
    images: list[RecipeImage] = []
    for raw_slug, entry in value.items():
        slug = str(raw_slug).strip().lower()
        vendor, variant = _image_slug(slug)
        nested = entry.items() if isinstance(entry, dict) else [(None, entry)]
        for build, named in nested:
            image = _image_name(named) if isinstance(named, str) else None
            if image:
                inner = str(build).strip().lower() if build is not None else None
                images.append(RecipeImage(vendor, inner or variant, image))
    return tuple(images)


def _image_slug(slug: str) -> tuple[Vendor | None, str | None]:
    if slug in set(Vendor):
        return Vendor(slug), None
    if _CUDA_SLUG.fullmatch(slug):
        return Vendor.NVIDIA, slug
    return None, slug  # a slug no recipe has used yet: kept as a variant, for no vendor in particular


def _image_name(text: str) -> str | None:
    # a hardware override once wrote the command ("docker pull vllm/vllm-openai-rocm:nightly")
    image = text.strip().removeprefix("docker pull ").strip()
    return image if image and not any(c.isspace() for c in image) else None


@dataclass(frozen=True)
class StatedVersion:
    """One statement of one file: ``kind`` says what ``value`` is (a version, an image name)."""

    key: str
    """The model as the source names it."""
    value: str
    path: str
    evidence_url: str | None
    """The file at that commit on the repository's web host (None for a local copy without an upstream)."""
    kind: StatementKind = StatementKind.MIN_VERSION
    vendor: Vendor | None = None
    """Whose hardware the statement is for (None: every vendor)."""
    variant: str | None = None
    """A build the source names beside the vendor (``cu129``), else None."""

    def identity(self) -> tuple[str, str, str, str]:
        """What one model has at most one of per source: a kind, for a vendor and a build."""
        return (self.key, self.kind, self.vendor or "", self.variant or "")


def recipe_statements(recipe: Recipe, path: str, url: str | None) -> list[StatedVersion]:
    """What one recipe states: its minimum vLLM version and its images."""
    out = []
    if recipe.min_vllm_version:
        out.append(StatedVersion(recipe.model_id, recipe.min_vllm_version, path, url))
    for image in recipe_images(recipe.docker_image):
        out.append(
            StatedVersion(
                recipe.model_id, image.image, path, url, StatementKind.IMAGE, image.vendor, image.variant
            )
        )
    return out


def read_version_statements(
    repo: GitRepo, commit: str, source: VersionSource, web_base: str | None = None
) -> list[StatedVersion]:
    """Every model's statements in ``source``'s files as of ``commit`` (files that state none, or do not
    parse, are skipped: one broken recipe must not hide the others). ``web_base``
    (``https://github.com/owner/name``) makes each statement's evidence link."""
    files = repo.list_tree(commit, list(source.globs))
    paths = sorted(files)
    repo.prefetch([files[p] for p in paths])
    blobs = repo.reader().read_many([files[p] for p in paths])
    statements: dict[str, list[StatedVersion]] = {}
    for path in paths:
        recipe = read_recipe(blobs[files[path]])
        if recipe is None:
            continue
        url = f"{web_base}/blob/{commit}/{path}" if web_base else None
        stated = recipe_statements(recipe, path, url)
        # two files naming one model: the first path in sorted order that states anything states it all
        # (stable across scans, and a model's minimum and images always come from one file)
        if stated:
            statements.setdefault(recipe.model_id, stated)
    return [s for stated in statements.values() for s in stated]

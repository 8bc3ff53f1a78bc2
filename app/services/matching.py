"""Matching releases to support keys, for every key kind a runtime registers (PRODUCT.md: Support key).

- ``architecture`` and ``model_type`` come straight from the model's config.
- ``gguf_architecture``: llama.cpp names architectures its own way (``deepseek2`` for DeepSeek V3); the
  table taking an HF architecture to its GGUF name is read from llama.cpp's converter when llama.cpp is
  scanned (``key_mappings``), never typed by hand.
- ``model_name``: docs tables use human names ("DeepSeek-V4-Flash"); they are matched to repo names after
  normalisation, with manual overrides (``app/data/model_name_overrides.csv``). A docs name that fits several releases equally well is reported as
  ambiguous and matched to none, never guessed.
- ``repo_id``: recipes name the repo itself.

Everything here is pure: the loaders in ``gaps.py`` pass in what they read from the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

_SEPARATORS = re.compile(r"[^a-z0-9.]+")


def normalise_name(name: str) -> str:
    """Lower case, the repo name only, separators unified: "DeepSeek V4 Flash" == "deepseek-ai/DeepSeek-V4-Flash"."""
    name = name.rsplit("/", 1)[-1].lower()
    return "-".join(part for part in _SEPARATORS.split(name) if part)


def gguf_architecture(architecture: str | None, table: Mapping[str, str] | None) -> str | None:
    """The GGUF architecture llama.cpp uses for an HF architecture class, or None when unknown."""
    if not architecture or not table:
        return None
    return table.get(architecture)


@dataclass(frozen=True)
class NameMatch:
    """The docs model name matched to one release, or why none was."""

    key: str | None
    ambiguous: tuple[str, ...] = ()
    """Docs names that fit equally well: reported, not guessed."""


@dataclass
class NameMatcher:
    """Match docs model names to repos: override, then exact normalised name, then the longest docs name
    that is a whole-token prefix of the repo name ("DeepSeek-V3" covers "DeepSeek-V3-0324")."""

    doc_names: Iterable[str]
    overrides: Mapping[str, str] = field(default_factory=dict)
    """repo id → docs name; an empty docs name means "never matches"."""

    def __post_init__(self) -> None:
        self._by_norm: dict[str, list[str]] = {}
        for name in self.doc_names:
            self._by_norm.setdefault(normalise_name(name), []).append(name)

    def match(self, repo_id: str) -> NameMatch:
        if repo_id in self.overrides:
            return NameMatch(self.overrides[repo_id] or None)
        norm = normalise_name(repo_id)
        exact = self._by_norm.get(norm)
        if exact:
            return NameMatch(exact[0]) if len(exact) == 1 else NameMatch(None, tuple(sorted(exact)))
        best: list[str] = []
        best_len = 0
        for doc_norm, names in self._by_norm.items():
            if norm.startswith(doc_norm + "-") and len(doc_norm) >= best_len:
                if len(doc_norm) > best_len:
                    best, best_len = [], len(doc_norm)
                best.extend(names)
        if len(best) == 1:
            return NameMatch(best[0])
        return NameMatch(None, tuple(sorted(best)))


def release_keys(
    *,
    repo_id: str,
    architecture: str | None,
    model_type: str | None,
    names: NameMatcher | None = None,
    gguf_table: Mapping[str, str] | None = None,
) -> tuple[dict[str, str], tuple[str, ...]]:
    """The key a release offers per key kind, and the docs names that matched it ambiguously."""
    keys: dict[str, str] = {"repo_id": repo_id}
    if architecture:
        keys["architecture"] = architecture
        gguf = gguf_architecture(architecture, gguf_table)
        if gguf:
            keys["gguf_architecture"] = gguf
    if model_type:
        keys["model_type"] = model_type
    ambiguous: tuple[str, ...] = ()
    if names is not None:
        found = names.match(repo_id)
        if found.key:
            keys["model_name"] = found.key
        ambiguous = found.ambiguous
    return keys, ambiguous

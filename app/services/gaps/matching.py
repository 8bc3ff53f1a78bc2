"""Matching releases to support keys, for every key kind a runtime registers (docs/concepts.md: "Support key").

- ``architecture`` and ``model_type`` come straight from the model's config.
- ``gguf_architecture``: llama.cpp names architectures its own way (``deepseek2`` for DeepSeek V3); the
  table taking an HF architecture to its GGUF name is read from llama.cpp's converter when llama.cpp is
  scanned (``key_mappings``), never typed by hand.
- ``model_name``: docs tables use human names ("DeepSeek-V4-Flash"); they are matched to repo names after
  normalisation, with manual overrides (``app/data/model_name_overrides.csv``). Spellings that normalise
  alike ("DeepSeek-V4-Flash" in a tutorial title, "DeepSeek V4-Flash" in the table) are one name: support
  is looked up by the normalised name (``support_keys``), so the earliest event of any spelling wins. A
  slash lists several models: "DeepSeek V3/3.1" is DeepSeek V3 and DeepSeek V3.1.
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


_PAREN_LIST = re.compile(r"\(([^()]*/[^()]*)\)")
_TRAILING_VERSION = re.compile(r"^(.*?)(\d+(?:\.\d+)*)$")


def listed_models(name: str) -> list[str]:
    """The models a docs name lists (a slash separates them), each spelled in full.

    A part that is a bare version completes the name before it ("DeepSeek V3/3.1" → DeepSeek V3,
    DeepSeek V3.1; "Llama2/3/3.1" → Llama2, Llama3, Llama3.1); a part that starts with a letter is a
    name of its own ("Kimi-K2.5/Kimi-K2.6"); a list in brackets expands in place ("DeepSeek Distill
    (Qwen/Llama)" → DeepSeek Distill Qwen, DeepSeek Distill Llama). A bare version with nothing to
    complete is dropped rather than read as a model called "3.1".
    """
    bracket = _PAREN_LIST.search(name)
    if bracket:
        head, tail = name[: bracket.start()], name[bracket.end() :]
        return [
            " ".join(f"{head}{part.strip()}{tail}".split())
            for part in bracket.group(1).split("/")
            if part.strip()
        ]
    models: list[str] = []
    for part in (p.strip() for p in name.split("/")):
        if not part:
            continue
        if part[0].isdigit():
            stem = _TRAILING_VERSION.match(models[-1]) if models else None
            if stem and stem.group(1):
                models.append(stem.group(1) + part)
            continue
        models.append(part)
    return models


def support_keys(kind: str, key: str) -> tuple[str, ...]:
    """The keys support is indexed and looked up by: a docs name's normalised listed models, else the key.

    Normalising both sides makes every spelling of one model the same key, so the earliest event of any
    spelling is that model's support."""
    if kind != "model_name":
        return (key,)
    return tuple(dict.fromkeys(n for n in map(normalise_name, listed_models(key)) if n))


def gguf_architecture(architecture: str | None, table: Mapping[str, str] | None) -> str | None:
    """The GGUF architecture llama.cpp uses for an HF architecture class, or None when unknown."""
    if not architecture or not table:
        return None
    return table.get(architecture)


@dataclass(frozen=True)
class NameMatch:
    """The docs model name matched to one release (None: no docs name fits)."""

    key: str | None


@dataclass
class NameMatcher:
    """Match docs model names to repos: override, then exact normalised name, then the longest docs name
    that is a whole-token prefix of the repo name ("DeepSeek-V3" covers "DeepSeek-V3-0324").

    Names are the models the docs names list (``listed_models``), grouped by normalised form: two spellings
    of one model are one name, so no match is ambiguous. The name returned is the group's first spelling
    in sorted order (a stable display name; support is looked up by the normalised form)."""

    doc_names: Iterable[str]
    overrides: Mapping[str, str] = field(default_factory=dict)
    """repo id → docs name; an empty docs name means "never matches"."""

    def __post_init__(self) -> None:
        spellings: dict[str, set[str]] = {}
        for name in self.doc_names:
            for model in listed_models(name):
                norm = normalise_name(model)
                if norm:
                    spellings.setdefault(norm, set()).add(model)
        self._by_norm: dict[str, str] = {norm: min(names) for norm, names in spellings.items()}

    def match(self, repo_id: str) -> NameMatch:
        norm = normalise_name(repo_id)
        if repo_id in self.overrides:
            override = self.overrides[repo_id]
            if not override:
                return NameMatch(None)
            listed = {normalise_name(m): m for m in listed_models(override)}
            found = _best(norm, listed)
            return NameMatch(found or next(iter(listed.values()), None))
        return NameMatch(_best(norm, self._by_norm))


def _best(norm: str, names: Mapping[str, str]) -> str | None:
    """The name whose normalised form is the repo's, else the longest that is a whole-token prefix of it."""
    if norm in names:
        return names[norm]
    best = max((n for n in names if norm.startswith(n + "-")), key=len, default=None)
    return names[best] if best is not None else None


def release_keys(
    *,
    repo_id: str,
    architecture: str | None,
    model_type: str | None,
    names: NameMatcher | None = None,
    gguf_table: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The key a release offers per key kind."""
    keys: dict[str, str] = {"repo_id": repo_id}
    if architecture:
        keys["architecture"] = architecture
        gguf = gguf_architecture(architecture, gguf_table)
        if gguf:
            keys["gguf_architecture"] = gguf
    if model_type:
        keys["model_type"] = model_type
    if names is not None:
        found = names.match(repo_id)
        if found.key:
            keys["model_name"] = found.key
    return keys

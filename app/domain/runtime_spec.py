"""The runtime catalog's types: a runtime, its signals and their file eras, its release rules, the audit's
known findings and the version sources (the catalog's data, one ``RuntimeSpec`` per runtime, lives in
``app/sources/runtimes/catalog.py``; docs/runtimes.md).

Entry points name these types from here: they never import ``app.sources``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import cached_property
from typing import TYPE_CHECKING

from app.domain.vocabulary import KeyKind, Stage, Vendor

if TYPE_CHECKING:
    from app.sources.runtimes.extractors import Extractor


class UnknownRuntimeError(KeyError):
    """A runtime name that is not in the catalog."""

    def __init__(self, name: str, known: Iterable[str]) -> None:
        super().__init__(name, tuple(sorted(known)))

    def __str__(self) -> str:
        return f"unknown runtime {self.args[0]!r}; known runtimes: {', '.join(self.args[1])}"


def glob_to_regex(glob: str) -> str:
    """git ``:(glob)`` semantics: ``*`` stays within a directory; ``**/`` and a trailing ``/**`` cross them."""
    out = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i) and i + 2 == len(glob) and glob[i - 1 : i] == "/":
            out.append(".*")  # a trailing "/**" matches everything inside
            i += 2
        elif glob.startswith("**", i):
            out.append("[^/]*")  # git treats other consecutive asterisks as one
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return "".join(out)


@dataclass(frozen=True)
class Era:
    """Files that carried registrations during one period, and how to read them."""

    globs: tuple[str, ...]
    extractor: Extractor
    exclude: tuple[str, ...] = ()
    period: str = ""
    """Documentation only (e.g. ``2023-06..2023-12``): the globs decide, never dates — except ``until``."""
    until: date | None = None
    """The first UTC day this era is no longer read, for a source that changed format but kept the old files
    (vLLM Recipes' Markdown guides beside the YAML catalog): from the first walked commit on that day on,
    its files count as gone — what only they stated is removed there, once — and later versions are ignored."""
    confidence: str = "high"
    """Confidence of the events this era's files add (a guide that says it ran on a GPU is weaker evidence
    than a catalog's explicit ``verified``)."""

    @cached_property
    def ends_at(self) -> datetime | None:
        """``until`` as an instant (its UTC midnight), built once: commit times are compared with it."""
        return None if self.until is None else datetime.combine(self.until, time(), tzinfo=UTC)

    def read_at(self, at: datetime | None) -> bool:
        """Whether a file version committed at ``at`` is read under this era (None: no time bound asked)."""
        return self.ends_at is None or at is None or at < self.ends_at

    @cached_property
    def _regex(self) -> re.Pattern[str]:
        return re.compile("|".join(f"(?:{glob_to_regex(g)})" for g in self.globs) + r"\Z")

    @cached_property
    def _exclude(self) -> re.Pattern[str] | None:
        if not self.exclude:
            return None
        return re.compile("|".join(f"(?:{glob_to_regex(g)})" for g in self.exclude) + r"\Z")

    def matches(self, path: str) -> bool:
        if not self._regex.match(path):
            return False
        return not (self._exclude and self._exclude.match(path))


@dataclass(frozen=True)
class Signal:
    """One kind of evidence a runtime gives (code registry, docs table, recipes …) with its eras."""

    name: str
    key_kind: KeyKind
    eras: tuple[Era, ...]
    stage: Stage = Stage.MERGED
    """``merged`` for code (also judged for ``released``/``branch``), ``documented`` or ``verified``."""
    provenance: str = "git"
    exclude_keys: tuple[str, ...] = ()
    """Regexes (full match) of keys that are never registrations (helpers, placeholders)."""
    renamed_keys: tuple[tuple[str, str], ...] = ()
    """(old, new) names a project renamed: the old spelling counts as the new key, so a rename is no
    event and the earlier registrations date the key. Only names the project itself renamed: a blanket
    rewrite would corrupt real dashed keys (the Hub's ``xlm-roberta``, ``deberta-v2``)."""
    coverage_start: date | None = None
    """The first day this source can say anything (a catalog that began mid-way): for models released
    before it, no event is not evidence of no support. None: the source covers its whole history."""

    def __post_init__(self) -> None:
        if self.key_kind not in set(KeyKind):
            raise ValueError(f"signal {self.name}: unknown key kind {self.key_kind!r}")
        if not Stage(self.stage).walked:
            raise ValueError(f"signal {self.name}: a walked signal's stage is merged, documented or verified")

    @cached_property
    def globs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(g for era in self.eras for g in era.globs))

    @cached_property
    def has_ending_era(self) -> bool:
        return any(era.until is not None for era in self.eras)

    @cached_property
    def _excluded(self) -> re.Pattern[str] | None:
        return re.compile("|".join(f"(?:{k})" for k in self.exclude_keys)) if self.exclude_keys else None

    def keeps(self, key: str) -> bool:
        return not (self._excluded and self._excluded.fullmatch(key))

    @cached_property
    def _renames(self) -> dict[str, str]:
        return dict(self.renamed_keys)

    def normalize(self, key: str) -> str:
        return self._renames.get(key, key)

    @property
    def coverage_start_at(self) -> datetime | None:
        """``coverage_start`` as the aware UTC instant it begins."""
        start = self.coverage_start
        return datetime(start.year, start.month, start.day, tzinfo=UTC) if start else None


@dataclass(frozen=True)
class ReleaseRules:
    """How a runtime releases: tags matching ``tag_pattern``, and/or version bumps of a file on main."""

    tag_pattern: str = r"^v?\d+\.\d+"
    prerelease_pattern: str = r"(?i)(rc|alpha|beta|dev|pre|post\d*\.dev|\d(?:a|b)\d)"
    version_file: str = ""
    version_pattern: str = ""
    version_mode: str = "release"
    """``release``: the first commit with a new version is the release; ``next_dev``: main moving from
    ``X.dev0`` to the next dev version implies X was released then (transformers)."""
    earlier_version_files: tuple[tuple[str, str], ...] = ()
    """(path, pattern) of files that held the version before ``version_file``, newest first."""

    @property
    def version_files(self) -> tuple[tuple[str, str], ...]:
        """Every (path, pattern) that held the version, newest first (empty without version bumps)."""
        if not self.version_file:
            return ()
        return ((self.version_file, self.version_pattern), *self.earlier_version_files)

    def is_release_tag(self, name: str) -> bool:
        return bool(re.search(self.tag_pattern, name))

    def is_prerelease(self, name: str) -> bool:
        return bool(re.search(self.prerelease_pattern, name))


@dataclass(frozen=True)
class Expected:
    """An audit finding that is known and explained (``launchgap catalog audit``).

    ``finding`` is a regex matched in full against finding ids such as ``silence:registry:2:1a2b3c4d5e6f``,
    ``flap:models:qwen3:…``, ``drop:…``, ``moved:…``, ``era_unseen:…``, ``tag_unmatched:v0.4.3_rocm``,
    ``tag_not_release:…``, ``tag_before_version:…``, ``version_silence:…``, ``dead_keys:<signal>`` (see ``audit.py``).
    """

    finding: str
    reason: str

    def __post_init__(self) -> None:
        re.compile(self.finding)
        if not self.reason.strip() or "\n" in self.reason:
            raise ValueError(f"expected finding {self.finding!r}: the reason is one non-empty line")

    def explains(self, finding_id: str) -> bool:
        return re.fullmatch(self.finding, finding_id) is not None


@dataclass(frozen=True)
class RuntimeSpec:
    """A catalog runtime: where its history lives, what it registers, whom it counts for."""

    name: str
    display_name: str
    repo_url: str
    default_branch: str
    vendors: tuple[Vendor, ...]
    hardware: tuple[str, ...]
    signals: tuple[Signal, ...]
    releases: ReleaseRules | None = field(default_factory=ReleaseRules)
    branch_patterns: tuple[str, ...] = ()
    notes: str = ""
    audit_expected: tuple[Expected, ...] = ()
    """Audit findings that are not drift, each with its one-line reason (the rest fail the audit)."""
    defines_gguf_mapping: bool = False
    """Its converter declares which GGUF architecture each HF architecture becomes (llama.cpp)."""

    def __post_init__(self) -> None:
        unknown = [v for v in self.vendors if v not in set(Vendor)]
        if unknown:
            raise ValueError(f"{self.name}: unknown vendors {unknown}")
        names = [s.name for s in self.signals]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: duplicate signal names")

    def explain(self, finding_id: str) -> str | None:
        """The declared reason for an audit finding, None when it is unexplained."""
        return next((e.reason for e in self.audit_expected if e.explains(finding_id)), None)

    def signal(self, name: str) -> Signal:
        for signal in self.signals:
            if signal.name == name:
                return signal
        raise KeyError(f"{self.name} has no signal {name!r}")

    def branch_matches(self, branch: str) -> bool:
        return any(re.fullmatch(glob_to_regex(p), branch) for p in self.branch_patterns)


@dataclass(frozen=True)
class VersionSource:
    """Files of a runtime that state which version of another runtime a model needs (read at the scanned
    head, stored as statements: they date nothing)."""

    globs: tuple[str, ...]
    of_runtime: str
    """The runtime whose version the files state."""
    key_kind: KeyKind

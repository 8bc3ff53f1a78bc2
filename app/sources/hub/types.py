"""Our own view of a Hub model: a frozen dataclass parsed leniently from a list or model_info item.

The Hub's payload grows over time and ``expand`` returns only what was asked for, so unknown keys are
ignored and optional keys of the wrong type are dropped with a note (``problems``) instead of failing the
whole page. ``_id`` and ``id`` are required: without them a model cannot be keyed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from app.domain.text import has_control_characters
from app.sources.hub.errors import HubBadResponse

# The Hub's namespace/name rules, loosely: letters, digits, '-', '_', '.'; no '..' or leading '-'/'.'.
_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?"
REPO_ID_RE = re.compile(rf"^{_NAME}/{_NAME}$")
ORG_RE = re.compile(rf"^{_NAME}$")
OBJECT_ID_RE = re.compile(r"^[0-9a-f]{24}$")

# base_model:<relation>:<repo> tags; a bare base_model:<repo> tag carries no relation.
BASE_MODEL_RELATIONS = ("finetune", "quantized", "adapter", "merge")

# Fields asked for with ``expand`` on every list and model_info call. Each one is stored.
EXPAND_FIELDS: tuple[str, ...] = (
    "author",
    "createdAt",
    "lastModified",
    "private",
    "gated",
    "disabled",
    "config",
    "safetensors",
    "tags",
    "library_name",
    "pipeline_tag",
    "sha",
    "downloads",
    "likes",
)


# What is read from one Hub item, at most (docs/operations.md, "Bounds on hostile input"). Real values are far
# inside: architectures are class names of a few dozen characters, one or two per model; model types are
# short identifiers; tags number a few dozen (hundreds for massively multilingual models). A value out of
# bounds, or holding NUL or another control character, is dropped with a problem recorded on the model, so
# one hostile item can neither fail a poll nor multiply into the gap rows keyed on it.
MAX_ARCHITECTURES = 8
MAX_KEY_CHARS = 100
"""An architecture or model type (the gap rows' keys; ``models.model_type`` is ``varchar(100)``)."""
MAX_TAGS = 500
MAX_TAG_CHARS = 300
"""A tag (``base_model:quantized:<namespace>/<name>`` stays well inside)."""
MAX_NAME_CHARS = 64
"""Library name, pipeline tag, quantisation method, sha, dtype names (``varchar(64)`` columns)."""


def _bad_text(value: str, limit: int) -> str | None:
    """Why ``value`` cannot be kept (too long, control characters), or None."""
    if len(value) > limit:
        return f"{len(value)} characters (at most {limit})"
    if has_control_characters(value):
        return "NUL or control characters"
    return None


def _shown(value: object, limit: int = 80) -> str:
    """A value from the Hub as quoted in a problem: its repr (control characters escaped), cut short."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


class InvalidName(ValueError):
    """A repo id or org name that the Hub could never accept; refused before any request."""


def check_repo_id(repo_id: str) -> str:
    """Return ``repo_id`` if it is a valid ``namespace/name``, else raise ``InvalidName``."""
    if not isinstance(repo_id, str) or not REPO_ID_RE.match(repo_id) or ".." in repo_id:
        raise InvalidName(f"invalid Hub repo id {repo_id!r}: expected 'namespace/name'")
    return repo_id


def check_org(org: str) -> str:
    """Return ``org`` if it is a valid Hub namespace, else raise ``InvalidName``."""
    if not isinstance(org, str) or not ORG_RE.match(org) or ".." in org:
        raise InvalidName(f"invalid Hub org name {org!r}")
    return org


def created_at_from_object_id(hub_id: str) -> datetime:
    """The creation time encoded in a Hub ``_id`` (a Mongo ObjectId: its first 4 bytes are Unix seconds)."""
    return datetime.fromtimestamp(int(hub_id[:8], 16), tz=UTC)


def parse_hub_time(value: str) -> datetime:
    """Parse the Hub's ISO-8601 UTC timestamps (``2024-07-18T08:56:00.000Z``) into aware datetimes."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


@dataclass(frozen=True)
class HubModel:
    """One Hub model repository as LaunchGap sees it."""

    hub_id: str
    repo_id: str
    created_at: datetime
    private: bool = False
    gated: str = "false"
    disabled: bool = False
    last_modified: datetime | None = None
    architectures: tuple[str, ...] = ()
    model_type: str | None = None
    auto_map: bool = False
    quant_method: str | None = None
    parameters: int | None = None
    parameters_by_dtype: tuple[tuple[str, int], ...] = ()
    tags: tuple[str, ...] = ()
    base_models: tuple[tuple[str, str], ...] = ()
    """(relation, repo_id) pairs from ``base_model:*`` tags; relation is '' when the tag gives none."""
    library_name: str | None = None
    pipeline_tag: str | None = None
    sha: str | None = None
    downloads: int | None = None
    """The Hub's recent-downloads figure (last 30 days); None when the item did not carry it."""
    likes: int | None = None
    problems: tuple[str, ...] = field(default=(), compare=False)

    @property
    def org(self) -> str:
        return self.repo_id.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.repo_id.split("/", 1)[1]

    @property
    def base_model_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(repo for _, repo in self.base_models))

    @classmethod
    def from_api(cls, item: Any) -> HubModel:
        """Parse one JSON object from ``/api/models`` or ``/api/models/{repo_id}``.

        Raises ``HubBadResponse`` when the item cannot be keyed (no valid ``_id`` / ``id``).
        """
        if not isinstance(item, dict):
            raise HubBadResponse(f"model item is a {type(item).__name__}, not an object")
        hub_id = item.get("_id")
        repo_id = item.get("id", item.get("modelId"))
        if not isinstance(hub_id, str) or not OBJECT_ID_RE.match(hub_id):
            raise HubBadResponse(f"model item {_shown(repo_id)} has no valid '_id' (got {_shown(hub_id)})")
        if not isinstance(repo_id, str) or not REPO_ID_RE.match(repo_id):
            raise HubBadResponse(f"model item {hub_id} has an invalid 'id' {_shown(repo_id)}")
        problems: list[str] = []

        def typed(key: str, kind: type | tuple[type, ...], container: dict[str, Any] = item) -> Any:
            value = container.get(key)
            if value is None:
                return None
            if isinstance(value, kind) and not (kind is not bool and isinstance(value, bool)):
                return value
            problems.append(f"{repo_id}: ignored '{key}' of unexpected type {type(value).__name__}")
            return None

        def bounded(key: str, value: Any, limit: int = MAX_NAME_CHARS) -> str | None:
            if not isinstance(value, str):
                return None
            why = _bad_text(value, limit)
            if why is None:
                return value
            problems.append(f"{repo_id}: dropped '{key}': {why}")
            return None

        created_raw = typed("createdAt", str)
        created_at = created_at_from_object_id(hub_id)
        if created_raw is not None:
            try:
                created_at = parse_hub_time(created_raw)
            except ValueError:
                problems.append(
                    f"{repo_id}: unparseable createdAt {_shown(created_raw)}; used the _id timestamp"
                )
        last_modified = None
        if (lm := typed("lastModified", str)) is not None:
            try:
                last_modified = parse_hub_time(lm)
            except ValueError:
                problems.append(f"{repo_id}: unparseable lastModified {_shown(lm)}")

        gated_raw = item.get("gated")
        gated = "false"
        if gated_raw in (False, None):
            gated = "false"
        elif gated_raw is True:
            gated = "true"
        elif isinstance(gated_raw, str):
            gated = bounded("gated", gated_raw, 16) or "false"
        else:
            problems.append(f"{repo_id}: ignored 'gated' of unexpected type {type(gated_raw).__name__}")

        config = typed("config", dict) or {}
        architectures: tuple[str, ...] = ()
        arch_raw = config.get("architectures")
        if isinstance(arch_raw, list) and all(isinstance(a, str) for a in arch_raw):
            kept = [a for a in arch_raw if bounded("config.architectures", a, MAX_KEY_CHARS) is not None]
            if len(kept) > MAX_ARCHITECTURES:
                problems.append(
                    f"{repo_id}: dropped {len(kept) - MAX_ARCHITECTURES} of {len(kept)} architectures "
                    f"(at most {MAX_ARCHITECTURES})"
                )
            architectures = tuple(kept[:MAX_ARCHITECTURES])
        elif arch_raw is not None:
            problems.append(f"{repo_id}: ignored 'config.architectures' of unexpected shape")
        model_type = bounded("config.model_type", typed("model_type", str, config), MAX_KEY_CHARS)
        auto_map = isinstance(config.get("auto_map"), dict) and bool(config["auto_map"])
        quant = config.get("quantization_config")
        quant_method = bounded("quant_method", quant.get("quant_method")) if isinstance(quant, dict) else None

        parameters = None
        by_dtype: tuple[tuple[str, int], ...] = ()
        safetensors = typed("safetensors", dict)
        if safetensors is not None:
            total = safetensors.get("total")
            if isinstance(total, int) and not isinstance(total, bool) and total >= 0:
                parameters = total
            params = safetensors.get("parameters")
            if isinstance(params, dict):
                by_dtype = tuple(
                    sorted(
                        (k, v)
                        for k, v in params.items()
                        if isinstance(v, int) and not isinstance(v, bool) and _bad_text(k, 16) is None
                    )
                )[:MAX_ARCHITECTURES]
            if parameters is None and by_dtype:
                parameters = sum(v for _, v in by_dtype)

        tags_raw = typed("tags", list) or []
        strings = [t for t in tags_raw if isinstance(t, str)]
        if len(strings) != len(tags_raw):
            problems.append(f"{repo_id}: ignored non-string tags")
        clean = [t for t in strings if _bad_text(t, MAX_TAG_CHARS) is None]
        if len(clean) != len(strings):
            problems.append(
                f"{repo_id}: dropped {len(strings) - len(clean)} tag(s) over {MAX_TAG_CHARS} characters "
                "or with control characters"
            )
        if len(clean) > MAX_TAGS:
            problems.append(
                f"{repo_id}: dropped {len(clean) - MAX_TAGS} of {len(clean)} tags (at most {MAX_TAGS})"
            )
        tags = tuple(clean[:MAX_TAGS])
        base_models = tuple(dict.fromkeys(_base_models_from_tags(tags)))

        def count(key: str) -> int | None:
            value = typed(key, int)
            if value is not None and value < 0:
                problems.append(f"{repo_id}: ignored negative '{key}' {value}")
                return None
            return value

        return cls(
            hub_id=hub_id,
            repo_id=repo_id,
            created_at=created_at,
            private=bool(typed("private", bool) or False),
            gated=gated,
            disabled=bool(typed("disabled", bool) or False),
            last_modified=last_modified,
            architectures=architectures,
            model_type=model_type,
            auto_map=auto_map,
            quant_method=quant_method if isinstance(quant_method, str) else None,
            parameters=parameters,
            parameters_by_dtype=by_dtype,
            tags=tags,
            base_models=base_models,
            library_name=bounded("library_name", typed("library_name", str)),
            pipeline_tag=bounded("pipeline_tag", typed("pipeline_tag", str)),
            sha=bounded("sha", typed("sha", str)),
            downloads=count("downloads"),
            likes=count("likes"),
            problems=tuple(problems),
        )


def _base_models_from_tags(tags: tuple[str, ...]) -> list[tuple[str, str]]:
    found = []
    for tag in tags:
        if not tag.startswith("base_model:"):
            continue
        rest = tag.removeprefix("base_model:")
        relation, _, repo = rest.partition(":")
        if repo and relation in BASE_MODEL_RELATIONS and REPO_ID_RE.match(repo):
            found.append((relation, repo))
        elif not repo and REPO_ID_RE.match(rest):
            found.append(("", rest))
    # A bare tag and a relation tag name the same base; keep the one with the relation.
    with_relation = {repo for rel, repo in found if rel}
    return [(rel, repo) for rel, repo in found if rel or repo not in with_relation]


@dataclass(frozen=True)
class HubListing:
    """Every model the Hub listed for one org in one cycle.

    ``complete`` is True only when every page was read; ``error`` says why a listing stopped early
    (the pages read before it are kept). ``rejected`` holds items that could not be keyed.
    """

    org: str
    models: tuple[HubModel, ...]
    complete: bool
    pages: int
    error: Exception | None = None
    rejected: tuple[str, ...] = ()


@dataclass(frozen=True)
class ListingPage:
    """One page of the whole Hub's listing (the firehose): each item parsed, with the Hub's own JSON (kept
    until the item is classified), and the next page's URL (None on the last page)."""

    items: tuple[tuple[HubModel, dict[str, Any]], ...]
    next_url: str | None
    rejected: int = 0

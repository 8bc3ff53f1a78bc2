"""The snapshot file: what LaunchGap knows about runtime support, in one versioned, compressed file.

Format (``docs/data.md`` documents it for readers): gzip of UTF-8 JSON Lines. The first line is the header
``{"format": "launchgap-snapshot", "version": 2, "cutoff": …, "counts": {…}}``; every other line is one row
``{"section": S, …fields}`` with S one of ``source``, ``coverage``, ``release``, ``key_mapping``,
``statement``, ``event``, in that order, each section sorted by its identity. Keys are sorted, times are ISO-8601 UTC with ``Z``, and
the gzip header carries no name and mtime 0, so writing the same content twice gives the same bytes.

Version 2 (issue 24) made a ``statement`` row any statement a source makes — ``kind`` ``min_version`` or
``image``, with its ``vendor`` and ``variant`` — and renamed its ``min_version`` to ``value``. Files of
version 1 are still read (their statements are minimum versions); files are always written as version 2.

Nothing here touches the database: rows are plain values, checked in full when read (``SnapshotError``
names every bad line, and a file with one bad line is refused whole).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import MISSING, asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.domain.text import storable
from app.domain.vocabulary import KeyKind, ReleasePrecision, Stage, StatementKind, Vendor
from app.sources.hub.types import REPO_ID_RE

FORMAT_NAME = "launchgap-snapshot"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
STAGES = tuple(Stage)
KEY_KINDS = tuple(KeyKind)
EVENT_KINDS = ("added", "removed")
PROVENANCES = ("git", "docs")
CONFIDENCES = ("high", "medium", "low")

# What a snapshot file may hold (docs/data.md, docs/operations.md). The bundled snapshot is 5.4 MB
# decompressed with lines under 1 KB; the bounds leave room for growth while a hostile file (a 1 GiB line
# in a 1 MB gzip, millions of bad lines) is refused quickly and in little memory.
MAX_LINE_BYTES = 64 * 1024
MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024
MAX_ERRORS = 20
"""Reading stops at this many bad lines: the file is refused anyway, and the message stays short."""
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
"""Times outside [EARLIEST, LATEST) are refused: no release or commit of this field is dated there."""


class SnapshotError(ValueError):
    """A snapshot file that cannot be read or does not follow the format; nothing was written."""


def _time(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def _shown(value: object, limit: int = 80) -> str:
    """A value as quoted in an error: its repr (control characters escaped), cut short."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _parse_time(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 64:
        raise ValueError(f"expected an ISO-8601 time, got {_shown(value)}")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"time without an offset: {_shown(value)}")
    try:
        in_utc = parsed.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-14:00 is past datetime's range in UTC
        raise ValueError(f"time out of range: {_shown(value)}") from None
    if not EARLIEST <= in_utc < LATEST:
        raise ValueError(f"time {_shown(value)} is outside {EARLIEST.year}–{LATEST.year - 1}")
    return in_utc


def _one_of(allowed: tuple[str, ...]) -> Callable[[object], str]:
    def check(value: object) -> str:
        if not isinstance(value, str) or value not in allowed:
            raise ValueError(f"{_shown(value)} is not one of {', '.join(allowed)}")
        return str(value)

    return check


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {_shown(value)}")
    if storable(value) != value:
        raise ValueError(f"NUL, control characters or a lone surrogate in {_shown(value)}")
    return value


def _limited(length: int) -> Callable[[object], str]:
    """Text of at most ``length`` characters (the column's width: PostgreSQL refuses longer)."""

    def check(value: object) -> str:
        text = _text(value)
        if len(text) > length:
            raise ValueError(f"longer than {length} characters: {_shown(text)}")
        return text

    return check


def _repo_id(value: object) -> str:
    text = _text(value)
    if not REPO_ID_RE.match(text) or ".." in text:
        raise ValueError(f"{_shown(text)} is not a Hub repo id (namespace/name)")
    return text


def _optional(check: Callable[[object], Any]) -> Callable[[object], Any]:
    return lambda value: None if value is None else check(value)


def _integer(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"expected an integer, got {_shown(value)}")
    return value


def _boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {_shown(value)}")
    return value


def _texts(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"expected a list of texts, got {_shown(value)}")
    return tuple(_text(v) for v in value)


def _required_time(value: object) -> datetime:
    parsed = _parse_time(value)
    if parsed is None:
        raise ValueError("time is missing")
    return parsed


# -- rows ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceRow:
    """One repository copy the snapshot was built from (or one source of an exported database)."""

    runtime: str
    copy: str
    """Which repository was read: ``owner/name`` of the copy, or the URL or path a database scanned."""
    upstream: str | None
    """The repository its evidence links name (None: a copy of nothing declared)."""
    ref: str
    head: str
    head_at: datetime | None
    """Committer time of ``head``: the copy's cutoff."""
    stages: tuple[str, ...] = ()
    """Stages taken from this copy (empty: every stage)."""
    excluded_tags: tuple[str, ...] = ()
    """Tags of the copy that are not upstream's releases (a fork's own tag under an upstream name)."""

    def identity(self) -> tuple[str, ...]:
        return (self.runtime, self.copy, self.ref)


@dataclass(frozen=True)
class CoverageRow:
    """How far one runtime's evidence at one stage reaches (see ``docs/concepts.md``: coverage)."""

    runtime: str
    stage: str
    observed: bool
    observed_until: datetime | None
    copy: str
    """``fetched`` (read from the repository's URL) or ``local`` (a copy)."""
    source: str
    """Which repository was read: ``owner/name`` of the copy in a built snapshot, else the URL or path."""
    reason: str | None = None
    """Why the stage was not observed."""
    coverage_start: datetime | None = None
    """Where the source starts dating support, as the catalog declared it at export (informational: an
    import follows its own catalog)."""

    def identity(self) -> tuple[str, ...]:
        return (self.runtime, self.stage)


@dataclass(frozen=True)
class ReleaseRow:
    """A model's release time with its source (what ``launchgap import releases`` would give)."""

    repo_id: str
    architectures: tuple[str, ...]
    model_type: str | None
    release_at: datetime
    precision: str
    source: str
    detail: str | None
    confidence: str | None
    created_at: datetime | None

    def identity(self) -> tuple[str, ...]:
        return (self.repo_id,)


@dataclass(frozen=True)
class KeyMappingRow:
    """A key translation read from a runtime (llama.cpp: HF architecture → GGUF architecture)."""

    source: str
    from_kind: str
    from_key: str
    to_kind: str
    to_key: str
    commit: str

    def identity(self) -> tuple[str, ...]:
        return (self.source, self.from_kind, self.from_key, self.to_kind)


@dataclass(frozen=True)
class StatementRow:
    """What a source states about running a model on a runtime (vLLM Recipes' ``min_vllm_version`` and
    ``docker_image``); dates nothing."""

    source: str
    key_kind: str
    key: str
    runtime: str
    value: str
    """The version (``kind`` ``min_version``) or the image name (``image``)."""
    commit: str
    path: str
    evidence_url: str | None
    kind: str = StatementKind.MIN_VERSION
    vendor: str | None = None
    """The vendor slug it is for (None: every vendor)."""
    variant: str | None = None
    """A build named beside the vendor (``cu129``), else None."""

    def identity(self) -> tuple[str, ...]:
        return (
            self.source, self.key_kind, self.key, self.runtime, self.kind, self.vendor or "", self.variant or "",
        )  # fmt: skip


@dataclass(frozen=True)
class EventRow:
    """A support event as stored (``SupportEvent``) with its runtime and key by name, not by id."""

    runtime: str
    key_kind: str
    key: str
    stage: str
    event: str
    at: datetime
    author_at: datetime | None
    commit: str
    tag: str
    branch: str
    sku: str
    signal: str
    pr_number: int | None
    is_prerelease: bool | None
    evidence_url: str | None
    provenance: str
    confidence: str
    retracted_at: datetime | None = None

    def identity(self) -> tuple[str, ...]:
        return (
            self.runtime, self.key_kind, self.key, self.stage, self.event, self.commit, self.tag, self.branch,
            self.sku, self.signal,
        )  # fmt: skip


_CHECKS: dict[type, dict[str, Callable[[object], Any]]] = {
    SourceRow: {
        "runtime": _text, "copy": _text, "upstream": _optional(_text), "ref": _text, "head": _text,
        "head_at": _parse_time, "stages": _texts, "excluded_tags": _texts,
    },
    CoverageRow: {
        "runtime": _text, "stage": _one_of(STAGES), "observed": _boolean, "observed_until": _parse_time,
        "copy": _text, "source": _text, "reason": _optional(_text), "coverage_start": _parse_time,
    },
    ReleaseRow: {
        "repo_id": _repo_id, "architectures": _texts, "model_type": _optional(_text), "release_at": _required_time,
        "precision": _one_of(tuple(ReleasePrecision)), "source": _text, "detail": _optional(_text),
        "confidence": _optional(_one_of(CONFIDENCES)), "created_at": _parse_time,
    },
    KeyMappingRow: {
        "source": _text, "from_kind": _one_of(KEY_KINDS), "from_key": _text, "to_kind": _one_of(KEY_KINDS),
        "to_key": _text, "commit": _text,
    },
    StatementRow: {
        "source": _text, "key_kind": _one_of(KEY_KINDS), "key": _text, "runtime": _text, "value": _limited(300),
        "commit": _text, "path": _text, "evidence_url": _optional(_text),
        "kind": _one_of(tuple(StatementKind)), "vendor": _optional(_one_of(tuple(Vendor))),
        "variant": _optional(_limited(32)),
    },
    EventRow: {
        "runtime": _text, "key_kind": _one_of(KEY_KINDS), "key": _text, "stage": _one_of(STAGES),
        "event": _one_of(EVENT_KINDS), "at": _required_time, "author_at": _parse_time, "commit": _text,
        "tag": _text, "branch": _text, "sku": _text, "signal": _text, "pr_number": _optional(_integer),
        "is_prerelease": _optional(_boolean), "evidence_url": _optional(_text),
        "provenance": _one_of(PROVENANCES), "confidence": _one_of(CONFIDENCES), "retracted_at": _parse_time,
    },
}  # fmt: skip

SECTIONS: dict[str, type] = {
    "source": SourceRow,
    "coverage": CoverageRow,
    "release": ReleaseRow,
    "key_mapping": KeyMappingRow,
    "statement": StatementRow,
    "event": EventRow,
}
_SECTION_OF = {row_type: name for name, row_type in SECTIONS.items()}


@dataclass
class Snapshot:
    """The whole content of a snapshot file."""

    sources: list[SourceRow] = field(default_factory=list)
    coverage: list[CoverageRow] = field(default_factory=list)
    releases: list[ReleaseRow] = field(default_factory=list)
    key_mappings: list[KeyMappingRow] = field(default_factory=list)
    statements: list[StatementRow] = field(default_factory=list)
    events: list[EventRow] = field(default_factory=list)
    version: int = FORMAT_VERSION
    """The format version of the file it was read from (a snapshot made here: the current one). Informational:
    rows are always in the current shape, and a file is always written in the current version."""

    @property
    def cutoff(self) -> datetime | None:
        """The newest head among the copies read: nothing after it is in the snapshot."""
        heads = [s.head_at for s in self.sources if s.head_at]
        return max(heads) if heads else None

    def counts(self) -> dict[str, int]:
        return {
            "source": len(self.sources),
            "coverage": len(self.coverage),
            "release": len(self.releases),
            "key_mapping": len(self.key_mappings),
            "statement": len(self.statements),
            "event": len(self.events),
        }

    def rows(self) -> Iterator[object]:
        sections = (
            self.sources,
            self.coverage,
            self.releases,
            self.key_mappings,
            self.statements,
            self.events,
        )
        for section in sections:
            yield from sorted(section, key=lambda row: row.identity())  # type: ignore[attr-defined]


def _row_json(row: object) -> dict[str, Any]:
    out: dict[str, Any] = {"section": _SECTION_OF[type(row)]}
    for name, value in asdict(row).items():  # type: ignore[call-overload]
        if isinstance(value, datetime):
            value = _time(value)
        elif isinstance(value, tuple):
            value = list(value)
        out[name] = value
    return out


def _line(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def _lines(snapshot: Snapshot) -> Iterator[bytes]:
    header = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "cutoff": _time(snapshot.cutoff),
        "counts": snapshot.counts(),
    }
    yield _line(header)
    for row in snapshot.rows():
        yield _line(_row_json(row))


def encode(snapshot: Snapshot) -> bytes:
    """The file's bytes: the same content always gives the same bytes."""
    buffer = io.BytesIO()
    # filename "" and mtime 0: the gzip header would otherwise carry the build's name and time.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as out:
        for line in _lines(snapshot):
            out.write(line)
    return buffer.getvalue()


def content_digest(snapshot: Snapshot) -> str:
    """SHA-256 of the snapshot's canonical lines: names its content whatever the file is called."""
    digest = hashlib.sha256()
    for line in _lines(snapshot):
        digest.update(line)
    return digest.hexdigest()


def write_snapshot(path: Path, snapshot: Snapshot) -> int:
    """Write ``snapshot`` to ``path`` atomically (a reader never sees half a file); returns its size."""
    data = encode(snapshot)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as tmp:
        tmp.write(data)
    os.replace(tmp.name, path)
    return len(data)


def _parse_row(section: str, obj: dict[str, Any]) -> object:
    row_type = SECTIONS[section]
    checks = _CHECKS[row_type]
    names = {f.name for f in fields(row_type)}
    unknown = sorted(set(obj) - names - {"section"})
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for spec in fields(row_type):
        if spec.name not in obj:
            if spec.default is MISSING and spec.default_factory is MISSING:
                raise ValueError(f"field {spec.name!r} is missing")
            continue  # a field added with a default after version 1 was first written
        try:
            values[spec.name] = checks[spec.name](obj[spec.name])
        except ValueError as exc:
            raise ValueError(f"{spec.name}: {exc}") from None
    return row_type(**values)


_V1_STATEMENT_FIELDS = frozenset(
    {"section", "source", "key_kind", "key", "runtime", "min_version", "commit", "path", "evidence_url"}
)


def _statement_v1(obj: dict[str, Any]) -> dict[str, Any]:
    """A version-1 statement line in version 2's shape: every version-1 statement is a minimum version."""
    unknown = sorted(set(obj) - _V1_STATEMENT_FIELDS)
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)} (format version 1)")
    if "min_version" not in obj:
        raise ValueError("field 'min_version' is missing")
    out = {k: v for k, v in obj.items() if k != "min_version"}
    return {**out, "value": obj["min_version"], "kind": StatementKind.MIN_VERSION.value}


def decode(lines: Iterable[bytes], *, name: str = "snapshot") -> Snapshot:
    """Parse and check every line; raises ``SnapshotError`` listing the bad ones (at most 20)."""
    snapshot = Snapshot()
    targets: dict[str, list[Any]] = {
        "source": snapshot.sources,
        "coverage": snapshot.coverage,
        "release": snapshot.releases,
        "key_mapping": snapshot.key_mappings,
        "statement": snapshot.statements,
        "event": snapshot.events,
    }
    errors: list[str] = []
    header: dict[str, Any] | None = None
    for number, raw in enumerate(lines, start=1):
        if len(errors) >= MAX_ERRORS:
            errors.append(f"stopped reading at line {number}")
            break
        try:
            obj = json.loads(raw)
            if not isinstance(obj, dict):
                raise ValueError("a line must be a JSON object")
        except RecursionError:
            errors.append(f"line {number}: not JSON (nested too deeply)")
            continue
        except ValueError as exc:
            errors.append(f"line {number}: not JSON ({exc})")
            continue
        if header is None:
            header = obj
            if obj.get("format") != FORMAT_NAME:
                raise SnapshotError(
                    f"{name}: not a LaunchGap snapshot (first line has no format {FORMAT_NAME!r})"
                )
            version = obj.get("version")
            if version not in READABLE_VERSIONS or isinstance(version, bool):
                raise SnapshotError(
                    f"{name}: snapshot format version {version!r}; this LaunchGap reads versions "
                    f"{', '.join(map(str, READABLE_VERSIONS))}"
                )
            snapshot.version = version
            continue
        section = obj.get("section")
        if section not in SECTIONS:
            errors.append(f"line {number}: unknown section {section!r}")
            continue
        try:
            if section == "statement" and snapshot.version == 1:
                obj = _statement_v1(obj)
            targets[section].append(_parse_row(section, obj))
        except ValueError as exc:
            errors.append(f"line {number} ({section}): {exc}")
    if header is None:
        raise SnapshotError(f"{name}: empty file")
    declared = header.get("counts")
    if not isinstance(declared, dict):
        # Without counts a file cut short after a whole line would pass for complete.
        errors.append("the header has no counts (the check that the file is complete)")
    elif not errors and declared != snapshot.counts():
        errors.append(
            f"counts in the header {_shown(declared, 300)} differ from the rows {snapshot.counts()} (truncated?)"
        )
    for section, rows in targets.items():
        seen: set[tuple[str, ...]] = set()
        for row in rows:
            identity = row.identity()
            if identity in seen:
                errors.append(f"{section} {identity} appears twice")
            seen.add(identity)
    if errors:
        shown = "; ".join(errors[: MAX_ERRORS + 1])
        more = len(errors) - MAX_ERRORS - 1
        raise SnapshotError(f"{name}: {shown}" + (f"; … {more} more" if more > 0 else ""))
    return snapshot


def bounded_lines(stream: io.BufferedIOBase | gzip.GzipFile, *, name: str) -> Iterator[bytes]:
    """The stream's lines, refusing (``SnapshotError``) a line over ``MAX_LINE_BYTES`` or more than
    ``MAX_DECOMPRESSED_BYTES`` in all, each found without reading past the bound."""
    total = 0
    number = 0
    while True:
        line = stream.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        number += 1
        total += len(line)
        if len(line) > MAX_LINE_BYTES:
            raise SnapshotError(f"{name}: line {number} is longer than {MAX_LINE_BYTES} bytes")
        if total > MAX_DECOMPRESSED_BYTES:
            raise SnapshotError(
                f"{name}: more than {MAX_DECOMPRESSED_BYTES // (1024 * 1024)} MiB once decompressed "
                f"(at line {number})"
            )
        yield line


def read_snapshot(path: Path) -> Snapshot:
    """Read and check a snapshot file (``SnapshotError`` when it is missing, not gzip, or malformed)."""
    try:
        with gzip.open(path, "rb") as stream:
            return decode(bounded_lines(stream, name=str(path)), name=str(path))
    except FileNotFoundError:
        raise SnapshotError(f"{path}: no such file") from None
    except (OSError, EOFError) as exc:  # not gzip, or cut short
        raise SnapshotError(f"{path}: not a readable gzip file ({exc})") from None

"""Extractor kinds: how one file version turns into the set of keys it registers.

A file is cut into top-level chunks (a line starting at column 0 opens a chunk, except a Python line
starting with a closing bracket, which ends the statement above; chunks are merged while a block comment
or a triple-quoted string is open), comments and docstrings are stripped per chunk, and
each chunk's keys are cached by its text. Successive versions of a 400 KB converter share almost every
chunk, so only what changed is parsed — the difference between ~3 s and 100+ s on llama.cpp's history.

A fact is ``(key, sku)``; ``sku`` is '' except for per-hardware verification files.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import yaml

from app.sources.runtimes.hardware import canonical_sku

Registration = tuple[str, str]

KINDS = (
    "regex",  # pattern with capture groups; ``split`` turns a captured list into identifiers
    "dict_keys",  # keys at depth 1 of a dict literal / dict(...) call / .update({...}) named by pattern
    "call_args",  # arguments of calls matched by pattern (``arg``: index, "kw:name" or "*")
    "compare",  # strings compared with an expression: ``LHS == "x"``, ``LHS != "x"``, ``LHS in [...]``
    "pairs",  # ("a", "b") tuples inside a mapping named by pattern; ``arg`` picks the element
    "path",  # the key is read from the file path (pattern groups); content is never read
    "markdown_table",  # first cell of table rows whose cells carry a status marker (pattern)
    "yaml_hardware",  # (``model.model_id``, SKU) for every ``meta.hardware: {sku: verified}`` entry
    "yaml_model",  # ``model.model_id`` of a recipe file
    "guide_models",  # Hugging Face repo ids a Markdown guide serves or links (``vllm serve ORG/NAME``)
    "hub_links",  # Hugging Face repo ids a documented table links (``https://huggingface.co/ORG/NAME``)
    "guide_hardware",  # (repo id, SKU) for every SKU a guide says it ran on, × the ids it serves
)
LANGS = ("python", "c", "markdown", "text")


@dataclass(frozen=True)
class Extractor:
    """One extraction rule. Instances are hashable so results can be cached per (rule, chunk)."""

    kind: str
    pattern: str = ""
    lang: str = "python"
    arg: int | str = 0
    within: str = ""
    """Only chunks matching this regex are considered (e.g. the switch on ``Architectures[0]``)."""
    needle: str = ""
    """A literal every relevant file version contains; versions without it are skipped without parsing."""
    split: bool = False
    identifiers: bool = False
    """call_args: accept bare identifiers (C macros ``REGISTER_X(type, Class)``) as well as strings;
    pairs: read tuples of identifiers too (transformers' ``(BertConfig, BertModel)`` before 2021-08)."""
    reject_values: tuple[str, ...] = ()
    """dict_keys: entries whose value starts with one of these (``False``) are not registrations."""
    strip_defines: bool = False
    skus: tuple[str, ...] = ()
    """guide_hardware: the chip names to look for in a guide's text. Every SKU read (there and in
    yaml_hardware) is stored in the hardware table's spelling (``canonical_sku``): ``h200`` and ``8xH200``
    are ``H200``, ``rtx_pro_6000_8x`` is ``rtx_pro_6000``; one the table lacks is kept lower-case without
    its count."""
    constants: tuple[tuple[str, str], ...] = ()
    """dict_keys: names of string constants defined elsewhere that appear as keys (``GEMMA_ARCHITECTURE:``
    in TensorRT-LLM's MODEL_MAP, defined in another module), with their values."""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown extractor kind {self.kind!r}; known: {', '.join(KINDS)}")
        if self.lang not in LANGS:
            raise ValueError(f"unknown extractor language {self.lang!r}")
        re.compile(self.pattern)

    @property
    def reads_content(self) -> bool:
        return self.kind != "path"

    def extract(self, path: str, data: bytes) -> frozenset[Registration]:
        """Every fact this rule finds in one file version (raw bytes, decoded only where relevant)."""
        if self.kind == "path":
            return _path_registrations(self.pattern, path)
        if self.kind == "yaml_hardware":
            return _yaml_hardware(data)
        if self.kind == "yaml_model":
            recipe = read_recipe(data)
            return frozenset({(recipe.model_id, "")}) if recipe else frozenset()
        if self.kind == "guide_models":
            return frozenset((repo_id, "") for repo_id in guide_models(data.decode(errors="replace")))
        if self.kind == "guide_hardware":
            text = data.decode(errors="replace")
            models = guide_models(text, served_only=True)
            return frozenset((m, sku) for m in models for sku in guide_hardware(text, self.skus))
        needle = self.needle.encode()
        if needle and needle not in data:
            return frozenset()
        facts: set[Registration] = set()
        for chunk in _chunks(data, self.lang):
            if needle and needle not in chunk:
                continue  # most chunks of a large file: skipped without decoding or caching
            facts |= _chunk_registrations(self, chunk)
        return frozenset(facts)


# -- chunking and stripping ---------------------------------------------------------------------------
_TOP_LEVEL = re.compile(rb"\n(?=\S)")


_PY_CLOSERS = (b")", b"]", b"}")


def _chunks(data: bytes, lang: str) -> list[bytes]:
    if lang in ("markdown", "text"):
        return [data]
    raw = _TOP_LEVEL.split(data)
    merged: list[bytes] = []
    pending: list[bytes] = []
    if lang == "python":
        # The open triple-quoted string (if any) at the end of the pending parts. Counting quotes is not
        # enough: one ``'""""'`` in a string literal flipped the parity and merged the rest of a 500 KB
        # converter into one chunk, re-stripped at every version.
        open_quote: bytes | None = None
        for part in raw:
            if open_quote is None and not pending and merged and part[:1] in _PY_CLOSERS:
                # A closing bracket at column 0 ends the statement above it (``EntryClass = [\n    X,\n]``,
                # ``def f(\n    a,\n) -> None:``): it continues the previous chunk, it does not open one.
                pending.append(merged.pop())
            pending.append(part)
            if open_quote is None:
                if b'"""' in part or b"'''" in part:
                    open_quote = _py_open_quote(part, None)
            elif open_quote in part:
                open_quote = _py_open_quote(part, open_quote)
            if open_quote is None:
                merged.append(part if len(pending) == 1 else b"\n".join(pending))
                pending = []
    else:
        depth = 0  # running balance of block comments, counted once per part (linear time)
        for part in raw:
            pending.append(part)
            depth += part.count(b"/*") - part.count(b"*/")
            if depth <= 0:
                merged.append(b"\n".join(pending))
                pending = []
                depth = 0
    if pending:
        merged.append(b"\n".join(pending))
    return merged


# What leaves no triple quote open, skipped in one regex call: code, closed triple-quoted strings,
# one-line strings and comments. Matching stops at a triple quote with no partner in the part, or at a
# quote that closes nowhere on its line.
_PY_CLOSED = re.compile(
    rb"(?:[^\"'#]+"
    rb'|"""[\s\S]*?"""'
    rb"|'''[\s\S]*?'''"
    rb'|"(?!"")(?:\\.|[^"\\\n])*"'
    rb"|'(?!'')(?:\\.|[^'\\\n])*'"
    rb"|#[^\n]*)*"
)


def _py_open_quote(part: bytes, open_quote: bytes | None) -> bytes | None:
    """The triple quote still open at the end of ``part`` (entered with ``open_quote`` open), read the way
    ``strip`` reads it: comments and one-line strings are skipped, so quotes inside them do not count."""
    pos = 0
    if open_quote is not None:
        end = part.find(open_quote)
        if end < 0:
            return open_quote
        pos = end + 3
    while True:
        match = _PY_CLOSED.match(part, pos)
        assert match is not None  # a starred group matches the empty string
        pos = match.end()
        if pos >= len(part):
            return None
        quote = part[pos : pos + 3]
        if quote in (b'"""', b"'''"):
            return quote
        pos += 1  # a quote that closes nowhere on its line: the old token search passed over it too


_PY_TOKENS = re.compile(
    r'("""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|#[^\n]*)'
)
_C_TOKENS = re.compile(r'("(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|`[^`]*`|//[^\n]*|/\*[\s\S]*?\*/)')
_DEFINE = re.compile(r"^[ \t]*#[ \t]*define\b(?:[^\n]*\\\n)*[^\n]*", re.MULTILINE)
_HTML_COMMENT = re.compile(r"<!--[\s\S]*?-->")


def _py_sub(match: re.Match[str]) -> str:
    token = match.group(0)
    if token.startswith("#"):
        return ""
    if token.startswith(('"""', "'''")):
        return '""'  # docstrings and long strings never hold registrations
    return token


def _c_sub(match: re.Match[str]) -> str:
    token = match.group(0)
    if token.startswith(("//", "/*")):
        return " "
    return token


def strip(text: str, lang: str, *, strip_defines: bool = False) -> str:
    """Remove comments (and docstrings for Python) so commented-out registrations never count."""
    if lang == "python":
        return _PY_TOKENS.sub(_py_sub, text)
    if lang == "c":
        out = _C_TOKENS.sub(_c_sub, text)
        return _DEFINE.sub("", out) if strip_defines else out
    if lang == "markdown":
        return _HTML_COMMENT.sub("", text)
    return text


@lru_cache(maxsize=50_000)
def _chunk_registrations(rule: Extractor, chunk: bytes) -> frozenset[Registration]:
    text = strip(chunk.decode("utf-8", errors="replace"), rule.lang, strip_defines=rule.strip_defines)
    if rule.within and not re.search(rule.within, text, re.MULTILINE):
        return frozenset()
    keys = _KIND_FUNCS[rule.kind](rule, text)
    return frozenset((k, "") for k in keys if k)


# -- kinds --------------------------------------------------------------------------------------------
_STRING = re.compile(r'"((?:\\.|[^"\\\n])*)"|\'((?:\\.|[^\'\\\n])*)\'')
_IDENT = re.compile(r"[A-Za-z_][\w.\-]*")
_TOKEN = re.compile(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|[{}\[\]()]|,|:|[A-Za-z_]\w*\s*=(?!=)')


def _strings(text: str) -> list[str]:
    return [a or b for a, b in _STRING.findall(text)]


def _regex(rule: Extractor, text: str) -> list[str]:
    out: list[str] = []
    for match in re.finditer(rule.pattern, text, re.MULTILINE):
        groups = [g for g in match.groups() if g] if match.groups() else [match.group(0)]
        for group in groups:
            out.extend(_IDENT.findall(group) if rule.split else [group])
    return out


def _balanced(text: str, start: int) -> tuple[str, int]:
    """The text between the bracket opening at ``start`` and its partner (strings are skipped)."""
    depth = 0
    for match in _TOKEN.finditer(text, start):
        token = match.group(0)
        if token in "([{" and len(token) == 1:
            depth += 1
        elif token in ")]}" and len(token) == 1:
            depth -= 1
            if depth == 0:
                return text[start + 1 : match.start()], match.end()
    return text[start + 1 :], len(text)


def _top_level_items(body: str) -> list[str]:
    """Split a bracket body at depth-0 commas."""
    items: list[str] = []
    depth = 0
    last = 0
    for match in _TOKEN.finditer(body):
        token = match.group(0)
        if token in ("(", "[", "{"):
            depth += 1
        elif token in (")", "]", "}"):
            depth -= 1
        elif token == "," and depth == 0:
            items.append(body[last : match.start()])
            last = match.end()
    items.append(body[last:])
    return [item.strip() for item in items if item.strip()]


_CONSTANT_KEY = re.compile(r"([A-Z_][A-Z0-9_]*)(?=\s*:)")


def _dict_keys(rule: Extractor, text: str) -> list[str]:
    out: list[str] = []
    for match in re.finditer(rule.pattern, text, re.MULTILINE):
        opener = match.end() - 1
        call_style = text[opener] == "("
        body, _ = _balanced(text, opener)
        if call_style and body.lstrip().startswith("{"):  # .update({...})
            inner = body.index("{")
            body, _ = _balanced(body, inner)
            call_style = False
        for item in _top_level_items(body):
            if call_style:
                name, sep, value = item.partition("=")
                key = name.strip()
            else:
                string = _STRING.match(item) or _CONSTANT_KEY.match(item)
                if not string:
                    continue  # ``**OTHER`` spreads and computed keys
                if string.re is _CONSTANT_KEY:
                    key = dict(rule.constants).get(string.group(1), "")
                else:
                    key = string.group(1) if string.group(1) is not None else string.group(2)
                rest = item[string.end() :].lstrip()
                if not rest.startswith(":"):
                    continue
                value, sep = rest[1:], ":"
            if not sep or not key:
                continue
            if any(value.strip().startswith(v) for v in rule.reject_values):
                continue
            out.append(key)
    return out


def _call_args(rule: Extractor, text: str) -> list[str]:
    out: list[str] = []
    for match in re.finditer(rule.pattern, text, re.MULTILINE):
        body, _ = _balanced(text, match.end() - 1)
        items = _top_level_items(body)
        if rule.arg == "*":
            chosen = items
        elif isinstance(rule.arg, str) and rule.arg.startswith("kw:"):
            name = rule.arg[3:]
            # only a literal value: ``name=info.get("name")`` builds entries from data, it registers nothing
            chosen = [
                value
                for i in items
                if re.match(rf"{name}\s*=", i) and _STRING.fullmatch(value := i.partition("=")[2].strip())
            ]
        else:
            index = int(rule.arg)
            positional = [i for i in items if not re.match(r"[A-Za-z_]\w*\s*=(?!=)", i)]
            chosen = positional[index : index + 1]
        for item in chosen:
            strings = _strings(item)
            if strings:
                out.extend(strings)
            elif rule.identifiers and re.fullmatch(r"[A-Za-z_][\w.]*", item):
                out.append(item)
    return out


def _compare(rule: Extractor, text: str) -> list[str]:
    out: list[str] = []
    lhs = f"(?:{rule.pattern})"
    eq = re.compile(lhs + r"\s*(?:==|!=)\s*(\"[^\"\n]*\"|'[^'\n]*')")
    member = re.compile(lhs + r"\s*(?:not\s+)?in\s*([\[({][^\])}]*[\])}])")
    for match in eq.finditer(text):
        out.extend(_strings(match.group(1)))
    for match in member.finditer(text):
        out.extend(_strings(match.group(1)))
    return out


_PAIR = re.compile(
    r"\(\s*(\"[^\"\n]+\"|'[^'\n]+')\s*,\s*(\"[^\"\n]*\"|'[^'\n]*'|\((?:\s*(?:\"[^\"\n]*\"|'[^'\n]*'|None)\s*,?)+\s*\))"
)


def _pairs(rule: Extractor, text: str) -> list[str]:
    out: list[str] = []
    for match in re.finditer(rule.pattern, text, re.MULTILINE):
        body, _ = _balanced(text, match.end() - 1)
        if rule.identifiers:
            out.extend(_tuple_elements(body, int(rule.arg)))
            continue
        for pair in _PAIR.finditer(body):
            out.extend(_strings(pair.group(int(rule.arg) + 1)))
    return out


_NAME = re.compile(r"[A-Za-z_]\w*")


def _tuple_elements(body: str, index: int) -> list[str]:
    """Element ``index`` of each tuple in the list that ``body`` holds (``[(A, B), ("c", (D, E)),]``), read
    bracket by bracket: strings give their text, names themselves, and a nested tuple each of its items."""
    opener = body.find("[")
    if opener < 0:
        return []
    items, _ = _balanced(body, opener)
    out: list[str] = []
    for item in _top_level_items(items):
        if not item.startswith("("):
            continue  # ``**OTHER`` spreads and computed entries
        elements = _top_level_items(_balanced(item, 0)[0])
        if index >= len(elements):
            continue
        chosen = elements[index]
        values = _top_level_items(_balanced(chosen, 0)[0]) if chosen.startswith("(") else [chosen]
        for value in values:
            string = _STRING.fullmatch(value)
            if string:
                out.append(string.group(1) if string.group(1) is not None else string.group(2))
            elif _NAME.fullmatch(value):
                out.append(value)
    return out


_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def _markdown_table(rule: Extractor, text: str) -> list[str]:
    out: list[str] = []
    marker = re.compile(rule.pattern)
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("|") or re.fullmatch(r"[|\s:\-]+", line):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) < 2 or not any(marker.search(c) for c in cells[1:]):
            continue
        name = _MD_LINK.sub(r"\1", cells[0])
        name = re.sub(r"[*_`]|<[^>]+>", "", name).strip()
        if name:
            out.append(name)
    return out


def _path_registrations(pattern: str, path: str) -> frozenset[Registration]:
    match = re.search(pattern, path)
    if not match:
        return frozenset()
    key = "/".join(g for g in match.groups() if g) if match.groups() else match.group(0)
    return frozenset({(key, "")}) if key else frozenset()


@dataclass(frozen=True)
class Recipe:
    """What one vLLM Recipes file says (``models/<org>/<name>.yaml``, 2026-04-20 onwards)."""

    model_id: str
    hardware: dict[str, str]
    """SKU as the file spells it → status (``verified``, ``unsupported``, ``supported``)."""
    min_vllm_version: str = ""
    """The oldest vLLM release the recipe supports (kept for the runtime-version view; not an event)."""
    docker_image: object = None
    """``model.docker_image`` as parsed (read by ``version_statements.recipe_images``)."""


def read_recipe(data: bytes) -> Recipe | None:
    """The recipe in one YAML file version, or None when it is not valid YAML or names no model.

    The real files nest the verification map under ``meta:`` (``meta.hardware.h200: verified``) and name
    the model in ``model.model_id``; a per-precision variant may point at another checkpoint, but the map
    is the recipe's, so only ``model.model_id`` is credited."""
    # Only the ``meta:`` and ``model:`` blocks are parsed when they can be cut out: the rest (features,
    # variants, a long guide) is ~80% of the text and would triple a history's parse time.
    blocks = b"".join(m.group(0) for m in _TOP_BLOCK.finditer(data) if m.group(1) in (b"meta", b"model"))
    doc = _yaml_mapping(blocks) if blocks else None
    if doc is None or not isinstance(doc.get("model"), dict):
        doc = _yaml_mapping(data)
    if doc is None:
        return None
    model = doc.get("model")
    meta = doc.get("meta")
    model_id = model.get("model_id") if isinstance(model, dict) else None
    if not isinstance(model_id, str) or not model_id.strip():
        return None
    hardware = meta.get("hardware") if isinstance(meta, dict) else None
    statuses = {
        str(sku).strip(): str(status).strip().lower()
        for sku, status in (hardware.items() if isinstance(hardware, dict) else ())
        if status is not None
    }
    min_version = model.get("min_vllm_version")
    return Recipe(
        model_id.strip(),
        statuses,
        str(min_version) if min_version is not None else "",
        model.get("docker_image"),
    )


# libyaml's parser when PyYAML was built with it
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# a top-level key and every indented, blank or comment line below it, up to the next top-level line
_TOP_BLOCK = re.compile(
    rb"^([A-Za-z_][\w-]*)[ \t]*:[^\n]*\n?(?:(?:[ \t]+[^\n]*|[ \t]*|#[^\n]*)(?:\n|\Z))*", re.MULTILINE
)


def _yaml_mapping(data: bytes) -> dict[object, object] | None:
    try:
        doc = yaml.load(data, Loader=_YAML_LOADER)
    except yaml.YAMLError:
        return None  # one broken version in history: no facts from it, rather than a failed scan
    return doc if isinstance(doc, dict) else None


def _yaml_hardware(data: bytes) -> frozenset[Registration]:
    recipe = read_recipe(data)
    if recipe is None:
        return frozenset()
    return frozenset(
        (recipe.model_id, canonical_sku(sku))
        for sku, status in recipe.hardware.items()
        if status == "verified"
    )


# -- vLLM Recipes' Markdown guides (2025-07-23 .. 2026-04-20) -----------------------------------------
# A repo id as the Hub spells it, where a guide serves a model or links its card.
_HUB_ID = r"([A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*[A-Za-z0-9])"
_SERVED = re.compile(
    r"(?:\bvllm\s+serve\s+|--model(?:[ \t]+|=)|\bmodel\s*=\s*|[\"']model[\"']\s*:\s*)[\"']?" + _HUB_ID
)
_CARD_LINK = re.compile(r"huggingface\.co/" + _HUB_ID)
# huggingface.co paths that are not model cards
_NOT_MODELS = frozenset({"datasets", "docs", "collections", "spaces", "blog", "papers", "models", "organizations",
                         "settings", "join", "tasks", "learn", "api", "chat", "posts"})  # fmt: skip
# where a guide says a GPU is what it runs on: a heading, a collapsible section's title, or a sentence
# saying it ran, runs, serves, deploys, was verified or tested there
_RUN_CONTEXT = re.compile(
    r"^\s*#|<summary>|\b(?:run|runs|running|ran|serve|serves|serving|deploy|deploys|deploying|deployment|"
    r"launch|launching|verified|tested|benchmark(?:ed|s)?)\b",
    re.IGNORECASE,
)


def guide_models(text: str, *, served_only: bool = False) -> list[str]:
    """The Hugging Face repo ids a guide serves (``vllm serve``, ``--model``, ``model=``) and, unless
    ``served_only``, links (``huggingface.co/ORG/NAME``), in order of first appearance."""
    found = [m.group(1) for m in _SERVED.finditer(text)]
    if not served_only:
        found += hub_links(text)
    # a path (``./models/x``, ``/data/ckpt``) is not a repo id: the regex needs a name at both ends
    return list(dict.fromkeys(repo_id for repo_id in found if not repo_id.endswith(_NOT_REPO_SUFFIXES)))


_NOT_REPO_SUFFIXES = (".md", ".py", ".yaml")


def hub_links(text: str) -> list[str]:
    """The Hugging Face repo ids ``text`` links (``huggingface.co/ORG/NAME``), in order of first appearance:
    pages that are not model cards (datasets, collections, spaces, docs …) and file paths left out."""
    found = (m.group(1) for m in _CARD_LINK.finditer(text) if m.group(1).split("/")[0] not in _NOT_MODELS)
    return list(dict.fromkeys(repo_id for repo_id in found if not repo_id.endswith(_NOT_REPO_SUFFIXES)))


def _hub_links(rule: Extractor, text: str) -> list[str]:
    """A documented table's model links (OpenVINO GenAI's supported-models tables link each row's repos):
    read per chunk, after comments are stripped, so a commented-out row links nothing."""
    return hub_links(text)


def guide_hardware(text: str, skus: tuple[str, ...]) -> list[str]:
    """The catalog SKUs a guide says it runs on (``canonical_sku``'s spelling, whatever the guide's), each named
    in a heading, a ``<summary>`` or a sentence about running, serving, deploying or verifying there:
    "you can run it on NVIDIA H100, H200, B200", "### Serving on 8xMI300x/MI325x/MI355x"."""
    if not skus:
        return []
    names = "|".join(re.escape(sku) for sku in sorted(skus, key=len, reverse=True))
    # "8xMI300x" and "4xH200" count: a count prefix may precede the SKU, another letter or digit may not
    pattern = re.compile(rf"(?:(?<=\d[x×])|(?<![A-Za-z0-9]))({names})(?![A-Za-z0-9])", re.IGNORECASE)
    found: dict[str, None] = {}
    for line in text.splitlines():
        if _RUN_CONTEXT.search(line):
            for match in pattern.finditer(line):
                found.setdefault(canonical_sku(match.group(1)), None)
    return list(found)


_KIND_FUNCS: dict[str, Callable[[Extractor, str], list[str]]] = {
    "regex": _regex,
    "dict_keys": _dict_keys,
    "call_args": _call_args,
    "compare": _compare,
    "pairs": _pairs,
    "markdown_table": _markdown_table,
    "hub_links": _hub_links,
}

"""HF architecture → GGUF architecture, read from llama.cpp's own converter (never typed by hand).

Each converter class names the HF architectures it accepts (``@ModelBase.register("A", "B")``, or the
older ``@Model.register``) and its GGUF architecture as a class attribute ``model_arch =
gguf.MODEL_ARCH.X``, possibly inherited from a base class; ``gguf-py/gguf/constants.py`` maps ``X`` to
the name written into GGUF files (``MODEL_ARCH_NAMES``). GGUF names are coarse: ``deepseek2`` covers
DeepSeek V2 and V3.
"""

from __future__ import annotations

import re

from app.sources.git.repo import GitRepo
from app.sources.runtimes.extractors import _strings, strip

CONVERTER_GLOBS = ("convert_hf_to_gguf.py", "convert-hf-to-gguf.py", "conversion/*.py")
CONSTANTS = "gguf-py/gguf/constants.py"

_REGISTER = re.compile(r"^@(?:Model|ModelBase|\w+)\.register\(([^)]*)\)", re.MULTILINE)
_CLASS = re.compile(r"^class\s+(\w+)\s*(?:\(([^)]*)\))?\s*:", re.MULTILINE)
_MODEL_ARCH = re.compile(r"^    model_arch\s*(?::[^=\n]*)?=\s*gguf\.MODEL_ARCH\.(\w+)", re.MULTILINE)
_ARCH_NAME = re.compile(r"MODEL_ARCH\.(\w+)\s*:\s*\"([^\"]+)\"")


def parse_mapping(converter_sources: list[str], constants_source: str) -> dict[str, str]:
    """The mapping from the converter's text(s) and gguf-py's constants."""
    names = dict(_ARCH_NAME.findall(constants_source))
    arch_of_class: dict[str, str] = {}
    bases_of: dict[str, list[str]] = {}
    registered: dict[str, list[str]] = {}
    for source in converter_sources:
        text = strip(source, "python")
        pending: list[str] = []
        # Walk decorators and classes in file order: decorators apply to the next class statement.
        for match in re.finditer(rf"{_REGISTER.pattern}|{_CLASS.pattern}", text, re.MULTILINE):
            if match.group(0).startswith("@"):
                pending.extend(_strings(match.group(1)))
                continue
            name, bases = match.group(2), match.group(3) or ""
            bases_of[name] = [b.strip().split(".")[-1] for b in bases.split(",") if b.strip()]
            body_end = text.find("\nclass ", match.end())
            body = text[match.end() : body_end if body_end != -1 else len(text)]
            arch = _MODEL_ARCH.search(body)
            if arch:
                arch_of_class[name] = arch.group(1)
            if pending:
                registered.setdefault(name, []).extend(pending)
                pending = []

    def resolve(cls: str, seen: frozenset[str] = frozenset()) -> str | None:
        if cls in arch_of_class:
            return arch_of_class[cls]
        for base in bases_of.get(cls, []):
            if base not in seen:
                found = resolve(base, seen | {cls})
                if found:
                    return found
        return None

    mapping: dict[str, str] = {}
    for cls, archs in registered.items():
        enum = resolve(cls)
        if enum and enum in names:
            for arch in archs:
                mapping.setdefault(arch, names[enum])
    return mapping


def read_mapping(repo: GitRepo, commit: str) -> dict[str, str]:
    """The HF → GGUF architecture mapping as of ``commit`` of a llama.cpp repository."""
    files = repo.list_tree(commit, [*CONVERTER_GLOBS, CONSTANTS])
    converters = sorted(p for p in files if p != CONSTANTS)
    wanted = [files[p] for p in converters] + ([files[CONSTANTS]] if CONSTANTS in files else [])
    repo.prefetch(wanted)
    blobs = repo.reader().read_many(wanted)
    texts = [blobs[files[p]].decode("utf-8", errors="replace") for p in converters]
    constants = blobs[files[CONSTANTS]].decode("utf-8", errors="replace") if CONSTANTS in files else ""
    return parse_mapping(texts, constants)

"""The limits the code keeps as it grows (docs/architecture.md, "Limits"): small modules, no package that
swallows the rest, thin entry points, one vocabulary, no import cycles."""

from __future__ import annotations

import ast
import io
import re
import tokenize
import typing
from collections import Counter
from pathlib import Path

import pytest

from app.domain.vocabulary import GapStatus, KeyKind, Stage, Vendor

APP = Path(__file__).resolve().parents[2] / "app"
MAX_MODULE_LINES = 600
# The catalog's data module holds every runtime's registration rules as data: one long declaration list.
LONG_DATA_MODULES = {"sources/runtimes/catalog.py"}
MAX_PACKAGE_SHARE = 0.25
MAX_SERVICES_TOP_LEVEL = 6
ENTRY_POINTS = ("api", "web", "cli")
VOCABULARY = "domain/vocabulary.py"


def _modules() -> list[Path]:
    return sorted(APP.rglob("*.py"))


def _name(path: Path) -> str:
    return path.relative_to(APP).as_posix()


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def _imports(tree: ast.AST, module: str) -> set[str]:
    """Every module ``tree`` imports (relative imports resolved against ``module``)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = module.rsplit(".", node.level)[0]
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _dotted(path: Path) -> str:
    parts = ("app", *path.relative_to(APP).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_modules_stay_small() -> None:
    too_long = {
        _name(path): _lines(path)
        for path in _modules()
        if _name(path) not in LONG_DATA_MODULES and _lines(path) > MAX_MODULE_LINES
    }
    assert not too_long, f"modules over {MAX_MODULE_LINES} lines: {too_long}"


def test_no_package_holds_more_than_a_quarter_of_the_code() -> None:
    """A package inside a layer (``app/services/gaps``, ``app/sources/runtimes`` …) counts its subpackages'
    lines too, so a folder cannot grow past the limit by nesting; a layer (``app/services``) counts the files
    at its own top level, since the layer as a whole is the sum of its parts."""
    own: Counter[str] = Counter()
    nested: Counter[str] = Counter()
    for path in _modules():
        parts = path.parent.relative_to(APP).parts
        lines = _lines(path)
        own["/".join(parts)] += lines
        for depth in range(2, len(parts) + 1):
            nested["/".join(parts[:depth])] += lines
    total = sum(own.values())
    counted = {package: lines for package, lines in own.items() if package.count("/") == 0} | nested
    heavy = {
        package: round(lines / total, 3)
        for package, lines in counted.items()
        if lines > total * MAX_PACKAGE_SHARE
    }
    assert not heavy, f"packages holding more than {MAX_PACKAGE_SHARE:.0%} of app/'s lines: {heavy}"


def test_services_keep_few_modules_at_their_top_level() -> None:
    """``app/services/`` is grouped by what each part answers: the workflows module (``jobs.py``) and a few
    small shared modules stay at its top level, everything else lives in a subpackage."""
    top = sorted(path.name for path in (APP / "services").glob("*.py") if path.name != "__init__.py")
    assert "jobs.py" in top
    assert len(top) <= MAX_SERVICES_TOP_LEVEL, f"modules at app/services/'s top level: {top}"


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_entry_points_reach_models_and_sources_only_through_services(entry_point: str) -> None:
    offenders = {}
    for path in sorted((APP / entry_point).rglob("*.py")):
        imported = _imports(ast.parse(path.read_text(encoding="utf-8")), _dotted(path))
        reached = sorted(
            name for name in imported if name.split(".")[:2] in (["app", "models"], ["app", "sources"])
        )
        if reached:
            offenders[_name(path)] = reached
    assert not offenders, f"entry points importing app.models or app.sources: {offenders}"


def _quoted(value: str) -> list[str]:
    return [f"{left}{value}{right}" for left, right in (('"', '"'), ("'", "'"), ("``", "``"), ("`", "`"))]


def test_status_strings_are_written_only_in_the_vocabulary() -> None:
    """Code names a status through ``GapStatus``: no string constant is a status, and no docstring,
    string or comment quotes one (prose may still say "day-0 rate")."""
    statuses = [status.value for status in GapStatus]
    quoted = [form for status in statuses for form in _quoted(status)]
    found: list[str] = []
    for path in _modules():
        if _name(path) == VOCABULARY:
            continue
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        # A dict key is a field name (the statistics' ``pending`` count), not a status.
        keys = {id(key) for node in ast.walk(tree) if isinstance(node, ast.Dict) for key in node.keys}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)) or id(node) in keys:
                continue
            if node.value in statuses or any(form in node.value for form in quoted):
                found.append(f"{_name(path)}:{node.lineno}: {node.value[:60]!r}")
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT and any(form in token.string for form in quoted):
                found.append(f"{_name(path)}:{token.start[0]}: {token.string[:60]!r}")
    assert not found, "status strings outside the vocabulary:\n" + "\n".join(found)


STAGE_RULE_PACKAGES = ("services", "api")


def test_stage_strings_are_written_only_in_the_vocabulary() -> None:
    """Services and routes name a stage through ``Stage`` (and what feeds it through ``Stage.fed_by``), never
    as a string constant; dict keys (field names such as an event's ``branch``) are not stages."""
    stages = {stage.value for stage in Stage}
    found: list[str] = []
    for package in STAGE_RULE_PACKAGES:
        for path in sorted((APP / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            keys = {id(key) for node in ast.walk(tree) if isinstance(node, ast.Dict) for key in node.keys}
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and node.value in stages and id(node) not in keys:
                    found.append(f"{_name(path)}:{node.lineno}: {node.value!r}")
    assert not found, "stage strings outside the vocabulary:\n" + "\n".join(found)


def test_pages_and_stylesheet_take_status_classes_from_the_vocabulary() -> None:
    """Templates write a status's class through ``GapStatus.css_class`` (``status_class``, ``Status``), never
    spelt out; the stylesheet styles every one of those classes."""
    spelt = re.compile("status-(" + "|".join(re.escape(status.value) for status in GapStatus) + r")\b")
    found = [
        f"{path.name}: {match.group(0)}"
        for path in sorted((APP / "web" / "templates").glob("*.html"))
        for match in spelt.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not found, f"status classes spelt out in templates: {found}"
    css = (APP / "web" / "static" / "app.css").read_text(encoding="utf-8")
    unstyled = [status.css_class for status in GapStatus if f".{status.css_class} " not in css]
    assert not unstyled, f"status classes the stylesheet lacks: {unstyled}"


WORKFLOWS = "services/jobs.py"


def test_services_never_read_the_clock() -> None:
    """``now`` is an argument: entry points read the clock (``app/clock.py``) and pass it in."""
    found = [
        f"{_name(path)}:{number}"
        for path in sorted((APP / "services").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\b(datetime\.now|datetime\.utcnow|date\.today)\(", line)
    ]
    assert not found, f"services reading the clock: {found}"


def test_gap_refreshes_run_only_from_the_workflows_module() -> None:
    """``refresh_gaps`` is called from the workflows (``app/services/jobs.py``) alone, so every path that
    changes data ends with the same refresh and the same watch notifications."""
    callers = []
    for path in _modules():
        if _name(path) in (WORKFLOWS, "services/gaps/refresh.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == (
                "refresh_gaps"
            ):
                callers.append(f"{_name(path)}:{node.lineno}")
    assert not callers, f"refresh_gaps called outside {WORKFLOWS}: {callers}"


def test_code_cites_documents_of_this_repository() -> None:
    """A docstring or comment that points to a document points to one in this repository's ``docs/``."""
    missing: list[str] = []
    for path in _modules():
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"(?<![\w/.-])(PRODUCT\.md|notes/[\w.-]+|docs/[\w-]+\.md)", text):
            if not (APP.parent / match.group(1)).is_file():
                missing.append(f"{_name(path)}: {match.group(1)}")
    assert not missing, f"references to documents that are not in the repository: {missing}"


def test_vocabularies_are_declared_once() -> None:
    """No ``Literal[...]`` or tuple anywhere else spells out a whole vocabulary (a second list of stages,
    key kinds, vendors or statuses): the enums are used instead."""
    vocabularies = {
        enum.__name__: {member.value for member in enum} for enum in (GapStatus, KeyKind, Stage, Vendor)
    }
    found: list[str] = []
    for path in _modules():
        if _name(path) == VOCABULARY:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Tuple | ast.List | ast.Set):
                continue
            values = {e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
            for name, members in vocabularies.items():
                if values and members <= values:
                    found.append(f"{_name(path)}:{node.lineno}: the {name} values")
    assert not found, "vocabularies spelled out again:\n" + "\n".join(found)


def test_no_import_cycles() -> None:
    """Modules import each other in one direction only (imports inside ``if TYPE_CHECKING`` excepted)."""
    graph: dict[str, set[str]] = {}
    paths = {_dotted(path): path for path in _modules()}
    for module, path in paths.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                node.body = []
        graph[module] = {name for name in _imports(tree, module) if name in paths and name != module}
    cycles = [component for component in _strongly_connected(graph) if len(component) > 1]
    assert not cycles, f"import cycles: {cycles}"


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (the graph has a few hundred nodes)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, typing.Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components

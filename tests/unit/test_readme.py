"""README.md's "What is there" lists every endpoint and every command that exists (issue 24).

The lists are read from the app itself — the FastAPI routes and the ``launchgap`` command tree — so an
endpoint or a command added later fails this test until the README names it, and the failure says exactly
what to add.
"""

from __future__ import annotations

import re
from pathlib import Path

import typer
from fastapi.routing import iter_route_contexts

from app.cli.main import cli
from app.config import Settings
from app.main import create_app

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## What is there"
NOT_ENDPOINTS = {"/favicon.ico", "/static"}
"""Served, but not something a reader looks for: the browser's icon and the pages' own assets."""


def _section() -> str:
    text = README.read_text()
    assert SECTION in text, f"README.md has no {SECTION!r} section"
    body = text.split(SECTION, 1)[1]
    return body.split("\n## ", 1)[0]


def _spans(text: str) -> list[str]:
    """The code spans (Markdown lets one run over a line break)."""
    return [" ".join(span.split()) for span in re.findall(r"`([^`]+)`", text)]


def _listed_endpoints(spans: list[str]) -> set[tuple[str, str]]:
    """``(method, path)`` for each span that starts with a path, or with a method and a path (``GET`` when
    no method is written); a query string after the path is allowed."""
    listed: set[tuple[str, str]] = set()
    for span in spans:
        match = re.match(r"^(?:(GET|POST|PUT|PATCH|DELETE|HEAD) )?(/[^\s?]*)", span)
        if match:
            listed.add((match.group(1) or "GET", match.group(2)))
    return listed


def _endpoints() -> set[tuple[str, str]]:
    """Every (method, path) the app answers, path parameters as ``{name}`` (no converter)."""
    app = create_app(Settings(database_url="sqlite://"), start_watchers=False)
    endpoints: set[tuple[str, str]] = set()
    for route in iter_route_contexts(app.routes):
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", getattr(route, "path", ""))
        if not path or path in NOT_ENDPOINTS:
            continue
        methods = set(getattr(route, "methods", None) or ()) - {"HEAD"}
        endpoints |= {(method, path) for method in methods}
    return endpoints


def _commands() -> list[tuple[str, ...]]:
    """Every command of ``launchgap`` as its words: the leaves, and each group that runs on its own
    (``launchgap watch``)."""
    root = typer.main.get_command(cli)
    context = root.make_context("launchgap", [], resilient_parsing=True)
    found: list[tuple[str, ...]] = []

    def walk(command: object, words: tuple[str, ...]) -> None:
        if getattr(command, "hidden", False):
            return
        if hasattr(command, "list_commands"):
            if words and getattr(command, "invoke_without_command", False):
                found.append(words)
            for name in command.list_commands(context):
                walk(command.get_command(context, name), (*words, name))
        else:
            found.append(words)

    walk(root, ())
    return found


def _listed_command(spans: list[str], words: tuple[str, ...]) -> bool:
    """A span names a command when its first words are the command's, ``launchgap`` optional; a word may
    list alternatives (``db upgrade|downgrade``)."""
    for span in spans:
        tokens = span.split()
        if tokens[:1] == ["launchgap"]:
            tokens = tokens[1:]
        if len(tokens) >= len(words) and all(w in t.split("|") for w, t in zip(words, tokens, strict=False)):
            return True
    return False


def test_readme_lists_every_endpoint() -> None:
    listed = _listed_endpoints(_spans(_section()))
    missing = sorted((path, method) for method, path in _endpoints() if (method, path) not in listed)
    assert not missing, (
        'README.md\'s "What is there" does not list these endpoints: '
        + ", ".join(f"{method} {path}" for path, method in missing)
        + ". Name each in backticks: `/path` for GET (a query may follow: `/path?q=`), `POST /path` for "
        "other methods."
    )


def test_readme_lists_every_command() -> None:
    spans = _spans(_section())
    missing = [" ".join(words) for words in _commands() if not _listed_command(spans, words)]
    assert not missing, (
        'README.md\'s "What is there" does not list these commands: '
        + ", ".join(f"launchgap {name}" for name in missing)
        + ". Name each in backticks with its words (`launchgap` optional): `catalog audit RUNTIME`, or "
        "alternatives in one word: `db upgrade|downgrade`."
    )


def test_the_check_reads_what_exists() -> None:
    """The lists the two checks compare against are the real ones (a check reading nothing passes)."""
    endpoints = _endpoints()
    assert ("GET", "/api/v1/models/{repo_id}/requirements") in endpoints
    assert ("DELETE", "/api/v1/watches/{watch_id}") in endpoints
    assert ("GET", "/releases/{repo_id}") in endpoints
    commands = _commands()
    assert ("catalog", "audit") in commands and ("watch",) in commands and ("which",) in commands
    assert not _listed_command(["db upgrade"], ("db", "check"))
    assert _listed_command(["launchgap db upgrade|check"], ("db", "check"))

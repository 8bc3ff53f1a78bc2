"""Source texts as a reader sees them: repository references become links, never file paths.

The release facts name their sources in free text, often as ``owner/repo@rev:path`` (a file in a public
repository) or a stored file's path. Pages show a repository reference as a link to the file on GitHub,
labelled with the repository and the file's name, and any other file path by its name alone: a path on a
page reads as a machine's internals (``/work/…``, ``app/data/…``), says nothing to a reader, and leaks the
server's layout (issue 24; ``tests/integration/test_page_text.py`` checks every page).
"""

from __future__ import annotations

import re
from html import escape

from markupsafe import Markup

_REPO_REF = re.compile(
    r"(?<![\w./:@-])(?P<repo>[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*?)(?:@(?P<rev>[0-9a-f]{6,40}))?"
    r":(?P<path>[\w.-]+(?:/[\w.-]+)*)"
)
"""``owner/repo:path`` or ``owner/repo@rev:path``, the path starting right after the colon (so "arch: x"
is no reference)."""

_FILE_PATH = re.compile(
    r"(?<![\w./:@-])(?:~|\.{1,2})?/?(?:[\w.+-]+/)+(?P<name>[\w.+-]+\.(?:csv|json|jsonl|gz|py|md|yaml|yml|toml|txt"
    r"|html|sqlite|db|log))\b"
)
"""A relative or absolute path to a file (a directory, then a file name with an extension)."""

_ABSOLUTE_PATH = re.compile(
    r"(?<![\w./:@-])(?:~|/(?:work|home|tmp|var|usr|root|opt|srv|mnt|data))(?:/[\w.+-]+)+"
)
"""An absolute path on this machine (or a home directory's) without a file extension: a directory, a copy."""


def without_paths(value: object) -> str:
    """``value`` as plain text with file paths and local directories reduced to their names (an error
    message naming a copy on disk, shown on the banner)."""
    if value is None:
        return ""
    text = _FILE_PATH.sub(lambda m: m.group("name"), str(value))
    return _ABSOLUTE_PATH.sub(lambda m: m.group(0).rstrip("/").rsplit("/", 1)[-1], text)


def escape_plain(text: str) -> str:
    """``text`` without paths, escaped for HTML."""
    return escape(without_paths(text), quote=False)


def evidence_text(value: object) -> Markup:
    """``value`` for a page: repository references linked (GitHub, at the stated revision), file paths
    reduced to names, everything else escaped as text."""
    if value is None:
        return Markup("")
    text = str(value)
    parts: list[str] = []
    last = 0
    for match in _REPO_REF.finditer(text):
        parts.append(escape_plain(text[last : match.start()]))
        repo, rev, path = match.group("repo"), match.group("rev") or "HEAD", match.group("path")
        href = f"https://github.com/{repo}/blob/{rev}/{path}"
        label = f"{repo} · {path.rsplit('/', 1)[-1]}"
        parts.append(f'<a href="{escape(href)}" rel="noopener">{escape(label, quote=False)}</a>')
        last = match.end()
    parts.append(escape_plain(text[last:]))
    return Markup("".join(parts))

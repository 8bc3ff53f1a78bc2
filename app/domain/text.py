"""Text from outside (the Hub, receivers, snapshot files) made fit to store: no NUL, no control characters.

PostgreSQL refuses NUL in text, and control characters or lone surrogates make a value unencodable or
unreadable on a page. Checks say whether a value is clean (to refuse an item naming the problem);
``storable`` cleans a value that is kept anyway as a description (an error text, a receiver's answer).
"""

from __future__ import annotations

import re

# C0 controls except tab, newline and carriage return; DEL and the C1 controls; lone surrogates.
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_ANY_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def has_control_characters(value: str) -> bool:
    """Whether ``value`` holds a NUL, any other control character (tab and newline too) or a lone
    surrogate: what a name, a key or an identifier never contains."""
    return _ANY_CONTROL.search(value) is not None


def storable(value: str | None) -> str | None:
    """``value`` with NUL, control characters (tab, newline and carriage return kept) and lone surrogates
    replaced by U+FFFD, so it can be stored on both databases and shown as text."""
    if value is None:
        return None
    return _UNSTORABLE.sub("\ufffd", value)


def is_web_link(value: object) -> bool:
    """Whether ``value`` may become a link (``href``): an http(s) URL. Anything else (``javascript:``,
    ``data:``) is shown as text, whatever was stored."""
    return isinstance(value, str) and value.lower().startswith(("https://", "http://"))

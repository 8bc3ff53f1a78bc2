"""Every setting is documented in docs/configuration.md (and nothing documented is missing from the code)."""

from __future__ import annotations

import re
from pathlib import Path

from app.config import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def _documented() -> set[str]:
    table = DOC.read_text().split("## Variables read by the test suite")[0]
    return set(re.findall(r"^\| `(LAUNCHGAP_[A-Z0-9_]+)`", table, flags=re.MULTILINE))


def test_every_setting_is_documented() -> None:
    expected = {f"LAUNCHGAP_{name.upper()}" for name in Settings.model_fields}
    documented = _documented()
    assert expected - documented == set(), "settings missing from docs/configuration.md"
    assert documented - expected == set(), "docs/configuration.md documents settings that do not exist"


def test_every_setting_has_a_docstring() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description, f"setting {name} has no docstring (use_attribute_docstrings)"

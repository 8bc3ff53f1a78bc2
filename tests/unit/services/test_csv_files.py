"""The shared CSV row reader (app/services/csv_files.py) and the two files that use it: every bad line and
every repeated key is reported at once, with its line number, and nothing is returned from a bad file."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.services.csv_files import read_keyed_rows
from app.services.releases.facts import ReleaseFileError, read_release_facts
from app.services.releases.publishers import PublishersFileError, read_publishers

FACTS_HEADER = "hf_repo_id,org,architecture,model_type,public_release_date,createdAt,source,confidence,notes"


class BadFile(ValueError):
    pass


def _write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "rows.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _number(cells: dict[str, str]) -> tuple[str, int]:
    return cells["name"], int(cells["n"])  # int() raises ValueError on a bad number


def test_rows_come_back_parsed_in_file_order(tmp_path: Path) -> None:
    path = _write(tmp_path, "name,n", "b, 2", "a,1")
    rows = read_keyed_rows(path, ("name", "n"), BadFile, _number, key=lambda r: r[0], duplicate="{key} again")
    assert rows == [("b", 2), ("a", 1)]


def test_every_bad_line_and_repeated_key_is_reported_in_one_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "name,n", "a,1", "b,x", "a,3", "c,4", "c,5")
    with pytest.raises(BadFile) as info:
        read_keyed_rows(path, ("name", "n"), BadFile, _number, key=lambda r: r[0], duplicate="{key!r} again")
    message = str(info.value)
    assert message.startswith(f"{path}: line 3: invalid literal")
    assert message.endswith("; line 4: 'a' again; line 6: 'c' again")


def test_release_facts_refuse_a_repeated_repo_and_report_every_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        FACTS_HEADER,
        "a/b,a,A,a,2024-01-01,,src,high,",
        "a/b,a,A,a,2024-02-01,,src,high,",
        "c/d,c,A,a,2024-01-01,,,high,",
    )
    with pytest.raises(ReleaseFileError) as info:
        read_release_facts(path)
    assert "line 3: a/b appears twice" in str(info.value)
    assert "line 4: source is empty" in str(info.value)


def test_publishers_refuse_a_repeated_org_and_an_invalid_one(tmp_path: Path) -> None:
    path = _write(tmp_path, "hub_org,name,country", "acme,Acme,US", "bad org!,Bad,", "acme,Acme again,US")
    with pytest.raises(PublishersFileError) as info:
        read_publishers(path)
    assert "line 3: invalid Hub org name 'bad org!'" in str(info.value)
    assert "line 4: duplicate hub_org 'acme'" in str(info.value)
    good = _write(tmp_path, "hub_org,name,country,confidence", "acme,,US,high", "beta,Beta,,")
    assert [(r.hub_org, r.name, r.country, r.confidence) for r in read_publishers(good)] == [
        ("acme", "acme", "US", "high"),
        ("beta", "Beta", None, None),
    ]

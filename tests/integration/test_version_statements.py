"""Version statements (vLLM Recipes' ``model.min_vllm_version``) follow the recipes' newest scanned head."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import VersionStatement
from app.services.runtimes.scan import scan_runtime
from app.sources.runtimes.catalog import CATALOG

from ..fakes.repo_builder import RepoBuilder
from ..support.deepseek_v4 import NOW, recipe


def _stated(session: Session) -> dict[str, tuple[str, str, str]]:
    rows = session.scalars(select(VersionStatement).where(VersionStatement.source == "vllm-recipes")).all()
    return {row.key: (row.runtime, row.min_version, row.commit) for row in rows}


def test_statements_are_replaced_at_each_scan(tmp_path: Path, session: Session) -> None:
    repo = RepoBuilder(tmp_path / "recipes")
    repo.commit({"README.md": "recipes\n"}, at="2026-04-20T00:00:00Z")
    repo.commit(
        {
            "models/acme/A-1.yaml": recipe("acme/A-1", "0.19.0"),
            "models/acme/B-1.yaml": recipe("acme/B-1", "0.18.2"),
            # no floor stated, and a file that is not YAML at all: neither hides the others
            "models/acme/C-1.yaml": "meta:\n  hardware:\n    h100: verified\nmodel:\n  model_id: acme/C-1\n",
            "models/acme/broken.yaml": "model: [unclosed\n",
        },
        at="2026-04-21T00:00:00Z",
    )
    spec = CATALOG["vllm-recipes"]

    def scan() -> None:
        scan_runtime(session, spec, data_dir=tmp_path / "data", repo=str(repo.path), now=NOW)

    scan()
    first = repo.head()
    assert _stated(session) == {"acme/A-1": ("vllm", "0.19.0", first), "acme/B-1": ("vllm", "0.18.2", first)}
    scan()  # nothing new: nothing changes
    assert _stated(session)["acme/A-1"] == ("vllm", "0.19.0", first)

    repo.commit(
        {"models/acme/A-1.yaml": recipe("acme/A-1", "0.20.0"), "models/acme/B-1.yaml": None},
        at="2026-05-01T00:00:00Z",
    )
    scan()
    # the floor moved, and a recipe that is gone states nothing any more
    assert _stated(session) == {"acme/A-1": ("vllm", "0.20.0", repo.head())}
    row = session.scalars(select(VersionStatement)).one()
    assert (row.key_kind, row.path) == ("repo_id", "models/acme/A-1.yaml")

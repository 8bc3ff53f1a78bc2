"""Version statements (vLLM Recipes' ``model.min_vllm_version`` and ``model.docker_image``) follow the recipes'
newest scanned head."""

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
    rows = session.scalars(
        select(VersionStatement).where(
            VersionStatement.source == "vllm-recipes", VersionStatement.kind == "min_version"
        )
    ).all()
    return {row.key: (row.runtime, row.value, row.commit) for row in rows}


def _images(session: Session) -> dict[tuple[str, str, str], str]:
    rows = session.scalars(select(VersionStatement).where(VersionStatement.kind == "image")).all()
    return {(row.key, row.vendor, row.variant): row.value for row in rows}


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


def _imaged(model_id: str, docker_image: str) -> str:
    return f"meta:\n  hardware:\n    mi355x: verified\nmodel:\n  model_id: {model_id}\n{docker_image}"


def test_images_are_statements_per_vendor_replaced_at_each_scan(tmp_path: Path, session: Session) -> None:
    repo = RepoBuilder(tmp_path / "recipes")
    # the shapes the real history used: CUDA builds (NVIDIA, 2026-04-23 on), one image for every vendor,
    # a map by vendor, and a vendor's map by CUDA build (docs/runtimes.md)
    repo.commit(
        {
            "models/acme/A-1.yaml": _imaged(
                "acme/A-1",
                '  min_vllm_version: "0.20.1"\n  docker_image:\n    cu129: "v/o:a-cu129"\n'
                '    cu130: "v/o:a-cu130"\n',
            ),
            "models/acme/B-1.yaml": _imaged("acme/B-1", '  docker_image: "vllm/vllm-openai:v0.20.2"\n'),
            "models/acme/C-1.yaml": _imaged(
                "acme/C-1",
                '  docker_image:\n    nvidia:\n      cu130: "v/o:c"\n    AMD: "docker pull v/r:c"\n'
                '    other: "two words"\n',
            ),
        },
        at="2026-04-24T00:00:00Z",
    )
    spec = CATALOG["vllm-recipes"]
    scan_runtime(session, spec, data_dir=tmp_path / "data", repo=str(repo.path), now=NOW)
    assert _images(session) == {
        ("acme/A-1", "nvidia", "cu129"): "v/o:a-cu129",
        ("acme/A-1", "nvidia", "cu130"): "v/o:a-cu130",
        ("acme/B-1", "", ""): "vllm/vllm-openai:v0.20.2",
        ("acme/C-1", "nvidia", "cu130"): "v/o:c",
        ("acme/C-1", "amd", ""): "v/r:c",  # the slug in any case, the command's prefix dropped
    }
    assert _stated(session) == {"acme/A-1": ("vllm", "0.20.1", repo.head())}

    # the recipe moves to a map by vendor: the CUDA builds are no longer stated
    repo.commit(
        {
            "models/acme/A-1.yaml": _imaged(
                "acme/A-1", '  docker_image:\n    amd: "vllm/vllm-openai-rocm:nightly"\n'
            )
        },
        at="2026-08-20T00:00:00Z",
    )
    scan_runtime(session, spec, data_dir=tmp_path / "data", repo=str(repo.path), now=NOW)
    images = _images(session)
    assert {k: v for k, v in images.items() if k[0] == "acme/A-1"} == {
        ("acme/A-1", "amd", ""): "vllm/vllm-openai-rocm:nightly"
    }
    assert _stated(session) == {}  # its minimum is no longer stated either
    row = session.scalars(
        select(VersionStatement).where(VersionStatement.key == "acme/A-1", VersionStatement.kind == "image")
    ).one()
    assert (row.runtime, row.commit, row.path) == ("vllm", repo.head(), "models/acme/A-1.yaml")

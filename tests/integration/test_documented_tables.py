"""Issue 22, item 2: a documented table read whole, on a real git history shaped like OpenVINO GenAI's
(HTML tables in ``src/docs/SUPPORTED_MODELS.md`` → ``SUPPORTED_MODELS.md`` → the docs site's
``site/docs/supported-models/_components/*/models.ts``): its Hugging Face links are repo ids, a first cell that
is a family label ("Stable Diffusion 3") a model name, an identifier an architecture — and a release is
documented from the earliest of the three (docs/runtimes.md, "OpenVINO GenAI")."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.vocabulary import GapStatus, KeyKind, Stage
from app.models import GapRecord
from app.services.jobs import scan_then_refresh
from app.services.runtimes.catalog_rows import sync_catalog
from app.sources.runtimes.catalog import get_runtime
from tests.fakes.repo_builder import RepoBuilder
from tests.support.git_history import dated, events_of
from tests.support.seed import Seed

OPENVINO = get_runtime("openvino-genai")
MD_OLD = "src/docs/SUPPORTED_MODELS.md"
MD = "SUPPORTED_MODELS.md"
LLM_TS = "site/docs/supported-models/_components/llm-models-table/models.ts"
IMAGE_TS = "site/docs/supported-models/_components/image-generation-models-table/models.ts"

FIRST = datetime(2024, 6, 20, 7, 0, tzinfo=UTC)
MOVED = datetime(2025, 1, 9, 10, 0, tzinfo=UTC)
LINKED = datetime(2025, 2, 10, 12, 0, tzinfo=UTC)  # acme/Nova-7B linked under a family label
SITE = datetime(2025, 3, 11, 9, 0, tzinfo=UTC)  # the site's tables; Nova's architecture named
MD_GONE = datetime(2025, 7, 16, 15, 0, tzinfo=UTC)
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _row(label: str, *repos: str, rowspan: int = 0) -> str:
    span = f' rowspan="{rowspan}" vertical-align="top"' if rowspan else ""
    links = "".join(
        f'          <li><a href="https://huggingface.co/{r}"><code>{r}</code></a></li>\n' for r in repos
    )
    return (
        f"    <tr>\n      <td{span}><code>{label}</code></td>\n      <td>{label.split()[0]}</td>\n"
        f"      <td>\n        <ul>\n{links}        </ul>\n      </td>\n    </tr>\n"
    )


def _markdown(*rows: str) -> str:
    header = "    <tr>\n      <th>Architecture</th>\n      <th>Models</th>\n      <th>Example HuggingFace Models</th>\n    </tr>\n"
    return (
        "# OpenVINO GenAI: Supported Models\n\n<table>\n  <tbody>\n"
        + header
        + "".join(rows)
        + "  </tbody>\n</table>\n"
        # a row kept in a comment is not in the table
        "<!-- <td><code>GhostForCausalLM</code></td> https://huggingface.co/ghost/Ghost-1B -->\n"
        # a link to a collection is no model
        "See also https://huggingface.co/collections/OpenVINO/llm-6687aaa2abca3bbcec71a9bd\n"
    )


def _ts(name: str, rows: list[tuple[str, list[str]]]) -> str:
    body = "".join(
        f"  {{\n    architecture: '{label}',\n    models: [\n      {{\n        name: '{label.split()[0]}',\n"
        "        links: [\n"
        + "".join(f"          'https://huggingface.co/{r}',\n" for r in repos)
        + "        ],\n"
        "      },\n    ],\n  },\n"
        for label, repos in rows
    )
    return f"type T = {{ architecture: string }};\n\n// architecture: 'CommentedForCausalLM'\nexport const {name}: T[] = [\n{body}];\n"


LLAMA = _row("LlamaForCausalLM", "meta-llama/Llama-2-7b-hf", rowspan=1)


def openvino_history(path: Path) -> RepoBuilder:
    """Three eras: the table under src/docs (2024-06), moved to the root (2025-01), the site's tables
    (2025-03) beside it until the Markdown goes (2025-07)."""
    repo = RepoBuilder(path, branch="master")
    repo.commit({MD_OLD: _markdown(LLAMA)}, at=FIRST, message="Merge releases/2024/2 into master (#533)")
    repo.commit(move={MD_OLD: MD}, at=MOVED, message="Move supported models (#1504)")
    sd3 = _row("Stable Diffusion 3", "stabilityai/stable-diffusion-3-medium-diffusers")
    nova = _row("Acme LM", "acme/Nova-7B")  # a family label that matches no repo name
    repo.commit({MD: _markdown(LLAMA, sd3, nova)}, at=LINKED, message="Add SD3 and Nova (#1600)")
    repo.commit(
        {
            LLM_TS: _ts(
                "LLM_MODELS",
                [
                    ("LlamaForCausalLM", ["meta-llama/Llama-2-7b-hf"]),
                    ("NovaForCausalLM", ["acme/Nova-7B"]),
                ],
            ),
            IMAGE_TS: _ts(
                "IMAGE_GENERATION_MODELS",
                [
                    ("Stable Diffusion 3", ["stabilityai/stable-diffusion-3-medium-diffusers"]),
                    ("Stella 3", ["acme/Stella-3-Turbo"]),
                ],
            ),
        },
        at=SITE,
        message="Add supported models page (#1922)",
    )
    repo.commit({MD: None}, at=MD_GONE, message="Remove SUPPORTED_MODELS.md (#2435)")
    return repo


def test_links_are_repo_ids_and_family_labels_model_names_across_the_eras(tmp_path: Path) -> None:
    repo = openvino_history(tmp_path / "openvino.genai")
    events = events_of(OPENVINO.name, repo, tmp_path)
    assert set(dated(events, Stage.DOCUMENTED, "signal", "key", "event")) == {
        ("supported_models", "LlamaForCausalLM", "added", "2024-06-20"),
        ("supported_model_repos", "meta-llama/Llama-2-7b-hf", "added", "2024-06-20"),
        # read whole: the label as a model name, the link as a repo id (the old rule dropped both)
        ("supported_model_families", "Stable Diffusion 3", "added", "2025-02-10"),
        ("supported_model_repos", "stabilityai/stable-diffusion-3-medium-diffusers", "added", "2025-02-10"),
        ("supported_model_families", "Acme LM", "added", "2025-02-10"),
        ("supported_model_repos", "acme/Nova-7B", "added", "2025-02-10"),
        ("supported_models", "NovaForCausalLM", "added", "2025-03-11"),
        ("supported_model_families", "Stella 3", "added", "2025-03-11"),
        ("supported_model_repos", "acme/Stella-3-Turbo", "added", "2025-03-11"),
        # the Markdown table goes, the site's tables keep SD3 and the links: only "Acme LM" leaves
        ("supported_model_families", "Acme LM", "removed", "2025-07-16"),
    }
    kinds = {(e.signal, e.key_kind) for e in events}
    assert kinds == {
        ("supported_models", KeyKind.ARCHITECTURE),
        ("supported_model_families", KeyKind.MODEL_NAME),
        ("supported_model_repos", KeyKind.REPO_ID),
    }
    # the move to the root is no event, and nothing commented out or linked to a collection counts
    assert not {e.key for e in events} & {"GhostForCausalLM", "ghost/Ghost-1B", "CommentedForCausalLM"}
    assert not any(e.key.startswith(("collections/", "OpenVINO/")) for e in events)


def test_a_release_is_documented_by_the_earliest_of_its_keys(session: Session, tmp_path: Path) -> None:
    sync_catalog(session)
    seed = Seed(session)
    released = datetime(2025, 2, 1, tzinfo=UTC)
    seed.model("acme/Nova-7B", release_at=released, architecture="NovaForCausalLM", model_type="nova")
    seed.model(
        "acme/Stella-3-Turbo", release_at=released, architecture="StellaForCausalLM", model_type="stella"
    )
    seed.model(
        "acme/Stella-3-Mini", release_at=released, architecture="StellaForCausalLM", model_type="stella"
    )
    seed.model("acme/Quiet-1B", release_at=released, architecture="QuietForCausalLM", model_type="quiet")
    repo = openvino_history(tmp_path / "openvino.genai")
    scan_then_refresh(session, OPENVINO, data_dir=tmp_path / "d", repo=str(repo.path), now=NOW)

    rows = {
        row.repo_id: row
        for row in session.scalars(
            select(GapRecord).where(
                GapRecord.stage == Stage.DOCUMENTED,
                GapRecord.runtime == OPENVINO.name,
                GapRecord.vendor == "",
            )
        )
    }
    nova = rows["acme/Nova-7B"]
    # linked on 2025-02-10, its class named on 2025-03-11: documented from the link
    assert (nova.key_kind, nova.key, nova.support_at, nova.status) == (
        KeyKind.REPO_ID, "acme/Nova-7B", LINKED, GapStatus.LATER,
    )  # fmt: skip
    assert nova.commit == repo.head("HEAD~2")
    # "Stella 3" (a family label) documents every Stella 3 repo, linked or not, from the site's table
    mini = rows["acme/Stella-3-Mini"]
    assert (mini.key_kind, mini.key, mini.support_at) == (KeyKind.MODEL_NAME, "Stella 3", SITE)
    turbo = rows["acme/Stella-3-Turbo"]
    assert turbo.support_at == SITE and turbo.status == GapStatus.LATER
    quiet = rows["acme/Quiet-1B"]
    assert (quiet.status, quiet.key_kind) == (GapStatus.PENDING, KeyKind.ARCHITECTURE)

"""The version answer says what is known (issue 24): a runtime whose own releases are not observed still gets
its item with what a source states about it (the minimum version, the images per vendor); a SKU is asked in
any case and brings its verification; the API, `launchgap which` and the release page give the same answer
(one service: app/services/answers/requirements.py). Real repositories, a fake Hub, both databases."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.api.deps import get_now
from app.cli.main import cli
from app.config import Settings, get_settings
from app.db.migrate import upgrade
from app.db.session import create_db_engine, session_factory, session_scope
from app.main import create_app
from app.services.gaps.refresh import refresh_gaps
from app.services.hub.poll import poll_publishers
from app.services.jobs import bootstrap_reference_data
from app.services.runtimes.scan import scan_runtime
from app.sources.hub.client import HubClient
from app.sources.runtimes.catalog import CATALOG

from ..conftest import DIALECTS, ScratchDatabases
from ..fakes.fake_hub import FakeHub
from ..fakes.repo_builder import RepoBuilder

PRO = "deepseek-ai/DeepSeek-V4-Pro"
RELEASE = datetime(2026, 4, 24, 12, 0, tzinfo=UTC)
H200_VERIFIED = datetime(2026, 4, 24, 18, 0, tzinfo=UTC)
MI355X_VERIFIED = datetime(2026, 6, 10, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 7, 1, tzinfo=UTC)
ROCM_IMAGE = "vllm/vllm-openai-rocm:nightly"
RECIPE = "models/deepseek-ai/DeepSeek-V4-Pro.yaml"


def pro_recipe(min_version: str, docker_image: str, mi355x: str) -> str:
    """The real file's shape (vllm-project/recipes at 8959cf64189c, trimmed)."""
    return (
        f'meta:\n  title: "DeepSeek-V4-Pro"\n  hardware:\n    h200: verified\n    mi300x: unsupported\n'
        f'    mi355x: {mi355x}\nmodel:\n  model_id: "{PRO}"\n  min_vllm_version: "{min_version}"\n'
        f"{docker_image}  architecture: moe\n"
    )


@dataclass
class Built:
    settings: Settings
    recipes: RepoBuilder


def _build(tmp_path: Path, hub: FakeHub, url: str) -> Built:
    hub.add_model(
        "deepseek-ai", "DeepSeek-V4-Pro", architectures=["DeepseekV4ForCausalLM"], model_type="deepseek_v4",
        created_at=RELEASE,
    )  # fmt: skip
    vllm = RepoBuilder(tmp_path / "vllm")
    vllm.commit(
        {"vllm/model_executor/models/registry.py": '_TEXT_GENERATION_MODELS = {\n    "DeepseekV4ForCausalLM": '
         '("deepseek_v4", "DeepseekV4ForCausalLM"),\n}\n'},
        at="2026-04-24T13:00:00Z",
    )  # fmt: skip
    vllm.tag("v0.20.0", annotated=True, at="2026-04-25T10:00:00Z")  # there, but its releases are not read
    recipes = RepoBuilder(tmp_path / "recipes")
    recipes.commit({"README.md": "recipes\n"}, at="2026-04-20T00:00:00Z")
    # the first version keyed NVIDIA's images by CUDA build; MI355X came later with the AMD image
    cuda = '  docker_image:\n    cu129: "vllm/vllm-openai:deepseekv4-cu129"\n'
    recipes.commit({RECIPE: pro_recipe("0.19.1", cuda, "unsupported")}, at="2026-04-24T18:00:00Z")
    amd = f'  docker_image:\n    amd: "{ROCM_IMAGE}"\n'
    recipes.commit({RECIPE: pro_recipe("0.20.0", amd, "verified")}, at="2026-06-10T08:00:00Z")
    publishers = tmp_path / "publishers.csv"
    publishers.write_text("hub_org,name,country,confidence\ndeepseek-ai,DeepSeek,CN,high\n")
    repos = {"vllm": vllm, "vllm-recipes": recipes}
    settings = Settings(
        database_url=url, hub_endpoint=hub.url, data_dir=tmp_path / "data", publishers_file=publishers,
        runtimes=list(repos), runtime_repos={n: str(r.path) for n, r in repos.items()}, seed_release_facts=False,
    )  # fmt: skip
    engine = create_db_engine(url)
    try:
        factory = session_factory(engine)
        bootstrap_reference_data(factory, settings, now=NOW)
        with HubClient.from_settings(settings) as client:
            poll_publishers(factory, client, None, NOW)
        with session_scope(factory) as session:
            # vLLM read for its merges only, as the bundled snapshot's copy is: its releases are unknown
            scan_runtime(session, CATALOG["vllm"], data_dir=settings.data_dir, repo=str(vllm.path), now=NOW,
                         stages=("merged",))  # fmt: skip
            scan_runtime(session, CATALOG["vllm-recipes"], data_dir=settings.data_dir, repo=str(recipes.path),
                         now=NOW)  # fmt: skip
            refresh_gaps(session)
    finally:
        engine.dispose()
    return Built(settings, recipes)


@pytest.fixture(scope="module", params=DIALECTS)
def scenario(
    request: pytest.FixtureRequest,
    scratch_databases: ScratchDatabases,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TestClient, Built]]:
    url = scratch_databases.new_url(request.param)
    upgrade(url)
    with FakeHub() as hub:
        built = _build(tmp_path_factory.mktemp("v4-pro"), hub, url)
    app = create_app(built.settings, start_watchers=False)
    app.dependency_overrides[get_now] = lambda: NOW
    with TestClient(app) as client:
        yield client, built


def _items(client: TestClient, **params: object) -> list[dict]:
    response = client.get(f"/api/v1/models/{PRO}/requirements", params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def _which(built: Built, monkeypatch: pytest.MonkeyPatch, *args: str) -> list[str]:
    monkeypatch.setenv("LAUNCHGAP_DATABASE_URL", built.settings.database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["which", PRO, *args])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_unobserved_releases_still_carry_the_stated_minimum_and_image(scenario) -> None:  # type: ignore[no-untyped-def]
    client, built = scenario
    [vllm] = _items(client, runtime="vllm")
    head = built.recipes.head()
    # the runtime's releases are unknown (its tag is there but was not read): said so, not "none yet"
    assert vllm["releases_observed"] is False and vllm["status"] == "unknown"
    assert vllm["first_release"] is None and vllm["first_final_release"] is None
    assert (vllm["key_kind"], vllm["key"]) == ("architecture", "DeepseekV4ForCausalLM")
    # what the recipe states now (its floor raised, its CUDA images replaced by the AMD one)
    assert vllm["min_version"] == {
        "version": "0.20.0",
        "source": "vllm-recipes",
        "commit": head,
        "evidence_url": None,
    }
    common = {
        "runtime": "vllm",
        "variant": None,
        "source": "vllm-recipes",
        "commit": head,
        "evidence_url": None,
    }
    assert vllm["statements"] == [
        {"kind": "min_version", "vendor": None, "value": "0.20.0", **common},
        {"kind": "image", "vendor": "amd", "value": ROCM_IMAGE, **common},
    ]
    assert vllm["verification"] is None  # no SKU asked
    # without a filter the item is there too (an item for every runtime with a statement or an observed cell)
    assert [i["runtime"] for i in _items(client)] == ["vllm"]
    # and the CSV carries the image and the unobserved releases
    csv = client.get(f"/api/v1/models/{PRO}/requirements", params={"format": "csv"}).text
    header, row = csv.splitlines()
    values = dict(zip(header.split(","), row.split(","), strict=True))
    assert (values["releases_observed"], values["images"], values["min_version"]) == (
        "false",
        f"amd={ROCM_IMAGE}",
        "0.20.0",
    )


def test_a_sku_in_any_case_names_its_verification_and_its_statements(scenario) -> None:  # type: ignore[no-untyped-def]
    client, _built = scenario
    lower, upper = _items(client, sku="mi355x"), _items(client, sku="MI355X")
    assert lower == upper
    [vllm] = lower  # upstream vLLM does not target MI355X itself: the recipes verifying it there bring it in
    checked = vllm["verification"]
    assert (checked["sku"], checked["source"], checked["status"]) == ("MI355X", "vllm-recipes", "later")
    assert checked["at"].startswith(MI355X_VERIFIED.strftime("%Y-%m-%dT%H:%M"))
    assert [s["value"] for s in vllm["statements"]] == ["0.20.0", ROCM_IMAGE]
    # on an NVIDIA SKU the AMD image is not what the source states for it
    [on_h200] = _items(client, sku="h200")
    assert [s["kind"] for s in on_h200["statements"]] == ["min_version"]
    assert on_h200["verification"]["at"].startswith(H200_VERIFIED.strftime("%Y-%m-%dT%H:%M"))
    # a SKU is unknown in every case; the gaps list takes SKUs in any case too
    assert client.get(f"/api/v1/models/{PRO}/requirements", params={"sku": "mi999x"}).status_code == 422
    gaps = client.get("/api/v1/gaps", params={"sku": "mi355x", "stage": "verified"}).json()["items"]
    assert {(g["repo_id"], g["sku"]) for g in gaps} == {(PRO, "MI355X")}


def test_the_cli_and_the_api_give_the_same_answer(scenario, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    client, built = scenario
    for sku in ("mi355x", "MI355X"):  # --sku in any case
        lines = _which(built, monkeypatch, "--sku", sku)
        [item] = _items(client, sku=sku)
        header, row, *details = lines
        assert header.split()[:2] == ["RUNTIME", "VENDORS"]
        assert row.split() == [
            item["runtime"], *item["vendors"], "not", "observed", "not", "observed", "—", ">=",
            item["min_version"]["version"], f"({item['min_version']['source']})",
        ]  # fmt: skip
        image = next(s for s in item["statements"] if s["kind"] == "image")
        checked = item["verification"]
        assert details == [
            "vllm: its releases are not observed (unknown); what sources state is shown",
            f"vllm: image for {image['vendor']}: {image['value']} (vllm-recipes at {image['commit'][:12]})",
            f"vllm on {checked['sku']}: verified {checked['at'][:10]} ({checked['status']}; vllm-recipes at "
            f"{checked['commit'][:12]})",
        ]
    # the runtime alone (it was answered "no observed runtime cell" before)
    lines = _which(built, monkeypatch, "--runtime", "vllm")
    assert lines[1].split()[0] == "vllm" and f"image for amd: {ROCM_IMAGE}" in "\n".join(lines)
    # an unknown SKU is refused whatever its case
    monkeypatch.setenv("LAUNCHGAP_DATABASE_URL", built.settings.database_url)
    get_settings.cache_clear()
    try:
        assert CliRunner().invoke(cli, ["which", PRO, "--sku", "mi999x"]).exit_code == 2
    finally:
        get_settings.cache_clear()


def test_the_release_page_shows_the_same_answer(scenario) -> None:  # type: ignore[no-untyped-def]
    client, _built = scenario
    page = client.get(f"/releases/{PRO}", params={"sku": "mi355x"}).text
    table = page[page.index('id="requirements"') : page.index("</table>", page.index('id="requirements"'))]
    assert 'data-runtime="vllm"' in table
    assert "releases not observed" in table and "≥ 0.20.0" in table
    assert f"<code>{ROCM_IMAGE}</code>" in table and "On MI355X" in table
    assert "verified" in table and "2026-06-10" in table
    assert 'id="requirements-unobserved"' in page
    assert client.get(f"/releases/{PRO}", params={"sku": "nope"}).status_code == 422
    # without a SKU: the image is still there (every vendor's), no verification column
    plain = client.get(f"/releases/{PRO}").text
    assert f"<code>{ROCM_IMAGE}</code>" in plain and "On MI355X" not in plain

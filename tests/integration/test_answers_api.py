"""The answers on the DeepSeek-V4 shape (real repositories, a fake Hub, both databases): the early-access map,
propagation from upstream vLLM to vllm-ascend, and stage lags."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.api.deps import get_now
from app.cli.main import cli
from app.config import get_settings
from app.db.migrate import upgrade
from app.main import create_app
from app.sources.runtimes.catalog import CATALOG

from ..conftest import DIALECTS, ScratchDatabases
from ..fakes.fake_hub import FakeHub
from ..support.deepseek_v4 import (
    ASCEND_V4_AUTHORED,
    ASCEND_V4_BRANCH,
    ASCEND_V4_FINAL,
    ASCEND_V4_PROPOSED,
    ASCEND_V4_RC,
    NOW,
    OTHER_NVIDIA_HUAWEI,
    V4,
    V32,
    DeepSeekV4,
    build_deepseek_v4,
)


@pytest.fixture(scope="module", params=DIALECTS)
def scenario(
    request: pytest.FixtureRequest,
    scratch_databases: ScratchDatabases,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TestClient, DeepSeekV4]]:
    url = scratch_databases.new_url(request.param)
    upgrade(url)
    with FakeHub() as hub:
        built = build_deepseek_v4(tmp_path_factory.mktemp("deepseek"), hub, url)
    app = create_app(built.settings, start_watchers=False)
    app.dependency_overrides[get_now] = lambda: NOW
    with TestClient(app) as client:
        yield client, built


def _items(client: TestClient, path: str, **params: object) -> list[dict]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"]) and body["next_cursor"] is None
    return body["items"]


def test_early_access_map_shows_the_release_branch_before_release(scenario) -> None:  # type: ignore[no-untyped-def]
    client, built = scenario
    cells = {
        (c["publisher"], c["vendor"]): c for c in _items(client, "/api/v1/stats/early-access", stage="branch")
    }
    huawei = cells[("deepseek-ai", "huawei")]
    # V3.2 and V4 are new-key families; only V4 was on a release branch before it was public
    assert (huawei["families"], huawei["pre_release"], huawei["day_0"]) == (2, 1, 0)
    assert huawei["pre_release_share"] == 0.5
    [example] = huawei["examples"]
    assert example["repo_id"] == V4 and example["runtime"] == "vllm-ascend"
    assert example["status"] == "pre-release" and example["gap_hours"] == -8.5
    assert example["commit"] == built.ascend_branch_commit
    assert example["support_at"].startswith(ASCEND_V4_BRANCH.strftime("%Y-%m-%dT%H:%M"))
    assert example["author_at"].startswith(ASCEND_V4_AUTHORED.strftime("%Y-%m-%dT%H:%M"))
    # NVIDIA's runtimes were read from local copies with no release branch: their branch stage is not observed
    # (a copy without the refs says nothing), so NVIDIA has no cell here rather than a confident "never early"
    assert ("deepseek-ai", "nvidia") not in cells

    # merged: upstream vLLM merged both on day 0 (NVIDIA), Huawei's main came weeks later
    merged = {
        (c["publisher"], c["vendor"]): c for c in _items(client, "/api/v1/stats/early-access", stage="merged")
    }
    nvidia = merged[("deepseek-ai", "nvidia")]
    assert (nvidia["families"], nvidia["pre_release"], nvidia["day_0"]) == (2, 0, 2)
    assert [e["repo_id"] for e in nvidia["examples"]] == [V4, V32]  # day-0 ones, earliest support first
    assert merged[("deepseek-ai", "huawei")]["day_0"] == 0
    # a release no runtime supported is a family for the vendor, with nothing early
    other = merged[("other-lab", "nvidia")]
    assert (other["families"], other["pre_release"], other["day_0"], other["examples"]) == (1, 0, 0, [])


def test_early_access_map_at_the_proposed_stage(scenario) -> None:  # type: ignore[no-untyped-def]
    client, _built = scenario
    cells = {
        (c["publisher"], c["vendor"]): c
        for c in _items(client, "/api/v1/stats/early-access", stage="proposed")
    }
    huawei = cells[("deepseek-ai", "huawei")]
    assert (huawei["families"], huawei["pre_release"]) == (2, 1)
    [example] = huawei["examples"]
    # pull request #8648 came 7 h 20 min before the release branch: the earliest public trace
    assert example["repo_id"] == V4 and example["runtime"] == "vllm-ascend"
    assert example["support_at"].startswith(ASCEND_V4_PROPOSED.strftime("%Y-%m-%dT%H:%M"))
    assert example["gap_hours"] == pytest.approx(-15.83, abs=0.01)
    # upstream vLLM's copy carries no pull-request refs: its proposed stage is unknown, NVIDIA is not ranked
    assert ("deepseek-ai", "nvidia") not in cells


def test_ladder_and_pages_show_the_proposed_rung(scenario) -> None:  # type: ignore[no-untyped-def]
    client, _built = scenario
    model = client.get(f"/api/v1/models/{V4}").json()
    ladders = {(lad["runtime"], lad["vendor"]): lad for lad in model["ladders"]}
    ascend = {r["stage"]: r for r in ladders[("vllm-ascend", None)]["rungs"]}
    assert ascend["proposed"]["status"] == "pre-release"
    assert ascend["proposed"]["support_at"].startswith(ASCEND_V4_PROPOSED.strftime("%Y-%m-%dT%H:%M"))
    huawei = {r["stage"]: r for r in ladders[(None, "huawei")]["rungs"]}
    assert huawei["proposed"]["status"] == "pre-release"
    # the release page's ladder and the matrix's stage selector have the rung, first
    page = client.get(f"/releases/{V4}").text
    assert '<th scope="col">proposed</th><th scope="col">branch</th>' in page
    assert client.get("/", params={"stage": "proposed"}).status_code == 200


def test_review_lag_from_proposed_to_merged(scenario) -> None:  # type: ignore[no-untyped-def]
    client, _built = scenario
    [ascend] = _items(
        client, "/api/v1/stats/lag", from_stage="proposed", to_stage="merged", runtime="vllm-ascend"
    )
    # V3.2 was never in a pull request here: main dates both stages (0 h); V4: 2026-04-23 20:10 → 05-06 12:00
    assert (ascend["families"], ascend["resolved"]) == (2, 2)
    assert ascend["median_hours"] == pytest.approx((0 + 303.83) / 2, abs=0.01)


def test_early_access_filters(scenario) -> None:  # type: ignore[no-untyped-def]
    client, _built = scenario
    only = _items(
        client, "/api/v1/stats/early-access", stage="branch", vendor="huawei", publisher="deepseek-ai"
    )
    assert [(c["publisher"], c["vendor"]) for c in only] == [("deepseek-ai", "huawei")]
    # V4 was released 2026-04-24: a window after it leaves V3.2 alone
    early = _items(
        client, "/api/v1/stats/early-access", stage="branch", vendor="huawei", until="2026-01-01T00:00:00Z"
    )
    assert [(c["families"], c["pre_release"]) for c in early] == [(1, 0)]
    assert _items(client, "/api/v1/stats/early-access", stage="branch", since="2027-01-01T00:00:00Z") == []
    assert client.get("/api/v1/stats/early-access", params={"vendor": "nokia"}).status_code == 422
    assert (
        client.get("/api/v1/stats/early-access", params={"since": "2026-01-01T00:00:00"}).status_code == 422
    )
    csv = client.get("/api/v1/stats/early-access", params={"stage": "branch", "format": "csv"})
    assert csv.status_code == 200
    assert csv.text.splitlines()[0] == (
        "publisher,vendor,stage,families,pre_release,day_0,pre_release_share,incomplete"
    )


def test_propagation_from_vllm_to_vllm_ascend(scenario) -> None:  # type: ignore[no-untyped-def]
    client, _built = scenario
    items = {
        (i["upstream"], i["downstream"], i["stage"]): i
        for i in _items(client, "/api/v1/stats/propagation", upstream="vllm")
    }
    # every declared downstream of vLLM, at each stage both have a source for
    assert {k[1] for k in items} == {"vllm-ascend", "rocm-vllm", "vllm-mindspore", "tpu-inference"}
    merged = items[("vllm", "vllm-ascend", "merged")]
    # V3.2: upstream 12-01 14:00, port 12-20 10:00 (452 h); V4: upstream 04-24 13:00, port 05-06 12:00 (287 h)
    assert (merged["families"], merged["resolved"], merged["pending"], merged["ahead"]) == (2, 2, 0, 0)
    assert merged["median_hours"] == pytest.approx((452 + 287) / 2)
    assert merged["p90_hours"] == pytest.approx(287 + 0.9 * (452 - 287))
    released = items[("vllm", "vllm-ascend", "released")]
    # V4's release candidate (04-24 14:00) came before upstream's release (04-25 10:00): ahead by 20 h
    assert released["ahead"] == 1 and released["resolved"] == 2
    assert released["median_hours"] == pytest.approx((-20 + (494 - 86)) / 2)
    # upstream has no release branch for either: nothing to measure at the branch stage
    assert items[("vllm", "vllm-ascend", "branch")]["families"] == 0
    # rocm-vllm was never scanned: its cells are unknown, so nothing is measured (not "pending" either)
    assert items[("vllm", "rocm-vllm", "merged")]["families"] == 0

    # to final releases only, Huawei is no longer ahead: v0.13.0 (06-10 12:00) behind v0.20.0 (04-25 10:00)
    # for V4 (1106 h) and behind v0.12.0 (2025-12-05) for V3.2 (4500 h)
    [final] = _items(
        client, "/api/v1/stats/propagation", downstream="vllm-ascend", stage="released", final_only="true"
    )
    assert (final["resolved"], final["ahead"]) == (2, 0)
    assert final["median_hours"] == pytest.approx((1106 + 4500) / 2)

    one = _items(client, "/api/v1/stats/propagation", downstream="vllm-ascend", stage="merged")
    assert [(i["upstream"], i["families"]) for i in one] == [("vllm", 2)]
    assert client.get("/api/v1/stats/propagation", params={"upstream": "nope"}).status_code == 422


def test_stage_lags_docs_behind_code_and_release_before_main(scenario) -> None:  # type: ignore[no-untyped-def]
    client, _built = scenario
    docs = {
        i["runtime"]: i
        for i in _items(client, "/api/v1/stats/lag", from_stage="merged", to_stage="documented")
    }
    # only runtimes with a source for both stages
    assert "vllm" not in docs and "vllm-ascend" in docs
    ascend = docs["vllm-ascend"]
    # V3.2 merged 2025-12-20 10:00, documented 2026-05-20 12:00; V4 merged 05-06 12:00, documented 05-20 12:00
    assert (ascend["families"], ascend["resolved"], ascend["pending"]) == (2, 2, 0)
    assert ascend["median_hours"] == pytest.approx((3626 + 336) / 2)

    released = _items(
        client, "/api/v1/stats/lag", from_stage="merged", to_stage="released", runtime="vllm-ascend"
    )
    [item] = released
    # V4 shipped (as v0.13.0rc3) twelve days before main had it: the release branch came first
    assert item["ahead"] == 1 and item["resolved"] == 2
    # final release behind merge: v0.13.0 carried both (V3.2's only earlier release was a candidate)
    [final] = _items(
        client,
        "/api/v1/stats/lag",
        from_stage="merged",
        to_stage="released",
        runtime="vllm-ascend",
        final_only="true",
    )
    # V3.2 merged 2025-12-20 10:00 → v0.13.0 2026-06-10 12:00 (4130 h); V4 merged 05-06 12:00 → 06-10 (840 h)
    assert (final["resolved"], final["ahead"]) == (2, 0)
    assert final["median_hours"] == pytest.approx((4130 + 840) / 2)
    assert (
        client.get("/api/v1/stats/lag", params={"from_stage": "merged", "to_stage": "merged"}).status_code
        == 422
    )


def test_which_version_do_i_need(scenario) -> None:  # type: ignore[no-untyped-def]
    client, built = scenario
    items = _items(client, f"/api/v1/models/{V4}/requirements")
    # observed cells only: the runtimes never scanned say nothing and are left out; the runtime with a
    # release first: Huawei's release candidate came before upstream's release
    assert [i["runtime"] for i in items][:2] == ["vllm-ascend", "vllm"]
    # then the runtimes read with no support yet (nothing to install)
    assert {i["runtime"] for i in items[2:]} <= set(OTHER_NVIDIA_HUAWEI)
    assert all(i["first_release"] is None for i in items[2:])
    ascend, vllm = items[:2]
    assert ascend["vendors"] == ["huawei"] and ascend["status"] == "day-0"
    assert (ascend["key_kind"], ascend["key"]) == ("architecture", "DeepseekV4ForCausalLM")
    first = ascend["first_release"]
    assert (first["tag"], first["prerelease"], first["commit"]) == (
        "v0.13.0rc3",
        True,
        built.ascend_branch_commit,
    )
    assert first["at"].startswith(ASCEND_V4_RC.strftime("%Y-%m-%dT%H:%M"))
    final = ascend["first_final_release"]
    assert (final["tag"], final["prerelease"], final["commit"]) == (
        "v0.13.0",
        False,
        built.ascend_final_commit,
    )
    assert final["at"].startswith(ASCEND_V4_FINAL.strftime("%Y-%m-%dT%H:%M"))
    branch = ascend["first_branch"]
    assert (branch["branch"], branch["commit"]) == ("v0.13.0-dev", built.ascend_branch_commit)
    assert branch["at"].startswith(ASCEND_V4_BRANCH.strftime("%Y-%m-%dT%H:%M"))
    assert ascend["min_version"] is None

    assert vllm["first_release"]["tag"] == "v0.20.0" and vllm["first_release"]["prerelease"] is False
    assert vllm["first_final_release"] == vllm["first_release"]
    assert vllm["first_branch"] is None
    # the recipe's current statement (it raised its floor from 0.19.1), read at the recipes' scanned head
    assert vllm["min_version"] == {
        "version": "0.20.0",
        "source": "vllm-recipes",
        "commit": built.recipes.head(),
        "evidence_url": None,  # a local copy has no web address
    }
    assert vllm["first_release"]["commit"] == built.vllm_v4_commit


def test_requirements_filters_route_and_csv(scenario) -> None:  # type: ignore[no-untyped-def]
    client, _built = scenario
    huawei = _items(client, f"/api/v1/models/{V4}/requirements", vendor="huawei")
    assert "vllm-ascend" in {i["runtime"] for i in huawei}
    assert all(i["vendors"] == ["huawei"] for i in huawei)
    on_910b = [i["runtime"] for i in _items(client, f"/api/v1/models/{V4}/requirements", sku="910B")]
    assert on_910b[0] == "vllm-ascend" and "vllm" not in on_910b
    assert all("910B" in CATALOG[name].hardware for name in on_910b)
    [only] = _items(client, f"/api/v1/models/{V4}/requirements", runtime="vllm")
    assert only["runtime"] == "vllm"
    assert client.get(f"/api/v1/models/{V4}/requirements", params={"sku": "Z80"}).status_code == 422
    # any spelling of a chip is the catalog's (issue 28): a case or a count of cards is the same SKU
    assert [
        i["runtime"] for i in _items(client, f"/api/v1/models/{V4}/requirements", sku="910b_8x")
    ] == on_910b
    assert client.get("/api/v1/models/nobody/Nothing/requirements").status_code == 404
    # the model route is still reached for the model itself
    assert client.get(f"/api/v1/models/{V4}").json()["repo_id"] == V4
    csv = client.get(f"/api/v1/models/{V4}/requirements", params={"runtime": "vllm-ascend", "format": "csv"})
    header, row = csv.text.splitlines()
    assert header.startswith("runtime,vendors,key_kind,key,status,first_release_tag,first_release_at,")
    assert row.startswith(
        "vllm-ascend,huawei,architecture,DeepseekV4ForCausalLM,day-0,v0.13.0rc3,2026-04-24T14:00:00Z,"
    )
    assert ",v0.13.0,2026-06-10T12:00:00Z," in row


def test_launchgap_which_prints_the_table(scenario, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    _client, built = scenario
    monkeypatch.setenv("LAUNCHGAP_DATABASE_URL", built.settings.database_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        result = runner.invoke(cli, ["which", V4])
        assert result.exit_code == 0, result.output
        header, ascend, vllm, *rest = result.output.splitlines()
        assert header.split()[:2] == ["RUNTIME", "VENDORS"]
        assert ascend.split() == [
            "vllm-ascend", "huawei", "v0.13.0rc3", "(pre-release)", "2026-04-24", "v0.13.0", "2026-06-10",
            "v0.13.0-dev", "2026-04-24", "—",
        ]  # fmt: skip
        assert vllm.split() == [
            "vllm", "nvidia", "v0.20.0", "2026-04-25", "v0.20.0", "2026-04-25", "—", ">=", "0.20.0",
            "(vllm-recipes)",
        ]  # fmt: skip
        # the runtimes with nothing yet are summed up, not listed (--all lists them)
        assert all("vllm-ascend" not in line for line in rest)
        only = runner.invoke(cli, ["which", V4, "--vendor", "huawei"])
        assert only.exit_code == 0 and "vllm-ascend" in only.output and "nvidia" not in only.output
        assert runner.invoke(cli, ["which", V4, "--runtime", "nope"]).exit_code == 2
        unknown = runner.invoke(cli, ["which", "nobody/Nothing"])
        assert unknown.exit_code == 1 and "unknown model" in unknown.output
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/stats/early-access?vendors=huawei",
        "/api/v1/stats/propagation?up=vllm",
        "/api/v1/stats/lag?from=merged",
        f"/api/v1/models/{V4}/requirements?runtimes=vllm",
    ],
)
def test_unknown_query_parameters_are_refused(scenario, path: str) -> None:  # type: ignore[no-untyped-def]
    client, _built = scenario
    response = client.get(path)
    assert response.status_code == 422 and "unknown query parameter" in response.text

"""Parsing Hub bodies (recorded and synthetic ones) into HubModel."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.sources.hub import HubBadResponse, HubModel
from app.sources.hub.types import InvalidName, check_org, check_repo_id, created_at_from_object_id

# Copies of ../shared/data/hf-samples bodies (a real recording and a synthetic listing page).
SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> object:
    return json.loads((SAMPLES / name).read_text())


def test_recorded_model_info_body_parses() -> None:
    model = HubModel.from_api(sample("model_info.meta-llama__Llama-3.1-8B-Instruct.full.json"))
    assert model.hub_id == "6698d8a0653e4babe21e1e7d"
    assert model.repo_id == "meta-llama/Llama-3.1-8B-Instruct"
    assert model.created_at == datetime(2024, 7, 18, 8, 56, tzinfo=UTC)
    assert model.architectures == ("LlamaForCausalLM",)
    assert model.model_type == "llama"
    assert model.gated == "manual"
    assert model.base_models == (("finetune", "meta-llama/Llama-3.1-8B"),)
    assert model.parameters and model.parameters > 8_000_000_000
    assert not model.auto_map
    assert model.problems == ()


def test_synthetic_listing_items_parse_remote_code_and_quantisation() -> None:
    items = sample("list_models.page1.json")
    instruct, base = (HubModel.from_api(item) for item in items)  # type: ignore[union-attr]
    assert instruct.auto_map and instruct.quant_method == "fp8"
    assert instruct.parameters == 100_002_000_000
    assert dict(instruct.parameters_by_dtype)["F8_E4M3"] == 98_500_000_000
    assert base.gated == "manual"


def test_object_id_gives_creation_time() -> None:
    assert created_at_from_object_id("6698d8a0653e4babe21e1e7d") == datetime(2024, 7, 18, 8, 56, tzinfo=UTC)


def test_missing_created_at_falls_back_to_object_id() -> None:
    model = HubModel.from_api({"_id": "6698d8a0653e4babe21e1e7d", "id": "a/b"})
    assert model.created_at == datetime(2024, 7, 18, 8, 56, tzinfo=UTC)
    assert model.architectures == () and model.model_type is None


@pytest.mark.parametrize(
    "item",
    [
        {"id": "a/b"},
        {"_id": "not-an-object-id", "id": "a/b"},
        {"_id": "6698d8a0653e4babe21e1e7d"},
        {"_id": "6698d8a0653e4babe21e1e7d", "id": "no-slash"},
        {"_id": "6698d8a0653e4babe21e1e7d", "id": "../etc/passwd"},
        ["not", "an", "object"],
    ],
)
def test_unkeyable_items_are_refused(item: object) -> None:
    with pytest.raises(HubBadResponse):
        HubModel.from_api(item)


def test_unexpected_types_are_dropped_with_a_note_and_unknown_keys_ignored() -> None:
    model = HubModel.from_api(
        {
            "_id": "6698d8a0653e4babe21e1e7d",
            "id": "a/b",
            "config": "oops",
            "tags": ["llama", 3, "base_model:quantized:x/y"],
            "safetensors": {"total": "many"},
            "createdAt": "yesterday",
            "brandNewField": {"nested": True},
            "gated": 7,
        }
    )
    assert model.architectures == ()
    assert model.tags == ("llama", "base_model:quantized:x/y")
    assert model.base_models == (("quantized", "x/y"),)
    assert model.parameters is None
    assert model.gated == "false"
    assert len(model.problems) == 4


@pytest.mark.parametrize("bad", ["", "a", "a/", "/b", "a/b/c", "a b/c", "-a/b", "a/..", "a/b?x=1"])
def test_invalid_repo_ids(bad: str) -> None:
    with pytest.raises(InvalidName):
        check_repo_id(bad)


@pytest.mark.parametrize("bad", ["", "a/b", "../x", "a b", "-x"])
def test_invalid_orgs(bad: str) -> None:
    with pytest.raises(InvalidName):
        check_org(bad)


def test_demand_is_read_and_bad_figures_are_dropped_with_a_note() -> None:
    recorded = HubModel.from_api(sample("model_info.meta-llama__Llama-3.1-8B-Instruct.full.json"))
    assert recorded.downloads is not None and recorded.downloads > 0
    assert recorded.likes is not None and recorded.likes > 0
    bad = HubModel.from_api(
        {"_id": "6698d8a0653e4babe21e1e7d", "id": "a/b", "downloads": -3, "likes": "lots"}
    )
    assert (bad.downloads, bad.likes) == (None, None)
    assert len(bad.problems) == 2
    # Not asked for (an expand without them): unknown, not 0.
    assert HubModel.from_api({"_id": "6698d8a0653e4babe21e1e7d", "id": "a/b"}).downloads is None

"""``model.docker_image`` in every shape vLLM Recipes' history has used (docs/runtimes.md)."""

from __future__ import annotations

import pytest

from app.domain.vocabulary import Vendor
from app.sources.runtimes.extractors import read_recipe
from app.sources.runtimes.version_statements import RecipeImage, recipe_images, recipe_statements


@pytest.mark.parametrize(
    ("value", "images"),
    [
        ("vllm/vllm-openai:v0.20.2", [RecipeImage(None, None, "vllm/vllm-openai:v0.20.2")]),
        (
            {"amd": "vllm/vllm-openai-rocm:nightly", "nvidia": "vllm/vllm-openai:latest"},
            [
                RecipeImage(Vendor.AMD, None, "vllm/vllm-openai-rocm:nightly"),
                RecipeImage(Vendor.NVIDIA, None, "vllm/vllm-openai:latest"),
            ],
        ),
        # 2026-04-23 .. 2026-08-20: NVIDIA's images keyed by CUDA build
        (
            {"cu129": "vllm/vllm-openai:deepseekv4-cu129", "CU130": "vllm/vllm-openai:deepseekv4-cu130"},
            [
                RecipeImage(Vendor.NVIDIA, "cu129", "vllm/vllm-openai:deepseekv4-cu129"),
                RecipeImage(Vendor.NVIDIA, "cu130", "vllm/vllm-openai:deepseekv4-cu130"),
            ],
        ),
        (
            {"nvidia": {"cu130": "vllm/vllm-openai:muse-glimmer"}},
            [RecipeImage(Vendor.NVIDIA, "cu130", "vllm/vllm-openai:muse-glimmer")],
        ),
        (
            {"amd": "docker pull vllm/vllm-openai-rocm:nightly"},
            [RecipeImage(Vendor.AMD, None, "vllm/vllm-openai-rocm:nightly")],
        ),
        # a slug no recipe has used: kept, for no vendor in particular
        ({"tpu": "vllm/vllm-tpu:nightly"}, [RecipeImage(None, "tpu", "vllm/vllm-tpu:nightly")]),
        # not image names, or not there
        ({"amd": "", "nvidia": "see the guide below", "intel": None, "apple": ["x"]}, []),
        (None, []),
        (3, []),
    ],
)
def test_recipe_images(value: object, images: list[RecipeImage]) -> None:
    assert list(recipe_images(value)) == images


def test_a_recipe_states_its_minimum_then_its_images() -> None:
    text = (
        b'meta:\n  hardware:\n    mi355x: verified\nmodel:\n  model_id: "deepseek-ai/DeepSeek-V4-Pro"\n'
        b'  min_vllm_version: "0.20.0"\n  docker_image:\n    amd: "vllm/vllm-openai-rocm:nightly"\n'
    )
    recipe = read_recipe(text)
    assert recipe is not None
    stated = recipe_statements(recipe, "models/deepseek-ai/DeepSeek-V4-Pro.yaml", None)
    assert [(s.kind, s.vendor, s.variant, s.value) for s in stated] == [
        ("min_version", None, None, "0.20.0"),
        ("image", "amd", None, "vllm/vllm-openai-rocm:nightly"),
    ]

"""The hardware table: every SKU vLLM Recipes has named maps to its vendor, in one spelling."""

from __future__ import annotations

import pytest

from app.domain.vocabulary import Vendor
from app.services.runtimes.catalog_views import event_vendors, per_sku_runtimes, sku_vendor, vendor_runtimes
from app.sources.runtimes.catalog import CATALOG, HARDWARE, RECIPES_SKUS
from app.sources.runtimes.hardware import canonical_sku, is_mapped, sku_lookup_form

# Every ``meta.hardware`` key in every version of vllm-project/recipes' YAML catalog (2026-04-20 ..
# 2026-08-21, 864 file versions read) and every chip its Markdown guides (2025-07-23 .. 2026-04-20) name
# where they say they ran: docs/runtimes.md, "Hardware SKUs".
RECIPES_YAML_KEYS = {
    "a100": Vendor.NVIDIA, "b200": Vendor.NVIDIA, "b300": Vendor.NVIDIA, "dgx_spark_gb10": Vendor.NVIDIA,
    "dgx_station_gb300": Vendor.NVIDIA, "gb200": Vendor.NVIDIA, "gb300": Vendor.NVIDIA, "h100": Vendor.NVIDIA,
    "h20": Vendor.NVIDIA, "h200": Vendor.NVIDIA, "rtx_4090_2x": Vendor.NVIDIA, "rtx_5090": Vendor.NVIDIA,
    "rtx_5090_2x": Vendor.NVIDIA, "rtx_pro_5000": Vendor.NVIDIA, "rtx_pro_5000_4x": Vendor.NVIDIA,
    "rtx_pro_6000": Vendor.NVIDIA, "rtx_pro_6000_2x": Vendor.NVIDIA, "rtx_pro_6000_8x": Vendor.NVIDIA,
    "mi300x": Vendor.AMD, "mi325x": Vendor.AMD, "mi350x": Vendor.AMD, "mi355x": Vendor.AMD,
    "trillium": Vendor.GOOGLE, "ironwood": Vendor.GOOGLE,
    "xeon6": Vendor.INTEL, "arc_pro_b60": Vendor.INTEL, "arc_pro_b70": Vendor.INTEL,
    "ascend_950pr": Vendor.HUAWEI,
}  # fmt: skip
RECIPES_GUIDE_CHIPS = {
    "8xH200": "H200", "H20": "H20", "4xA100": "A100", "A800": "A800", "16xH800": "H800", "8xMI300x": "MI300X",
    "MI350X": "MI350X", "Trillium": "trillium", "v6e": "trillium", "Ironwood": "ironwood",
}  # fmt: skip


@pytest.mark.parametrize(("name", "vendor"), sorted(RECIPES_YAML_KEYS.items()))
def test_every_sku_recipes_named_counts_for_its_vendor(name: str, vendor: Vendor) -> None:
    assert is_mapped(name)
    assert sku_vendor(name) == vendor
    assert canonical_sku(name) in RECIPES_SKUS  # a per-SKU row (a dashboard column) of vllm-recipes


@pytest.mark.parametrize(("spelling", "sku"), sorted(RECIPES_GUIDE_CHIPS.items()))
def test_guide_spellings_are_the_tables(spelling: str, sku: str) -> None:
    assert canonical_sku(spelling) == sku


def test_a_count_or_a_case_is_the_same_sku() -> None:
    assert canonical_sku("rtx_pro_6000_8x") == canonical_sku("RTX_PRO_6000") == "rtx_pro_6000"
    assert canonical_sku("h200") == canonical_sku("8xH200") == canonical_sku("H200_8x") == "H200"
    assert canonical_sku("Apple Silicon") == "Apple Silicon"
    # the table has one spelling per lookup form: two spellings of one chip would be two columns
    forms = [sku_lookup_form(sku) for sku in HARDWARE]
    assert len(forms) == len(set(forms))
    assert all(canonical_sku(sku) == sku for sku in HARDWARE)


def test_an_unmapped_sku_is_stored_once_and_counts_for_no_one() -> None:
    assert canonical_sku("Zx_9000_4x") == canonical_sku("zx_9000") == "zx_9000"
    assert not is_mapped("zx_9000_4x")
    assert sku_vendor("zx_9000") is None
    assert event_vendors("vllm-recipes", "zx_9000_4x", "") == ()


def test_google_is_a_vendor_with_tpu_inference_and_recipes_tpu_skus() -> None:
    assert CATALOG["tpu-inference"].vendors == (Vendor.GOOGLE,)
    assert "tpu-inference" in vendor_runtimes("merged")["google"]
    assert "vllm-recipes" in vendor_runtimes("verified")["google"]
    assert "vllm-recipes" in vendor_runtimes("verified")["intel"]
    assert event_vendors("vllm-recipes", "trillium", "") == ("google",)
    assert event_vendors("vllm-recipes", "xeon6", "") == ("intel",)
    assert event_vendors("vllm-recipes", "rtx_5090_2x", "") == ("nvidia",)
    skus = per_sku_runtimes("verified")["vllm-recipes"]
    assert {"xeon6", "trillium", "ironwood", "ascend_950pr", "MI350X", "rtx_pro_6000"} <= set(skus)
    assert sorted(canonical_sku(sku) for sku in skus) == sorted(skus)  # one column per chip, no counts

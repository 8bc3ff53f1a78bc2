"""The catalog's hardware table: every SKU a source names, the vendor it counts for, and its one spelling.

Per-SKU sources spell chips their own way: vLLM Recipes writes ``h200`` and ``mi355x`` in its YAML catalog,
``8xH200`` and ``Trillium (v6e)`` in its Markdown guides, and a count suffix (``rtx_pro_6000_8x``) for a
multi-card setup of the same chip. ``canonical_sku`` turns every spelling into the table's, so a count or a
case is never a second SKU, and a SKU's vendor view counts it (docs/runtimes.md, "Hardware SKUs").

The table lives apart from ``catalog.py`` because the extractors (which ``catalog.py`` imports) spell what
they read with it; ``catalog.py`` re-exports it as the catalog's hardware.
"""

from __future__ import annotations

import re

from app.domain.vocabulary import Vendor

HARDWARE: dict[str, Vendor] = {
    # NVIDIA data-centre GPUs (vLLM Recipes' YAML catalog and guides)
    "H100": Vendor.NVIDIA,
    "H200": Vendor.NVIDIA,
    "B200": Vendor.NVIDIA,
    "B300": Vendor.NVIDIA,
    "GB200": Vendor.NVIDIA,
    "GB300": Vendor.NVIDIA,
    "A100": Vendor.NVIDIA,
    "A800": Vendor.NVIDIA,
    "H20": Vendor.NVIDIA,
    "H800": Vendor.NVIDIA,
    # NVIDIA workstation and desktop parts (Recipes' YAML catalog spells them so)
    "dgx_spark_gb10": Vendor.NVIDIA,
    "dgx_station_gb300": Vendor.NVIDIA,
    "rtx_4090": Vendor.NVIDIA,
    "rtx_5090": Vendor.NVIDIA,
    "rtx_pro_5000": Vendor.NVIDIA,
    "rtx_pro_6000": Vendor.NVIDIA,
    # AMD Instinct
    "MI300X": Vendor.AMD,
    "MI325X": Vendor.AMD,
    "MI350X": Vendor.AMD,
    "MI355X": Vendor.AMD,
    # Google Cloud TPU generations
    "v5e": Vendor.GOOGLE,
    "trillium": Vendor.GOOGLE,
    "ironwood": Vendor.GOOGLE,
    # Intel: Xeon 6 CPUs and Arc Pro GPUs (Recipes), Gaudi (TGI)
    "xeon6": Vendor.INTEL,
    "arc_pro_b60": Vendor.INTEL,
    "arc_pro_b70": Vendor.INTEL,
    "Gaudi": Vendor.INTEL,
    # Huawei Ascend
    "910B": Vendor.HUAWEI,
    "910C": Vendor.HUAWEI,
    "ascend_950pr": Vendor.HUAWEI,
    "Apple Silicon": Vendor.APPLE,
    "CPU": Vendor.LOCAL,
}
"""Each SKU in its one spelling → the vendor whose view it counts for."""

SKU_ALIASES: dict[str, str] = {
    # Google names TPU generations both ways: Trillium is v6e, Ironwood is v7x (CI calls it tpu7x).
    "v6e": "trillium",
    "tpu_v6e": "trillium",
    "tpu6e": "trillium",
    "v7x": "ironwood",
    "tpu7x": "ironwood",
    "tpu_v7x": "ironwood",
    "tpu_v5e": "v5e",
    "dgx_spark": "dgx_spark_gb10",
}
"""Other names of a table SKU (lower case, count stripped) → its table spelling."""

# a count of cards: ``rtx_5090_2x`` and ``8xH200`` are the H200 and the RTX 5090
_COUNT_SUFFIX = re.compile(r"[_-]\d+x\Z")
_COUNT_PREFIX = re.compile(r"\A\d+\s*[x×]\s*(?=[a-z])")


def sku_lookup_form(name: str) -> str:
    """What spellings of one SKU share: lower case, spaces as ``_``, without a count of cards."""
    lowered = re.sub(r"\s+", "_", name.strip().lower())
    return _COUNT_SUFFIX.sub("", _COUNT_PREFIX.sub("", lowered))


_BY_FORM: dict[str, str] = {sku_lookup_form(sku): sku for sku in HARDWARE} | {
    sku_lookup_form(alias): sku for alias, sku in SKU_ALIASES.items()
}


def canonical_sku(name: str) -> str:
    """The table's spelling of ``name`` (any case, any count); a SKU the table lacks keeps its lower-case,
    count-free form, so it is stored once and the audit can name it (``unmapped_sku``)."""
    form = sku_lookup_form(name)
    return _BY_FORM.get(form, form)


def is_mapped(name: str) -> bool:
    """Whether the table maps ``name`` (in any spelling) to a vendor."""
    return canonical_sku(name) in HARDWARE

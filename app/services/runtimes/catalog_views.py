"""Read-only views of the runtime catalog that the gap computation, the API and the pages need."""

from __future__ import annotations

from app.domain.runtime_spec import RuntimeSpec
from app.domain.vocabulary import Stage, Vendor
from app.sources.runtimes.catalog import (
    CATALOG,
    HARDWARE,
    VENDOR_BRANCHES,
    VERSION_SOURCES,
    canonical_sku,
    get_runtime,
)


def runtime_named(name: str) -> RuntimeSpec:
    """The catalog runtime called ``name``; ``UnknownRuntimeError`` listing the known names otherwise."""
    return get_runtime(name)


def runtimes_named(name: str | None) -> list[RuntimeSpec]:
    """The catalog runtime called ``name``, or every one (None); ``UnknownRuntimeError`` for another name."""
    return list(CATALOG.values()) if name is None else [get_runtime(name)]


def runtime_names() -> list[str]:
    """The catalog's runtimes, by name."""
    return sorted(CATALOG)


def sku_names() -> list[str]:
    """The hardware SKUs per-SKU sources can name."""
    return sorted(HARDWARE)


def statement_skus() -> list[str]:
    """The SKUs the sources that make version statements verify (vLLM Recipes' GPUs), in catalog order:
    those a version answer can be asked for with its verification."""
    skus = [sku for name in VERSION_SOURCES if name in CATALOG for sku in CATALOG[name].hardware]
    return list(dict.fromkeys(skus))


def known_sku(text: str) -> str | None:
    """The catalog's spelling of a SKU given in any case or count (``mi355x`` → ``MI355X``); None when the
    hardware table does not know it. The entry points take SKUs through here (docs/api.md)."""
    spelled = canonical_sku(text)
    return spelled if spelled in HARDWARE else None


def has_source_for(spec: RuntimeSpec, stage: str) -> bool:
    """Whether the runtime has a source for ``stage`` (no "pending documented" without a docs matrix)."""
    if stage not in set(Stage):
        return False
    stage = Stage(stage)
    if stage.fed_by not in {signal.stage for signal in spec.signals}:
        return False
    if stage is Stage.RELEASED:
        return spec.releases is not None
    if stage is Stage.BRANCH:
        return bool(spec.branch_patterns)
    return True


def runtime_key_kinds(stage: str | None = None) -> dict[str, tuple[str, ...]]:
    """Per catalog runtime, the key kinds it registers, in the order its signals are declared.

    A runtime matches a release by every one of these kinds the release offers, and its support is the
    earliest among them (docs/concepts.md: the status is decided per runtime, by the key that runtime matches
    on — the one that gave the earliest support); the order breaks ties and names the key of a cell without
    support. With ``stage``, only runtimes with a source
    for that stage, and only the signals that feed it (code signals feed merged, released and branch).
    """
    kinds: dict[str, tuple[str, ...]] = {}
    for name, spec in CATALOG.items():
        if stage is not None and not has_source_for(spec, stage):
            continue
        wanted = Stage(stage).fed_by if stage is not None else None
        ordered: list[str] = []
        for signal in spec.signals:
            if wanted is not None and signal.stage != wanted:
                continue
            if signal.key_kind not in ordered:
                ordered.append(signal.key_kind)
        kinds[name] = tuple(ordered)
    return kinds


def vendor_runtimes(stage: str | None = None) -> dict[str, tuple[str, ...]]:
    """Per vendor slug, the catalog runtimes that count for its view (with a source for ``stage``)."""
    result: dict[str, list[str]] = {vendor: [] for vendor in Vendor}
    for name, spec in CATALOG.items():
        if stage is not None and not has_source_for(spec, stage):
            continue
        vendors = set(spec.vendors)
        if stage in (None, Stage.VERIFIED) and has_source_for(spec, Stage.VERIFIED):
            # a per-SKU source counts for each SKU's vendor at the verified stage (Recipes' xeon6 for Intel,
            # trillium for Google); its other evidence counts for its own vendors only
            vendors.update(HARDWARE[sku] for sku in spec.hardware if sku in HARDWARE)
        if stage in (None, Stage.BRANCH, Stage.PROPOSED):
            for pattern in spec.branch_patterns:
                for prefix, vendor in VENDOR_BRANCHES.items():
                    if pattern.startswith(prefix):
                        vendors.add(vendor)
        for vendor in vendors:
            result[vendor].append(name)
    return {slug: tuple(sorted(names)) for slug, names in result.items()}


def per_sku_runtimes(stage: str) -> dict[str, tuple[str, ...]]:
    """Runtimes whose source is per hardware SKU (a ``verified`` signal), with their SKUs."""
    if stage != Stage.VERIFIED:
        return {}
    return {name: spec.hardware for name, spec in CATALOG.items() if has_source_for(spec, Stage.VERIFIED)}


def sku_vendor(sku: str) -> str | None:
    """The vendor a hardware SKU belongs to."""
    return HARDWARE.get(canonical_sku(sku))


def event_vendors(runtime: str, sku: str, branch: str) -> tuple[str, ...]:
    """The vendor views one support event counts for: a SKU's own vendor, a vendor branch's vendor, else the
    runtime's vendors."""
    if sku:
        vendor = sku_vendor(sku)
        return (vendor,) if vendor else ()
    for prefix, vendor in VENDOR_BRANCHES.items():
        if branch.startswith(prefix):
            return (vendor,)
    spec = CATALOG.get(runtime)
    return spec.vendors if spec else ()

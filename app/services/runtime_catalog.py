"""Read-only views of the runtime catalog that the gap computation and the pages need."""

from __future__ import annotations

from app.sources.runtimes.catalog import CATALOG


def runtime_key_kinds() -> dict[str, tuple[str, ...]]:
    """Per catalog runtime, the key kinds it registers, in the order its signals are declared.

    A runtime matches a release on the first of these kinds the release offers (PRODUCT.md: the status is
    decided per runtime, by the key that runtime matches on).
    """
    kinds: dict[str, tuple[str, ...]] = {}
    for name, spec in CATALOG.items():
        ordered: list[str] = []
        for signal in spec.signals:
            if signal.key_kind not in ordered:
                ordered.append(signal.key_kind)
        kinds[name] = tuple(ordered)
    return kinds

"""One colour per vendor view, the same on every chart whatever the filters.

A chart that coloured its lines by their position drew NVIDIA blue on one page and red on the next as soon as a
filter left a vendor out. The colour is taken from the vendor's place in the vocabulary's ``Vendor`` order
instead, so a vendor added there gets the next colour of the palette without a second list to edit.
"""

from __future__ import annotations

from app.domain.vocabulary import Vendor

PALETTE = ("#4d8f00", "#d64545", "#8e24aa", "#1f6feb", "#6b7385", "#e3a008", "#0e9aa7", "#c2185b", "#5d4037")
"""Distinct on white and from each other; more colours than vendors, so a few vendors can be added before
colours repeat."""

VENDOR_COLOURS: dict[str, str] = {vendor.value: PALETTE[i % len(PALETTE)] for i, vendor in enumerate(Vendor)}
"""Vendor slug → its colour on every chart (``app/web/static/dashboard.js`` draws with it)."""


def vendor_colour(vendor: str) -> str:
    """The vendor's colour; a slug the vocabulary does not know (none today) gets the palette's last."""
    return VENDOR_COLOURS.get(vendor, PALETTE[-1])

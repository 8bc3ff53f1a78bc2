"""Each vendor has one colour, from its place in the vocabulary (issue 24)."""

from __future__ import annotations

from app.domain.vocabulary import Vendor
from app.web.colours import PALETTE, VENDOR_COLOURS, vendor_colour


def test_every_vendor_has_its_own_colour() -> None:
    assert set(VENDOR_COLOURS) == {v.value for v in Vendor}
    assert len(set(VENDOR_COLOURS.values())) == len(Vendor) <= len(PALETTE)


def test_the_colour_follows_the_vendor_order() -> None:
    for i, vendor in enumerate(Vendor):
        assert vendor_colour(vendor) == PALETTE[i % len(PALETTE)]

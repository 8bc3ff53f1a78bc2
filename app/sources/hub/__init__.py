"""The only code that talks to the Hugging Face Hub (huggingface_hub over httpx2).

Everything outside this package sees our own types: ``HubModel`` (a frozen dataclass), the ``HubError``
family of exceptions, and ``HubClient``.

The names are loaded on first use (PEP 562): importing ``app.sources.hub.types`` for its name checks (the
settings do, at every command's start) must not load huggingface_hub and httpx, which the client needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.sources.hub.client import HubClient, make_http_client
    from app.sources.hub.errors import (
        HubBadResponse,
        HubError,
        HubPublisherNotFound,
        HubRateLimited,
        HubRepoNotFound,
        HubUnavailable,
    )
    from app.sources.hub.types import HubListing, HubModel

_HOME = {
    "HubClient": "client",
    "make_http_client": "client",
    "HubBadResponse": "errors",
    "HubError": "errors",
    "HubPublisherNotFound": "errors",
    "HubRateLimited": "errors",
    "HubRepoNotFound": "errors",
    "HubUnavailable": "errors",
    "HubListing": "types",
    "HubModel": "types",
}

__all__ = [
    "HubBadResponse",
    "HubClient",
    "HubError",
    "HubListing",
    "HubModel",
    "HubPublisherNotFound",
    "HubRateLimited",
    "HubRepoNotFound",
    "HubUnavailable",
    "make_http_client",
]


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)

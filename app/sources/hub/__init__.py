"""The only code that talks to the Hugging Face Hub (huggingface_hub over httpx2).

Everything outside this package sees our own types: ``HubModel`` (a frozen dataclass), the ``HubError``
family of exceptions, and ``HubClient``.
"""

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

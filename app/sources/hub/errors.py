"""Our own exception types for Hub failures, so callers never catch huggingface_hub or httpx2 classes."""

from __future__ import annotations


class HubError(Exception):
    """Any failure talking to the Hub. ``status`` is the HTTP status when there was a response."""

    def __init__(self, message: str, *, status: int | None = None, url: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.url = url


class HubUnavailable(HubError):
    """The Hub could not be reached or answered with a server error, a timeout or an auth refusal."""


class HubBadResponse(HubError):
    """The Hub answered something we cannot use: malformed JSON, wrong shape, an oversized body."""


class HubRepoNotFound(HubError):
    """The repository does not exist, or is private (the Hub answers the same for both)."""


class HubPublisherNotFound(HubError):
    """A watched org (or user) name does not exist on the Hub."""


class HubRateLimited(HubError):
    """The Hub's rate limit, or our own request budget, is exhausted; retry after ``retry_after`` seconds."""

    def __init__(
        self, message: str, *, retry_after: float, status: int | None = None, url: str | None = None
    ):
        super().__init__(message, status=status, url=url)
        self.retry_after = retry_after

"""The one settings object. Every field is documented in docs/configuration.md (a test checks it)."""

from __future__ import annotations

import os
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PUBLIC_HUB_ENDPOINT = "https://huggingface.co"


def _default_hub_endpoint() -> str:
    # huggingface_hub reads HF_ENDPOINT once at import time; we read it here so the service passes
    # the endpoint explicitly to every client it builds.
    return os.environ.get("HF_ENDPOINT", PUBLIC_HUB_ENDPOINT).rstrip("/")


class Settings(BaseSettings):
    """LaunchGap settings, read from the environment (prefix ``LAUNCHGAP_``) or a ``.env`` file."""

    model_config = SettingsConfigDict(
        env_prefix="LAUNCHGAP_", env_file=".env", extra="ignore", use_attribute_docstrings=True
    )

    database_url: str = "sqlite:///./var/launchgap.db"
    """SQLAlchemy URL. SQLite (default) or ``postgresql+psycopg://user@host/db``."""

    hub_endpoint: str = Field(default_factory=_default_hub_endpoint)
    """Hugging Face Hub base URL. Defaults to ``HF_ENDPOINT`` if set, else the public Hub."""

    hub_token: SecretStr | None = None
    """Optional Hub token, sent only to ``hub_endpoint``. Leave unset to poll anonymously."""

    hub_timeout_seconds: float = 30.0
    """Timeout for one Hub HTTP request."""

    hub_request_budget: int = Field(default=300, ge=1)
    """Most Hub API requests LaunchGap sends per 5-minute window (the anonymous Hub quota is 500)."""

    hub_page_size: int = Field(default=1000, ge=1, le=1000)
    """Models asked for per listing page (the Hub serves at most 1000)."""

    hub_max_retry_wait_seconds: float = 10.0
    """Longest Retry-After a Hub call sleeps through; longer rate limits end the cycle until next time."""

    hub_orgs: list[str] | None = None
    """Hub orgs to poll (JSON list), watched even when the publishers file does not list them; unset means
    every watched publisher (the publishers file, orgs named before, orgs the firehose discovered). A list
    replaces the file's publishers, not the discovered ones; ``[]`` polls no publisher at all (the firehose
    still runs when on)."""

    hub_firehose: bool = True
    """Read the whole Hub's newest models (the firehose) wherever the Hub watcher runs: new architectures
    from publishers nobody listed become releases, their publishers discovered (docs/hub.md)."""

    hub_firehose_backfill_days: int = Field(default=90, ge=0, le=3650)
    """How many days of the Hub's newest models the firehose reads back on its first run (no cursor yet)."""

    hub_firehose_interval_seconds: int = Field(default=300, ge=10)
    """Seconds between two firehose cycles (each reads both listings from its cursor to now)."""

    hub_webhook_secret: SecretStr | None = None
    """Secret expected in the ``X-Webhook-Secret`` header of Hub webhooks; unset disables ``/hooks/huggingface``."""

    data_dir: Path = Path("./var/data")
    """Where runtime git mirrors are kept."""

    watch_interval_seconds: int = 900
    """Seconds between two checks of the same source by the watchers."""

    retry_after_error_seconds: int = 300
    """Seconds before a source that failed is tried again."""

    runtimes: list[str] | None = None
    """Runtimes the watchers scan (JSON list of catalog names); unset means the whole catalog."""

    runtime_repos: dict[str, str] = Field(default_factory=dict)
    """Per-runtime repository overrides (JSON object of name → local path or URL), e.g. a local mirror."""

    fork_copies: list[str] = Field(default_factory=list)
    """Runtimes whose ``runtime_repos`` copy is a fork: its pull requests are not the runtime's, never read."""

    seed_release_facts: bool = True
    """Import the bundled release facts (``app/data/releases.csv``, dated with sources) at startup; idempotent."""

    publishers_file: Path | None = None
    """CSV of watched publishers (``hub_org,name,country,confidence``); unset means the bundled default list."""

    webhook_allow_private: bool = False
    """Let watches call loopback, private, link-local and other non-public addresses (tests, on-premise)."""

    watch_send_interval_seconds: float = Field(default=5.0, gt=0, le=60)
    """Seconds between two looks at the watch delivery outbox by a watcher process."""

    host: str = "127.0.0.1"
    """Address ``launchgap serve`` (and ``make run``) binds to."""

    port: int = 8000
    """Port ``launchgap serve`` (and ``make run``) listens on."""

    log_level: str = "INFO"
    """Python logging level for the service."""

    sqlite_busy_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    """How long a SQLite write waits for another writer's lock before giving up (the server then answers
    503 with ``Retry-After``)."""

    page_cache_seconds: float = Field(default=5.0, ge=0)
    """Seconds the dashboard's main page is served from its last rendering; 0 renders every request."""

    early_access_days: int = Field(default=90, ge=1, le=3650)
    """The early-access window in days: support before a release counts as early access only this close to
    it, and a key some runtime merged longer before a release is not new (docs/concepts.md, "Key novelty")."""

    @field_validator("hub_orgs")
    @classmethod
    def _valid_orgs(cls, value: list[str] | None) -> list[str] | None:
        from app.sources.hub.types import check_org

        return None if value is None else [check_org(org) for org in value]

    @field_validator("hub_endpoint")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("hub_webhook_secret")
    @classmethod
    def _secret_not_blank(cls, value: SecretStr | None) -> SecretStr | None:
        # An empty secret would switch webhooks on and accept an empty header: anyone could post.
        if value is not None and not value.get_secret_value().strip():
            raise ValueError(
                "LAUNCHGAP_HUB_WEBHOOK_SECRET is empty: set a real secret, or unset it to disable webhooks"
            )
        return value

    @property
    def early_access_window(self) -> timedelta:
        return timedelta(days=self.early_access_days)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()

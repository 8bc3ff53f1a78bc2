"""API shapes of publishers: who is watched, and why (docs/api.md, "Publishers")."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class PublisherOut(BaseModel):
    """A Hub org whose original models are (or were) releases."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "name": "newlab",
                "watched": True,
                "watched_because": "discovered",
                "discovered_at": "2026-12-07T03:05:00Z",
                "discovered_release": "newlab/Nova-7B",
                "discovered_reason": "new architecture NovaForCausalLM",
                "unwatched_by_operator": False,
            }
        }
    )

    name: str = Field(description="The Hub org (or user) name.")
    watched: bool
    watched_because: Literal["file", "named", "discovered"] | None = Field(
        description="`file`: the publishers file lists it; `named`: an operator named it "
        "(`LAUNCHGAP_HUB_ORGS`, `watch hub --org`, or watched again by `PATCH`); `discovered`: the Hub firehose "
        "found a release of it with a new architecture or model type. Null when not watched."
    )
    discovered_at: datetime | None = Field(description="When the firehose discovered it.")
    discovered_release: str | None = Field(description="The repo id of the release that brought it in.")
    discovered_reason: str | None = Field(description="What was new about that release.")
    unwatched_by_operator: bool = Field(
        description="An operator un-watched it: neither the file, a name nor the firehose watches it again."
    )


class PublisherPatch(BaseModel):
    """What an operator may change about a publisher."""

    model_config = ConfigDict(extra="forbid")

    watched: bool = Field(
        description="`false` un-watches it (kept across restarts); `true` watches it again."
    )

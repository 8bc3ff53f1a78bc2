"""API shapes of launch-gap statistics."""

from __future__ import annotations

from pydantic import BaseModel, Field


class StatsOut(BaseModel):
    """Statistics over new-key release families of one vendor or runtime (optionally one quarter)."""

    group: str = Field(description="Vendor slug or runtime name, followed by the quarter when per quarter.")
    count: int = Field(description="New-key release families counted (pre-existing excluded).")
    resolved: int
    pending: int
    pre_existing: int = Field(description="Counted apart: the key was supported before.")
    not_new_key: int = Field(
        description="Counted apart: the key was not new at the release (an earlier family carried it)."
    )
    median_hours: float | None = Field(description="Plain median of resolved gaps (ignores pending).")
    p90_hours: float | None = Field(description="Plain p90 of resolved gaps.")
    km_median_hours: float | None = Field(
        description="Kaplan–Meier median, pending gaps censored; null while the curve stays above 50 %."
    )
    day0_rate: float | None = Field(description="Share supported by release + 24 h, pre-release included.")
    pre_release_rate: float | None


class SurvivalPointOut(BaseModel):
    hours: float
    unsupported: float = Field(description="Kaplan–Meier share still unsupported after `hours`.")
    at_risk: int
    events: int
    censored: int


class SurvivalOut(BaseModel):
    """A time-to-support curve with pending gaps censored."""

    group: str
    stage: str
    count: int
    points: list[SurvivalPointOut]

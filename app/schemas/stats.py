"""API shapes of launch-gap statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ObservedRuntimeOut(BaseModel):
    """A runtime counted for a group, observed until ``observed_until``."""

    runtime: str
    observed_until: datetime


class StatsOut(BaseModel):
    """Statistics over new-key release families of one vendor or runtime (optionally one quarter)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "group": "amd",
                    "vendor": "amd",
                    "runtime": None,
                    "runtimes_observed": 2,
                    "runtimes_total": 3,
                    "observed_until": "2026-05-01T12:00:00Z",
                    "observed_runtimes": [
                        {"runtime": "vllm-recipes", "observed_until": "2026-05-01T12:00:00Z"},
                        {"runtime": "sglang", "observed_until": "2026-05-02T09:00:00Z"},
                    ],
                    "count": 42,
                    "resolved": 35,
                    "pending": 7,
                    "pre_existing": 12,
                    "not_new_key": 5,
                    "unknown": 3,
                    "before_coverage": 0,
                    "incomplete": 4,
                    "median_hours": 212.5,
                    "p90_hours": 1310.0,
                    "km_median_hours": 260.0,
                    "day0_rate": 0.2143,
                    "pre_release_rate": 0.0476,
                }
            ]
        }
    )

    group: str = Field(description="Vendor slug or runtime name, followed by the quarter when per quarter.")
    vendor: str | None = Field(description="The vendor view (vendor statistics).")
    runtime: str | None = Field(description="The runtime (runtime statistics).")
    runtimes_observed: int = Field(
        description="How many of the group's runtimes have been observed at this stage: a vendor is ranked "
        "only on those (0: not ranked, listed last)."
    )
    runtimes_total: int = Field(description="The group's catalog runtimes with a source for this stage.")
    observed_until: datetime | None = Field(
        description="Known until the earliest `observed_until` of its observed runtimes (null: none observed)."
    )
    observed_runtimes: list[ObservedRuntimeOut] = Field(
        default_factory=list, description="Each observed runtime and until when."
    )
    count: int = Field(description="Observed new-key release families counted (pre-existing excluded).")
    resolved: int
    pending: int
    pre_existing: int = Field(description="Counted apart: the key was supported before.")
    not_new_key: int = Field(
        description="Counted apart: the key was not new at the release (an earlier family carried it)."
    )
    unknown: int = Field(
        description="Counted apart: the source was never observed, or not as far as the release."
    )
    before_coverage: int = Field(
        description="Counted apart: releases older than the source's coverage start."
    )
    incomplete: int = Field(
        description="Vendor cells with support whose vendor had a runtime not observed far enough to rule "
        "out earlier support (their gaps are upper bounds): left out of the figures, or counted in them "
        "with `include_incomplete=true`. Always 0 for runtimes."
    )
    median_hours: float | None = Field(description="Plain median of resolved gaps (ignores pending).")
    p90_hours: float | None = Field(description="Plain p90 of resolved gaps.")
    km_median_hours: float | None = Field(
        description="Kaplan–Meier median, pending gaps censored; null while the curve stays above 50 %."
    )
    day0_rate: float | None = Field(description="Share supported by release + 24 h, pre-release included.")
    pre_release_rate: float | None
    weight: Literal["downloads"] | None = Field(
        default=None, description="What the weighted figures below weigh each family by (`weight=downloads`)."
    )
    weighted_families: int | None = Field(
        default=None,
        description="Counted families whose downloads were read: the weighted figures cover these only.",
    )
    unweighted_families: int | None = Field(
        default=None, description="Counted families whose downloads were never read: left out of them."
    )
    downloads: int | None = Field(
        default=None,
        description="Recent downloads of the weighted families (each family: its members summed).",
    )
    day0_download_share: float | None = Field(
        default=None,
        description="Share of those downloads that went to families supported by release + 24 h "
        "(pre-release included): the day-0 rate weighted by downloads.",
    )
    weighted_median_hours: float | None = Field(
        default=None,
        description="Median resolved gap weighted by downloads (the smallest gap whose families hold at least "
        "half of the resolved families' downloads; pending ignored, as for `median_hours`).",
    )


class SurvivalPointOut(BaseModel):
    """One step of a Kaplan–Meier curve."""

    hours: float
    unsupported: float = Field(description="Kaplan–Meier share still unsupported after `hours`.")
    at_risk: int
    events: int
    censored: int


class SurvivalOut(BaseModel):
    """A time-to-support curve with pending gaps censored."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "group": "huawei",
                    "stage": "merged",
                    "count": 4,
                    "points": [
                        {"hours": 0.0, "unsupported": 0.75, "at_risk": 4, "events": 1, "censored": 0},
                        {"hours": 30.0, "unsupported": 0.5, "at_risk": 3, "events": 1, "censored": 0},
                        {"hours": 400.0, "unsupported": 0.5, "at_risk": 2, "events": 0, "censored": 1},
                        {"hours": 720.0, "unsupported": 0.0, "at_risk": 1, "events": 1, "censored": 0},
                    ],
                }
            ]
        }
    )

    group: str
    stage: str
    count: int
    points: list[SurvivalPointOut]

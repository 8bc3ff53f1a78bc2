"""API shapes of the answers built on the gap rows: the early-access map and the lags."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.domain.vocabulary import GapStatus, Stage


class EarlyAccessExampleOut(BaseModel):
    """A release showing the access, with its evidence."""

    repo_id: str
    runtime: str | None = Field(description="The runtime whose support was earliest for the vendor.")
    status: GapStatus
    gap_hours: float | None = Field(description="Support time − release time (negative: before release).")
    support_at: datetime | None
    author_at: datetime | None = Field(description="Author time of the supporting commit.")
    commit: str | None
    tag: str | None
    evidence_url: str | None


class EarlyAccessOut(BaseModel):
    """One publisher × vendor cell of the early-access map."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "publisher": "deepseek-ai",
                    "vendor": "huawei",
                    "stage": "branch",
                    "families": 4,
                    "pre_release": 2,
                    "day_0": 1,
                    "pre_release_share": 0.5,
                    "examples": [
                        {
                            "repo_id": "deepseek-ai/DeepSeek-V4-Flash",
                            "runtime": "vllm-ascend",
                            "status": "pre-release",
                            "gap_hours": -6.5,
                            "support_at": "2026-04-24T03:30:00Z",
                            "author_at": "2026-04-20T11:02:00Z",
                            "commit": "3f1c2a9b7d4e5f60718293a4b5c6d7e8f9012345",
                            "tag": None,
                            "evidence_url": "https://github.com/vllm-project/vllm-ascend/commit/3f1c2a9b",
                        }
                    ],
                }
            ]
        }
    )

    publisher: str = Field(description="The publisher's Hub org.")
    vendor: str = Field(description="The catalog's vendor slug.")
    stage: Stage
    families: int = Field(
        description="Release families with a new key whose vendor cell was observed (pre-existing excluded)."
    )
    pre_release: int = Field(description="Families supported for the vendor before their public release.")
    day_0: int = Field(description="Families supported within 24 h after release (pre-release not included).")
    pre_release_share: float | None = Field(description="pre_release / families.")
    examples: list[EarlyAccessExampleOut] = Field(
        description="Up to 5: pre-release families first (earliest first), then day-0 ones."
    )


class LagOut(BaseModel):
    """Lags over release families: the first support exists (a new key), the second cell is observed."""

    families: int = Field(description="Families measured: resolved + pending.")
    resolved: int
    pending: int = Field(description="The second support has not come yet (as far as observed).")
    ahead: int = Field(description="Resolved with a negative lag: the second support came first.")
    median_hours: float | None = Field(description="Median lag of the resolved families, in hours.")
    p90_hours: float | None


class _Pair(BaseModel):
    upstream: str
    downstream: str
    stage: Stage


class _StagePair(BaseModel):
    runtime: str
    from_stage: Stage
    to_stage: Stage


# Listed as (LagOut, identity): pydantic orders fields from the last base first, so the identity columns lead.
class PropagationOut(LagOut, _Pair):
    """How far a downstream runtime trails its upstream at one stage."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "upstream": "vllm",
                    "downstream": "vllm-ascend",
                    "stage": "merged",
                    "families": 12,
                    "resolved": 10,
                    "pending": 2,
                    "ahead": 1,
                    "median_hours": 310.5,
                    "p90_hours": 1480.0,
                }
            ]
        }
    )


class StageLagOut(LagOut, _StagePair):
    """How long one runtime takes from one stage to another."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "runtime": "vllm-ascend",
                    "from_stage": "merged",
                    "to_stage": "documented",
                    "families": 9,
                    "resolved": 7,
                    "pending": 2,
                    "ahead": 0,
                    "median_hours": 96.0,
                    "p90_hours": 640.0,
                }
            ]
        }
    )

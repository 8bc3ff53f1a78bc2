"""API shape of a catalog runtime."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.domain.vocabulary import Stage


class RuntimeOut(BaseModel):
    """A catalog runtime: repository, vendors and hardware it counts for, its signals, and scan health."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "vllm-ascend",
                    "display_name": "vLLM Ascend",
                    "repo_url": "https://github.com/vllm-project/vllm-ascend",
                    "default_branch": "main",
                    "vendors": ["huawei"],
                    "hardware": ["910B", "910C"],
                    "signals": ["code", "docs"],
                    "stages": ["branch", "merged", "released", "documented"],
                    "last_checked_at": "2026-04-25T10:00:00Z",
                    "last_success_at": "2026-04-25T10:00:00Z",
                    "last_error": None,
                    "consecutive_errors": 0,
                    "healthy": True,
                    "support_keys": 84,
                    "notes": "",
                    "audit_findings": 12,
                    "audit_unexplained": 0,
                }
            ]
        }
    )

    name: str
    display_name: str
    repo_url: str
    default_branch: str
    vendors: list[str] = Field(description="Vendor views this runtime counts for.")
    hardware: list[str]
    signals: list[str]
    stages: list[Stage] = Field(description="Stages this runtime has a source for.")
    last_checked_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    consecutive_errors: int
    healthy: bool
    support_keys: int = Field(description="Distinct keys with at least one support event.")
    notes: str
    audit_findings: int | None = Field(
        None, description="Findings of the last scan's catalog audit (None: not audited yet)."
    )
    audit_unexplained: int | None = Field(
        None, description="Of those, findings without a reason declared in the catalog (possible rule drift)."
    )

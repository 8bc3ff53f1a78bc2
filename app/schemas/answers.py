"""API shapes of the answers built on the gap rows: the early-access map and the lags."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.domain.vocabulary import GapStatus, ReleasePrecision, Stage, StatementKind, Vendor


class EarlyAccessExampleOut(BaseModel):
    """A release showing the access, with its evidence."""

    repo_id: str
    runtime: str | None = Field(description="The runtime whose support was earliest for the vendor.")
    status: GapStatus
    gap_hours: float | None = Field(description="Support time − release time (negative: before release).")
    release_precision: ReleasePrecision = Field(
        ReleasePrecision.SECOND, description="How precisely the release time is known (`day`: a date only)."
    )
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
                    "incomplete": 1,
                    "examples": [
                        {
                            "repo_id": "deepseek-ai/DeepSeek-V4-Flash",
                            "runtime": "vllm-ascend",
                            "status": GapStatus.PRE_RELEASE,
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
        description="Release families with a new key whose vendor cell was observed (pre-existing excluded) "
        "and complete, or pre-release (evidence of early access whether complete or not)."
    )
    pre_release: int = Field(description="Families supported for the vendor before their public release.")
    day_0: int = Field(description="Families supported within 24 h after release (pre-release not included).")
    pre_release_share: float | None = Field(description="pre_release / families.")
    incomplete: int = Field(
        0,
        description="Families left out: their vendor cell was supported but not complete (a runtime of the "
        "vendor not observed far enough), and not pre-release.",
    )
    examples: list[EarlyAccessExampleOut] = Field(
        description="Up to 5: pre-release families first (earliest first), then day-0 ones."
    )


class VendorAnswerOut(BaseModel):
    """One vendor's answer for a release: its earliest support (or why there is none)."""

    vendor: Vendor
    status: GapStatus = Field(description="The chosen cell's status (unknown when nothing was observed).")
    stage: Stage = Field(
        description="The stage of the earliest support among branch, merged, released and verified; without "
        "support, the stage of the cell shown (`merged` when observed)."
    )
    gap_hours: float | None = Field(
        description="Support time − release time (negative: before release); when pending, the time to "
        "`observed_until`."
    )
    support_at: datetime | None
    via_runtime: str | None = Field(description="The runtime whose support was earliest for the vendor.")
    skus: list[str] = Field(description="On a verified answer: the hardware SKUs verified at that moment.")
    complete: bool = Field(
        description="Whether the cell is complete (every runtime of the vendor observed far enough); an "
        "incomplete support time is an upper bound."
    )
    runtimes_observed: int | None
    runtimes_total: int | None
    unobserved_runtimes: str | None = Field(
        description="On incomplete cells: the runtimes not read far enough."
    )
    observed_until: datetime | None = Field(description="Until when the vendor's sources are known.")
    evidence_url: str | None
    commit: str | None
    tag: str | None


_VENDOR_ANSWER_EXAMPLE = {
    "vendor": "amd",
    "status": GapStatus.LATER,
    "stage": Stage.VERIFIED,
    "gap_hours": 1135.3,
    "support_at": "2026-06-10T07:15:24Z",
    "via_runtime": "vllm-recipes",
    "skus": ["MI355X"],
    "complete": True,
    "runtimes_observed": 1,
    "runtimes_total": 1,
    "unobserved_runtimes": None,
    "observed_until": "2026-08-22T20:52:00Z",
    "evidence_url": "https://github.com/vllm-project/recipes/blob/f04d1462/models/deepseek-ai/DeepSeek-V4-Pro.yaml",
    "commit": "f04d1462e44dd480480105880323099d57b06bf9",
    "tag": None,
}


class _ReleaseFields(BaseModel):
    repo_id: str
    publisher: str | None
    family: str | None = Field(description="Release family: repo id of its earliest member.")
    release_at: datetime
    release_precision: ReleasePrecision = Field(description="`day`: the release is known to the day only.")


_RELEASE_EXAMPLE = {
    "repo_id": "deepseek-ai/DeepSeek-V4-Pro",
    "publisher": "deepseek-ai",
    "family": "deepseek-ai/DeepSeek-V4-Flash",
    "release_at": "2026-04-24T00:00:00Z",
    "release_precision": ReleasePrecision.DAY,
}


class LatestReleaseOut(_ReleaseFields):
    """A notable release (its key new at the release) with, per vendor view, its earliest support."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [_RELEASE_EXAMPLE | {"vendors": [_VENDOR_ANSWER_EXAMPLE]}]}
    )

    vendors: list[VendorAnswerOut] = Field(
        description="Per vendor view with cells, in the vocabulary's order."
    )


class LatestReleaseCsvOut(VendorAnswerOut, _ReleaseFields):
    """``LatestReleaseOut`` flattened for CSV: one row per release and vendor, the release's columns first."""

    model_config = ConfigDict(json_schema_extra={"examples": [_RELEASE_EXAMPLE | _VENDOR_ANSWER_EXAMPLE]})

    @classmethod
    def rows(cls, item: LatestReleaseOut) -> list[LatestReleaseCsvOut]:
        """One row per vendor answer of ``item``."""
        release = item.model_dump(exclude={"vendors"})
        return [cls(**release, **vendor.model_dump()) for vendor in item.vendors]


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


class ReleaseRefOut(BaseModel):
    """A runtime release carrying the support."""

    tag: str = Field(description="The release's tag (or version, for runtimes that release by version bump).")
    at: datetime
    prerelease: bool | None = Field(description="rc, alpha, beta, dev …; null when the source cannot tell.")
    commit: str | None
    evidence_url: str | None


class BranchRefOut(BaseModel):
    """A release branch carrying the support."""

    branch: str
    at: datetime = Field(description="When the supporting commit landed on the branch.")
    commit: str | None
    evidence_url: str | None


class MinVersionOut(BaseModel):
    """A minimum version as a source states it."""

    version: str
    source: str = Field(description="The catalog source stating it, e.g. `vllm-recipes`.")
    commit: str = Field(description="The source's commit it was read at (its newest scanned head).")
    evidence_url: str | None


class StatementOut(BaseModel):
    """What a source states about running the model on the runtime (it dates nothing)."""

    kind: StatementKind = Field(
        description="`min_version`: the oldest release that runs it; `image`: a container image to run it with."
    )
    runtime: str = Field(description="The runtime the statement is about, e.g. `vllm`.")
    vendor: Vendor | None = Field(description="The vendor it is for (null: every vendor).")
    variant: str | None = Field(description="A build named beside the vendor (`cu129`), else null.")
    value: str = Field(description="The version (`0.20.0`) or the image (`vllm/vllm-openai-rocm:nightly`).")
    source: str = Field(description="The catalog source stating it, e.g. `vllm-recipes`.")
    commit: str = Field(description="The source's commit it was read at (its newest scanned head).")
    evidence_url: str | None


class SkuVerificationOut(BaseModel):
    """The asked SKU's verification: the per-SKU source's `verified` cell for the model."""

    sku: str = Field(description="The SKU as the catalog spells it (asked in any case).")
    source: str = Field(description="The runtime whose per-SKU cell it is, e.g. `vllm-recipes`.")
    status: GapStatus
    at: datetime | None = Field(description="When it was verified (null: not yet, or not known).")
    commit: str | None
    evidence_url: str | None


class RequirementOut(BaseModel):
    """Which version of one runtime a model needs."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "runtime": "vllm-ascend",
                    "vendors": ["huawei"],
                    "key_kind": "architecture",
                    "key": "DeepseekV4ForCausalLM",
                    "status": GapStatus.DAY_0,
                    "first_release": {
                        "tag": "v0.13.0rc3",
                        "at": "2026-04-24T14:00:00Z",
                        "prerelease": True,
                        "commit": "136bc5ac9e0f4d2b8a7c6e5f4d3c2b1a09876543",
                        "evidence_url": "https://github.com/vllm-project/vllm-ascend/releases/tag/v0.13.0rc3",
                    },
                    "first_final_release": {
                        "tag": "v0.13.0",
                        "at": "2026-06-10T12:00:00Z",
                        "prerelease": False,
                        "commit": "4f05aa5f1e2d3c4b5a69788796a5b4c3d2e1f0a9",
                        "evidence_url": "https://github.com/vllm-project/vllm-ascend/releases/tag/v0.13.0",
                    },
                    "first_branch": {
                        "branch": "v0.13.0-dev",
                        "at": "2026-04-24T03:30:00Z",
                        "commit": "136bc5ac9e0f4d2b8a7c6e5f4d3c2b1a09876543",
                        "evidence_url": "https://github.com/vllm-project/vllm-ascend/commit/136bc5ac",
                    },
                    "min_version": None,
                    "releases_observed": True,
                    "statements": [],
                    "verification": None,
                },
                {
                    "runtime": "vllm",
                    "vendors": ["nvidia"],
                    "key_kind": "architecture",
                    "key": "DeepseekV4ForCausalLM",
                    "status": GapStatus.UNKNOWN,
                    "first_release": None,
                    "first_final_release": None,
                    "first_branch": None,
                    "min_version": {
                        "version": "0.20.0",
                        "source": "vllm-recipes",
                        "commit": "8959cf64189c7d3e4b5a69788796a5b4c3d2e1f0",
                        "evidence_url": "https://github.com/vllm-project/recipes/blob/8959cf64/models/"
                        "deepseek-ai/DeepSeek-V4-Pro.yaml",
                    },
                    "releases_observed": False,
                    "statements": [
                        {
                            "kind": "min_version",
                            "runtime": "vllm",
                            "vendor": None,
                            "variant": None,
                            "value": "0.20.0",
                            "source": "vllm-recipes",
                            "commit": "8959cf64189c7d3e4b5a69788796a5b4c3d2e1f0",
                            "evidence_url": None,
                        },
                        {
                            "kind": "image",
                            "runtime": "vllm",
                            "vendor": "amd",
                            "variant": None,
                            "value": "vllm/vllm-openai-rocm:nightly",
                            "source": "vllm-recipes",
                            "commit": "8959cf64189c7d3e4b5a69788796a5b4c3d2e1f0",
                            "evidence_url": None,
                        },
                    ],
                    "verification": {
                        "sku": "MI355X",
                        "source": "vllm-recipes",
                        "status": GapStatus.LATER,
                        "at": "2026-06-10T08:00:00Z",
                        "commit": "5e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f",
                        "evidence_url": None,
                    },
                },
            ]
        }
    )

    runtime: str
    vendors: list[str] = Field(description="The vendor views the runtime counts for.")
    key_kind: str | None = Field(description="The kind of key the runtime matches the model on.")
    key: str | None
    status: str | None = Field(
        description="The `released` cell's status (null when the runtime's releases are not read)."
    )
    first_release: ReleaseRefOut | None = Field(description="The first release carrying support (any kind).")
    first_final_release: ReleaseRefOut | None = Field(
        description="The first final (not rc/alpha/beta/dev) release carrying support."
    )
    first_branch: BranchRefOut | None = Field(description="The first release branch carrying support.")
    min_version: MinVersionOut | None = Field(
        description="The minimum version a source states (vLLM Recipes' `model.min_vllm_version`; the "
        "highest when sources disagree)."
    )
    releases_observed: bool = Field(
        description="False: the runtime's releases are not observed for the model (unknown), so no release "
        'is shown — not "none yet"; what sources state is shown all the same.'
    )
    statements: list[StatementOut] = Field(
        description="What sources state: minimum versions, then images (every vendor first, then per "
        "vendor); with `vendor` or `sku`, only those for every vendor or that vendor."
    )
    verification: SkuVerificationOut | None = Field(
        description="With `sku`: that SKU's verification (status, date, evidence); null otherwise, or when "
        "no per-SKU source has a cell for it."
    )


class RequirementCsvOut(BaseModel):
    """``RequirementOut`` flattened for CSV: one column per nested field."""

    runtime: str
    vendors: list[str]
    key_kind: str | None
    key: str | None
    status: str | None
    first_release_tag: str | None = None
    first_release_at: datetime | None = None
    first_release_prerelease: bool | None = None
    first_release_commit: str | None = None
    first_release_evidence_url: str | None = None
    first_final_release_tag: str | None = None
    first_final_release_at: datetime | None = None
    first_final_release_commit: str | None = None
    first_final_release_evidence_url: str | None = None
    first_branch: str | None = None
    first_branch_at: datetime | None = None
    first_branch_commit: str | None = None
    min_version: str | None = None
    min_version_source: str | None = None
    min_version_evidence_url: str | None = None
    releases_observed: bool = True
    images: str | None = None
    """Every image stated, ``vendor[/variant]=image`` (``*`` for every vendor), ``; ``-separated."""
    verification_sku: str | None = None
    verification_status: str | None = None
    verification_at: datetime | None = None
    verification_evidence_url: str | None = None

    @classmethod
    def of(cls, item: RequirementOut) -> RequirementCsvOut:
        release, final, branch, stated, checked = (
            item.first_release,
            item.first_final_release,
            item.first_branch,
            item.min_version,
            item.verification,
        )
        return cls(
            runtime=item.runtime,
            vendors=item.vendors,
            key_kind=item.key_kind,
            key=item.key,
            status=item.status,
            first_release_tag=release.tag if release else None,
            first_release_at=release.at if release else None,
            first_release_prerelease=release.prerelease if release else None,
            first_release_commit=release.commit if release else None,
            first_release_evidence_url=release.evidence_url if release else None,
            first_final_release_tag=final.tag if final else None,
            first_final_release_at=final.at if final else None,
            first_final_release_commit=final.commit if final else None,
            first_final_release_evidence_url=final.evidence_url if final else None,
            first_branch=branch.branch if branch else None,
            first_branch_at=branch.at if branch else None,
            first_branch_commit=branch.commit if branch else None,
            min_version=stated.version if stated else None,
            min_version_source=stated.source if stated else None,
            min_version_evidence_url=stated.evidence_url if stated else None,
            releases_observed=item.releases_observed,
            images="; ".join(
                f"{s.vendor or '*'}{'/' + s.variant if s.variant else ''}={s.value}"
                for s in item.statements
                if s.kind is StatementKind.IMAGE
            )
            or None,
            verification_sku=checked.sku if checked else None,
            verification_status=checked.status if checked else None,
            verification_at=checked.at if checked else None,
            verification_evidence_url=checked.evidence_url if checked else None,
        )

"""LaunchGap's vocabulary, declared once: stages, gap statuses, key kinds, vendors, row kinds.

Every other module names these values through the enums (never as string literals), so adding a vendor or a
stage is an edit here, and the catalog, the services, the API schemas and the routes follow. The meanings
are in docs/concepts.md. ``StrEnum`` members are ``str``: they compare, hash and serialise as their values,
so rows read back from the database as plain strings match them.
"""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    """How far a runtime's support has gone, from its first public trace to hardware verification."""

    PROPOSED = "proposed"
    """The first public appearance of a commit adding the key in any ref: a pull-request head, a branch or
    the default branch (docs/concepts.md, "Stages")."""
    BRANCH = "branch"
    MERGED = "merged"
    RELEASED = "released"
    DOCUMENTED = "documented"
    VERIFIED = "verified"

    @property
    def event_stages(self) -> tuple[Stage, ...]:
        """The stages whose events date this one: ``proposed`` is the earliest public trace, so a branch or
        a default-branch commit that came first dates it too (it is never later than ``merged``)."""
        if self is Stage.PROPOSED:
            return (Stage.PROPOSED, Stage.BRANCH, Stage.MERGED)
        return (self,)

    @property
    def fed_by(self) -> Stage:
        """The stage whose signals feed this one: a release, a release branch and a pull request carry code
        (the code signals are judged at tags, on branches and at pull heads); the others are walked signals of
        their own."""
        return Stage.MERGED if self in (Stage.RELEASED, Stage.BRANCH, Stage.PROPOSED) else self

    @property
    def walked(self) -> bool:
        """Whether a catalog signal can have this stage (its files are walked on the default branch)."""
        return self.fed_by is self


class GapStatus(StrEnum):
    """Where support landed relative to the model's release (docs/concepts.md, "Statuses")."""

    PRE_EXISTING = "pre-existing"
    PRE_RELEASE = "pre-release"
    DAY_0 = "day-0"
    LATER = "later"
    PENDING = "pending"
    UNKNOWN = "unknown"
    """The source was never observed, or the release is newer than what it was observed until: no gap."""
    BEFORE_COVERAGE = "before-coverage"
    """Observed, but the release predates the source's coverage start: the source cannot date its support."""

    @property
    def observed(self) -> bool:
        """Whether the cell's source can say anything about the release (statistics count only these)."""
        return self not in (GapStatus.UNKNOWN, GapStatus.BEFORE_COVERAGE)

    @property
    def supported(self) -> bool:
        """Whether the runtime (vendor, SKU) supports the cell, before the release or after: a cell entering
        one of these has gained support (watches are told)."""
        return self in (GapStatus.PRE_EXISTING, GapStatus.PRE_RELEASE, GapStatus.DAY_0, GapStatus.LATER)

    @property
    def resolved(self) -> bool:
        """Whether support came for this release, so its gap is measured (lags and statistics use these);
        a pre-existing key was supported before the release and measures nothing."""
        return self.supported and self is not GapStatus.PRE_EXISTING

    @property
    def css_class(self) -> str:
        """The class pages and the stylesheet give a cell or badge of this status (one mapping for both)."""
        return f"status-{self.value}"

    @property
    def meaning(self) -> str:
        """One line for legends."""
        return _STATUS_MEANINGS[self]


# The sets the code asks for, derived from the properties above (fast ``in`` tests over many rows; a stored
# status read back as a plain string matches, since members hash as their values).
SUPPORTED_STATUSES = frozenset(status for status in GapStatus if status.supported)
RESOLVED_STATUSES = frozenset(status for status in GapStatus if status.resolved)
OBSERVED_STATUSES = frozenset(status for status in GapStatus if status.observed)

_STATUS_MEANINGS: dict[GapStatus, str] = {
    GapStatus.PRE_EXISTING: "the key was supported before the release (not new): left out of statistics",
    GapStatus.PRE_RELEASE: "supported before the public release: evidence of early access",
    GapStatus.DAY_0: "supported within 24 h of the release",
    GapStatus.LATER: "supported more than 24 h after the release",
    GapStatus.PENDING: "no support as far as the source was observed; the gap runs to that time (as of)",
    GapStatus.UNKNOWN: "the source was never observed, or not as far as the release: no gap, not counted",
    GapStatus.BEFORE_COVERAGE: (
        "the release predates the source's coverage start and its first version supports it: supported by then, "
        "no gap"
    ),
}


class EventKind(StrEnum):
    """What a support event says about a key: the runtime started or stopped registering it."""

    ADDED = "added"
    REMOVED = "removed"


class KeyKind(StrEnum):
    """What a runtime registers a model by, and what a model offers to be matched on."""

    ARCHITECTURE = "architecture"
    MODEL_TYPE = "model_type"
    GGUF_ARCHITECTURE = "gguf_architecture"
    MODEL_NAME = "model_name"
    REPO_ID = "repo_id"


class Vendor(StrEnum):
    """A hardware vendor's view (its slug); ``label`` is how pages show it."""

    NVIDIA = "nvidia"
    AMD = "amd"
    HUAWEI = "huawei"
    INTEL = "intel"
    APPLE = "apple"
    LOCAL = "local"
    GOOGLE = "google"

    @property
    def label(self) -> str:
        return VENDOR_LABELS[self]


VENDOR_LABELS: dict[Vendor, str] = {
    Vendor.NVIDIA: "NVIDIA",
    Vendor.AMD: "AMD",
    Vendor.HUAWEI: "Huawei Ascend",
    Vendor.INTEL: "Intel",
    Vendor.APPLE: "Apple",
    Vendor.LOCAL: "Local / CPU",
    Vendor.GOOGLE: "Google TPU",
}


class StatementKind(StrEnum):
    """What a source states about running a model on a runtime (a statement dates nothing; docs/api.md,
    "Which version do I need")."""

    MIN_VERSION = "min_version"
    """The oldest release of the runtime that runs the model (vLLM Recipes' ``model.min_vllm_version``)."""
    IMAGE = "image"
    """A container image to run it with, per vendor (vLLM Recipes' ``model.docker_image``)."""


class RowKind(StrEnum):
    """What one gap row is about: a runtime, a vendor view, or one hardware SKU of a runtime."""

    RUNTIME = "runtime"
    VENDOR = "vendor"
    SKU = "sku"


class ReleaseSource(StrEnum):
    """Where a model's release time comes from, best first: the ranking every writer of release times uses
    (docs/concepts.md, "Models and releases"). Seen turning public by LaunchGap, then the operator's import,
    then the facts bundled with LaunchGap (they only fill gaps), then the repo's creation time."""

    OBSERVED = "observed"
    IMPORTED = "imported"
    BUNDLED = "bundled"
    CREATED_AT_ESTIMATE = "created_at_estimate"
    """The Hub's ``createdAt``: repos are often created private days before release, so an estimate only."""

    @property
    def rank(self) -> int:
        """Lower is better: the declaration order."""
        return list(ReleaseSource).index(self)

    @property
    def dated(self) -> bool:
        """Whether this source states the release day (``createdAt`` does not: it is the repo's creation)."""
        return self is not ReleaseSource.CREATED_AT_ESTIMATE

    @classmethod
    def dated_sources(cls) -> tuple[ReleaseSource, ...]:
        return tuple(source for source in cls if source.dated)


class ReleasePrecision(StrEnum):
    """How precisely a model's release time is known."""

    SECOND = "second"
    DAY = "day"


class Confidence(StrEnum):
    """How sure a gap's status is (low: a day-precision release cannot order events within that day)."""

    HIGH = "high"
    LOW = "low"


class DeliveryState(StrEnum):
    """Where a watch delivery stands in the outbox."""

    PENDING = "pending"
    """To send, or to retry."""
    DELIVERED = "delivered"
    FAILED = "failed"
    """Retries given up, a day after the delivery was written."""


class AttemptOutcome(StrEnum):
    """What one attempt to send a watch delivery gave."""

    DELIVERED = "delivered"
    """A 2xx answer."""
    FAILED = "failed"
    """Another answer, a redirect, a network error or a timeout."""
    REFUSED = "refused"
    """The receiver's host is, or resolves to, a non-public address."""

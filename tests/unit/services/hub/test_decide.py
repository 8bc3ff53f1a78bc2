"""What one Hub listing item changes in a stored model (``app/services/hub/decide.py``): pure, so decided here
from plain values, without a database or a clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from app.domain.vocabulary import ReleaseSource
from app.services.hub.decide import GONE, PUBLIC, StoredModel, decide_model_update
from app.services.releases.rules import ReleaseTime
from app.sources.hub import HubModel

CREATED = datetime(2025, 9, 1, tzinfo=UTC)
NOW = datetime(2025, 10, 1, 12, 0, tzinfo=UTC)
LISTING = HubModel(
    hub_id="66a0000000000000000000aa",
    repo_id="acme/Acme-1",
    created_at=CREATED,
    architectures=("AcmeForCausalLM",),
    model_type="acme",
    tags=("text-generation",),
    auto_map=True,
)


def stored_after(update_values: dict[str, object], base: StoredModel | None = None) -> StoredModel:
    """The stored model once ``update_values`` are written (only the fields ``StoredModel`` reads)."""
    fields = {k: v for k, v in update_values.items() if k in StoredModel.__dataclass_fields__}
    return replace(base or StoredModel(), **fields)


def test_a_first_listing_of_a_publisher_not_read_in_full_before_dates_the_release_by_created_at() -> None:
    update = decide_model_update(None, LISTING, NOW, seen_turning_public=False)
    assert update.changed and not update.public_again
    values = update.values
    assert (values["release_at"], values["release_at_source"]) == (CREATED, ReleaseSource.CREATED_AT_ESTIMATE)
    assert values["first_seen_public_at"] == NOW
    assert values["uses_remote_code"] is True
    assert set(values["release_times"]) == {ReleaseSource.CREATED_AT_ESTIMATE}
    assert values["is_derivative"] is False


def test_a_repo_seen_turning_public_is_observed_at_now_and_keeps_created_at_as_a_lower_rank() -> None:
    values = decide_model_update(None, LISTING, NOW, seen_turning_public=True).values
    assert (values["release_at"], values["release_at_source"]) == (NOW, ReleaseSource.OBSERVED)
    assert set(values["release_times"]) == {ReleaseSource.OBSERVED, ReleaseSource.CREATED_AT_ESTIMATE}


def test_a_webhook_sighting_is_dated_at_its_receipt_not_at_now() -> None:
    received = NOW - timedelta(minutes=5)
    values = decide_model_update(None, LISTING, NOW, seen_turning_public=True, seen_at=received).values
    assert (values["release_at"], values["release_at_source"]) == (received, ReleaseSource.OBSERVED)
    assert values["first_seen_public_at"] == received


def test_listing_again_with_nothing_new_changes_nothing_that_counts() -> None:
    first = decide_model_update(None, LISTING, NOW, seen_turning_public=True)
    again = decide_model_update(
        stored_after(first.values), LISTING, NOW + timedelta(hours=1), seen_turning_public=True
    )
    assert not again.changed
    assert "first_seen_public_at" not in again.values  # the first sighting stays the release
    assert again.values.get("release_at", NOW) == NOW


def test_a_repo_public_again_after_gone_is_no_new_release() -> None:
    first = decide_model_update(None, LISTING, NOW, seen_turning_public=True)
    gone = replace(stored_after(first.values), visibility=GONE)
    later = NOW + timedelta(days=3)
    update = decide_model_update(gone, LISTING, later, seen_turning_public=True, seen_at=later)
    assert update.public_again and update.changed
    assert update.values["visibility"] == PUBLIC and update.values["gone_at"] is None
    assert update.values.get("release_at", NOW) == NOW


def test_an_earlier_webhook_processed_after_the_poller_wins() -> None:
    polled = decide_model_update(None, LISTING, NOW, seen_turning_public=True)
    earlier = NOW - timedelta(minutes=30)
    update = decide_model_update(
        stored_after(polled.values), LISTING, NOW, seen_turning_public=True, seen_at=earlier
    )
    assert update.values["first_seen_public_at"] == earlier
    assert (update.values["release_at"], update.values["release_at_source"]) == (
        earlier,
        ReleaseSource.OBSERVED,
    )


def test_an_imported_release_time_outranks_created_at_and_a_disagreement_is_flagged() -> None:
    imported_at = datetime(2025, 8, 1, tzinfo=UTC)  # a month before the repo was created: cannot be right
    stored = StoredModel(
        release_at=imported_at,
        release_at_source=ReleaseSource.IMPORTED,
        release_at_precision="day",
        release_times={
            ReleaseSource.IMPORTED: ReleaseTime(imported_at, ReleaseSource.IMPORTED, "day").as_record()
        },
        hub_extra={"imported": {"architecture": "OtherForCausalLM", "release_at": imported_at.isoformat()}},
        first_seen_public_at=NOW - timedelta(days=1),
    )
    update = decide_model_update(stored, LISTING, NOW, seen_turning_public=False)
    assert update.values["release_at_source"] == ReleaseSource.IMPORTED
    assert set(update.values["release_times"]) == {ReleaseSource.IMPORTED, ReleaseSource.CREATED_AT_ESTIMATE}
    conflict = update.values["release_conflict"]
    assert "architecture: imported OtherForCausalLM" in conflict and "before the repo was created" in conflict


def test_a_derivative_of_another_publishers_model_is_classified_as_such() -> None:
    quantized = replace(LISTING, repo_id="someone/Acme-1-GGUF", base_models=(("quantized", "acme/Acme-1"),))
    values = decide_model_update(None, quantized, NOW, seen_turning_public=True).values
    assert values["is_derivative"] is True
    assert values["derivative_reason"] == "quantized of acme/Acme-1 (base_model lineage)"

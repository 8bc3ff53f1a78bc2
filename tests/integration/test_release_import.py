"""Importing release facts (data/releases.csv format) on both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.models.model import Model
from app.services.hub.poll import poll_publishers
from app.services.releases.facts import ReleaseFileError, import_releases
from app.services.releases.publishers import sync_publishers
from app.sources.hub import HubClient
from tests.fakes.fake_hub import FakeHub

BUNDLED = Path(__file__).resolve().parents[2] / "app" / "data" / "releases.csv"
HEADER = "hf_repo_id,org,architecture,model_type,public_release_date,createdAt,source,confidence,notes\n"


def write(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "releases.csv"
    path.write_text(HEADER + "".join(row + "\n" for row in rows))
    return path


def count(session: Session) -> int:
    return session.execute(select(func.count()).select_from(Model)).scalar_one()


def get(session: Session, repo_id: str) -> Model:
    session.expire_all()
    return session.execute(select(Model).where(Model.repo_id == repo_id)).scalar_one()


def test_bundled_file_builds_a_database_offline_and_reimport_changes_nothing(session: Session) -> None:
    sync_publishers(session, None)
    report = import_releases(session, BUNDLED)
    assert report.created == report.rows == count(session) > 50
    llama = get(session, "meta-llama/Llama-3.1-8B-Instruct")
    assert (llama.release_at, llama.release_at_precision) == (datetime(2024, 7, 23, tzinfo=UTC), "day")
    assert llama.release_at_source == "imported" and llama.release_confidence == "high"
    assert llama.created_at == datetime(2024, 7, 18, 8, 56, tzinfo=UTC)
    assert llama.release_source_detail and "vllm-project" in llama.release_source_detail
    v3 = get(session, "deepseek-ai/DeepSeek-V3")
    r1 = get(session, "deepseek-ai/DeepSeek-R1")
    assert v3.new_architecture and not r1.new_architecture
    kimi = get(session, "moonshotai/Kimi-K2-Instruct")
    assert not kimi.new_architecture and kimi.new_model_type
    again = import_releases(session, BUNDLED)
    assert (again.created, again.updated, again.unchanged) == (0, 0, report.rows)
    assert count(session) == report.rows


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("not-a-repo,x,A,a,2024-01-01,,src,high,", "invalid Hub repo id"),
        ("a/b,a,A,a,2024-13-01,,src,high,", "not an ISO-8601"),
        ("a/b,a,A,a,2024-01-01T10:00:00,,src,high,", "no UTC offset"),
        ("a/b,a,A,a,2024-01-01,,,high,", "source is empty"),
        ("a/b,a,A,a,2024-01-01,,src,sure,", "confidence"),
        ("a/b,zz,A,a,2024-01-01,,src,high,", "does not match"),
    ],
)
def test_bad_rows_are_refused_and_nothing_is_written(
    session: Session, tmp_path: Path, row: str, message: str
) -> None:
    path = write(tmp_path, "good/model,good,A,a,2024-01-01,,src,high,", row)
    with pytest.raises(ReleaseFileError, match=message) as info:
        import_releases(session, path)
    assert "line 3" in str(info.value)
    assert count(session) == 0


def test_conflicts_with_the_hub_are_flagged_not_overwritten(session: Session, tmp_path: Path) -> None:
    factory = sessionmaker(bind=session.connection(), join_transaction_mode="create_savepoint")
    with FakeHub() as hub:
        hub.add_model(
            "acme",
            "Acme-1",
            architectures=["AcmeForCausalLM"],
            model_type="acme",
            created_at=datetime(2025, 3, 10, 9, 0, tzinfo=UTC),
        )
        with HubClient(hub.url, None, 2.0) as client:
            poll_publishers(factory, client, ["acme"], datetime(2025, 4, 1, tzinfo=UTC))
    path = write(
        tmp_path,
        "acme/Acme-1,acme,OtherForCausalLM,acme,2025-03-01,,blog,medium,",
        "acme/Acme-1-Instruct,acme,AcmeForCausalLM,acme,2025-03-10T14:00:00Z,,blog,high,",
    )
    report = import_releases(session, path)
    assert report.created == 1 and report.updated == 1
    row = get(session, "acme/Acme-1")
    assert row.architectures == ["AcmeForCausalLM"]  # the Hub's fact is kept
    assert row.release_conflict and "architecture" in row.release_conflict
    assert "before the repo was created" in row.release_conflict
    assert (row.release_at_source, row.release_at_precision) == ("imported", "day")
    assert len(report.conflicts) == 1
    instruct = get(session, "acme/Acme-1-Instruct")
    assert instruct.hub_id is None and instruct.release_at_precision == "second"


def flags(session: Session) -> dict[str, tuple[str | None, bool, bool]]:
    session.expire_all()
    return {
        m.repo_id: (m.family, m.new_architecture, m.new_model_type) for m in session.scalars(select(Model))
    }


def test_imports_keep_families_and_new_architecture_flags_right(session: Session, tmp_path: Path) -> None:
    first = write(
        tmp_path,
        "acme/A-1,acme,AcmeForCausalLM,acme,2025-03-10,,blog,high,",
        "acme/A-1-Instruct,acme,AcmeForCausalLM,acme,2025-03-11,,blog,high,",
        "beta/B-1,beta,AcmeForCausalLM,acme_b,2025-04-01,,blog,high,",
    )
    import_releases(session, first)
    assert flags(session) == {
        "acme/A-1": ("acme/A-1", True, True),
        "acme/A-1-Instruct": ("acme/A-1", True, True),
        "beta/B-1": ("beta/B-1", False, True),  # a known architecture, a new model_type
    }
    # Corrected facts: beta's model came first, and acme's Instruct a week after its Base.
    corrected = tmp_path / "corrected.csv"
    corrected.write_text(
        HEADER
        + "beta/B-1,beta,AcmeForCausalLM,acme_b,2025-02-01,,press release,high,\n"
        + "acme/A-1-Instruct,acme,AcmeForCausalLM,acme,2025-03-18,,blog,high,\n"
    )
    report = import_releases(session, corrected)
    assert report.updated == 2
    assert flags(session) == {
        "acme/A-1": ("acme/A-1", False, True),
        "acme/A-1-Instruct": ("acme/A-1-Instruct", False, False),
        "beta/B-1": ("beta/B-1", True, True),
    }
    # Re-importing changes nothing.
    assert import_releases(session, corrected).unchanged == 2
    assert flags(session)["beta/B-1"] == ("beta/B-1", True, True)


def test_within_a_rank_a_time_to_the_second_beats_a_day_and_a_newer_fact_replaces_an_older(
    session: Session, tmp_path: Path
) -> None:
    from app.services.releases.rules import release_conflicts

    sync_publishers(session, None)
    repo = "acme/Acme-1"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "c").mkdir()
    import_releases(
        session, write(tmp_path / "a", f"{repo},acme,AcmeForCausalLM,acme,2026-04-24T12:00:00Z,,src-a,high,")
    )
    # a later import of the same day, without a time, does not erase the time
    import_releases(
        session, write(tmp_path / "b", f"{repo},acme,AcmeForCausalLM,acme,2026-04-25,,src-b,high,")
    )
    row = get(session, repo)
    assert (row.release_at, row.release_at_precision) == (datetime(2026, 4, 24, 12, tzinfo=UTC), "second")
    assert row.release_source_detail == "src-a"
    # a later import of another day is the corrected fact
    import_releases(
        session, write(tmp_path / "c", f"{repo},acme,AcmeForCausalLM,acme,2026-05-02,,src-c,medium,")
    )
    row = get(session, repo)
    assert (row.release_at, row.release_at_precision) == (datetime(2026, 5, 2, tzinfo=UTC), "day")
    # bundled facts only fill gaps: they never replace the operator's import, and a disagreement is listed
    import_releases(
        session,
        write(tmp_path, f"{repo},acme,AcmeForCausalLM,acme,2026-04-24,,bundled-src,high,"),
        kind="bundled",
    )
    row = get(session, repo)
    assert (row.release_at_source, row.release_at) == ("imported", datetime(2026, 5, 2, tzinfo=UTC))
    [conflict] = release_conflicts(row.release_times)
    assert (conflict.source, conflict.at, conflict.chosen_source) == (
        "bundled",
        datetime(2026, 4, 24, tzinfo=UTC),
        "imported",
    )


def test_a_second_precision_import_beats_a_bundled_day(session: Session, tmp_path: Path) -> None:
    sync_publishers(session, None)
    import_releases(session, BUNDLED, kind="bundled")
    flash = "deepseek-ai/DeepSeek-V4-Flash"
    assert get(session, flash).release_at_precision == "day"
    import_releases(
        session,
        write(
            tmp_path,
            f"{flash},deepseek-ai,DeepseekV4ForCausalLM,deepseek_v4,2026-04-24T12:00:00Z,,mine,high,",
        ),
    )
    import_releases(session, BUNDLED, kind="bundled")
    row = get(session, flash)
    assert (row.release_at, row.release_at_source) == (datetime(2026, 4, 24, 12, tzinfo=UTC), "imported")

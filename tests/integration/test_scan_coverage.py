"""Coverage recorded by scans: observed stages, ``observed_until`` per kind of copy, stages a copy lacks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.vocabulary import GapStatus
from app.models import GapRecord
from app.services.jobs import scan_then_refresh
from app.services.runtimes.catalog_rows import sync_catalog
from app.services.runtimes.scan import scan_runtime
from app.services.runtimes.stored_coverage import load_coverage
from app.sources.runtimes.catalog import get_runtime
from tests.fakes.repo_builder import RepoBuilder
from tests.integration.test_scan import VLLM, registry, vllm_history
from tests.support.seed import Seed

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def test_never_scanned_runtimes_are_not_observed(session: Session) -> None:
    coverage = load_coverage(session)
    assert coverage[("vllm", "merged")].observed is False
    assert coverage[("vllm", "merged")].observed_until is None
    assert ("vllm", "documented") not in coverage  # vLLM has no docs matrix: no source, no coverage
    # vLLM Recipes start with their first Markdown guide, a date declared in the catalog
    assert coverage[("vllm-recipes", "verified")].coverage_start == datetime(2025, 7, 23, tzinfo=UTC)
    assert coverage[("vllm-recipes", "documented")].coverage_start == datetime(2025, 7, 23, tzinfo=UTC)
    assert coverage[("vllm", "merged")].coverage_start is None


def test_local_copy_is_known_up_to_its_newest_ref_read(session: Session, tmp_path: Path) -> None:
    repo = vllm_history(
        tmp_path / "r"
    )  # head 2024-10-01, tag v0.6.3 on 2024-10-02 (lightweight: commit time)
    # a release branch (a catalog branch pattern) committed later than the head
    repo.branch("releases/v0.6.4").commit({"notes.txt": "x"}, at="2024-11-05T10:00:00Z").checkout("main")
    # a pull-request ref is read for the proposed stage only, however new
    repo.branch("pr", "main").commit({"notes.txt": "y"}, at="2024-12-24T10:00:00Z").checkout("main")
    repo.git("update-ref", "refs/pull/9/head", repo.head("pr"))
    repo.git("branch", "-D", "pr")
    scan_runtime(session, VLLM, data_dir=tmp_path / "d", repo=str(repo.path), now=NOW)
    coverage = load_coverage(session)
    merged = coverage[("vllm", "merged")]
    assert merged.observed and merged.copy == "local"
    assert merged.observed_until == datetime(2024, 11, 5, 10, tzinfo=UTC)
    assert coverage[("vllm", "released")].observed
    assert coverage[("vllm", "branch")].observed
    assert coverage[("vllm", "proposed")].observed_until == datetime(2024, 12, 24, 10, tzinfo=UTC)
    # other runtimes stay unknown
    assert not coverage[("sglang", "merged")].observed


def test_stage_whose_refs_the_copy_lacks_is_not_observed(session: Session, tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "r")
    repo.commit(
        {"vllm/model_executor/models/registry.py": registry("LlamaForCausalLM")}, at="2025-01-02T10:00:00Z"
    )
    scan_runtime(session, VLLM, data_dir=tmp_path / "d", repo=str(repo.path), now=NOW)
    coverage = load_coverage(session)
    assert coverage[("vllm", "merged")].observed_until == datetime(2025, 1, 2, 10, tzinfo=UTC)
    released = coverage[("vllm", "released")]
    assert not released.observed and released.observed_until is None
    assert released.reason == "the local copy has no release tags"
    assert not coverage[("vllm", "branch")].observed


def test_fetched_repository_is_known_up_to_the_fetch(session: Session, tmp_path: Path) -> None:
    repo = vllm_history(tmp_path / "upstream").allow_filter()
    scan_runtime(session, VLLM, data_dir=tmp_path / "d", repo=repo.url, now=NOW)
    coverage = load_coverage(session)
    assert coverage[("vllm", "merged")].copy == "fetched"
    assert coverage[("vllm", "merged")].observed_until == NOW
    # a fetched repository has every ref: no matching branch means there is none, observed as such
    assert coverage[("vllm", "branch")].observed
    # a later scan of an older local copy does not move observed_until back
    scan_runtime(session, VLLM, data_dir=tmp_path / "d2", repo=str(repo.path), now=NOW + timedelta(hours=1))
    assert load_coverage(session)[("vllm", "merged")].observed_until == NOW


def test_version_bump_releases_need_no_tags(session: Session, tmp_path: Path) -> None:
    mlx = get_runtime("mlx-lm")
    assert mlx.releases is not None and mlx.releases.version_file
    repo = RepoBuilder(tmp_path / "r")
    repo.commit(
        {
            "mlx_lm/models/llama.py": "class Model:\n    pass\n",
            mlx.releases.version_file: '__version__ = "0.20.0"\n',
        },
        at="2025-01-02T10:00:00Z",
    )
    scan_runtime(session, mlx, data_dir=tmp_path / "d", repo=str(repo.path), now=NOW)
    assert load_coverage(session)[("mlx-lm", "released")].observed


def test_a_scan_pinned_to_a_commit_of_the_default_branch_is_known_up_to_that_commit(
    session: Session, tmp_path: Path
) -> None:
    # Issue 22, item 1: `scan RUNTIME --ref SHA` (to reproduce a figure) observed the default branch up to SHA.
    sync_catalog(session)
    Seed(session).model("acme/Mixtral-X", release_at=datetime(2023, 11, 1, tzinfo=UTC),
                        architecture="MixtralForCausalLM", model_type="mixtral")  # fmt: skip
    repo = vllm_history(tmp_path / "upstream").allow_filter()  # main goes on to 2024-10-01
    pinned = repo.head("v0.2.5^{commit}")  # "Lazy registry (#200)", committed 2023-12-01 10:00
    pinned_at = datetime(2023, 12, 1, 10, tzinfo=UTC)
    for source in (str(repo.path), repo.url):  # a local copy, then a fetched one (whose fetch is newer)
        scan_then_refresh(session, VLLM, data_dir=tmp_path / "d", repo=source, ref=pinned, now=NOW)
        coverage = load_coverage(session)
        assert coverage[("vllm", "merged")].observed_until == pinned_at
        assert coverage[("vllm", "released")].observed_until == pinned_at
    assert coverage[("vllm", "branch")].observed_until == pinned_at  # the fetched copy has every ref
    merged = (GapRecord.repo_id == "acme/Mixtral-X", GapRecord.stage == "merged", GapRecord.runtime == "vllm")
    cell = session.scalars(select(GapRecord).where(*merged)).one()
    assert (cell.status, cell.observed_until) == (GapStatus.PENDING, pinned_at)
    # coverage only moves forward: the default scan then knows the branch up to its head
    scan_then_refresh(session, VLLM, data_dir=tmp_path / "d", repo=str(repo.path), now=NOW)
    assert load_coverage(session)[("vllm", "merged")].observed_until == datetime(2024, 10, 1, 10, tzinfo=UTC)


def test_a_scan_pinned_off_the_default_line_records_no_coverage(session: Session, tmp_path: Path) -> None:
    repo = vllm_history(tmp_path / "r")
    start = repo.head("v0.2.5^{commit}")
    # a side branch merged into main: its commit is an ancestor of main but not on main's first-parent line
    repo.branch("feature", start).commit({"notes.txt": "side"}, at="2024-02-01T10:00:00Z")
    side = repo.head()
    repo.checkout("main").merge("feature", at="2024-11-01T10:00:00Z")
    # another branch never merged, and a tag on it
    repo.branch("experiment", start).commit({"notes.txt": "x"}, at="2024-03-01T10:00:00Z").tag("exp-1")
    repo.checkout("main")
    for ref in (side, "experiment", "exp-1"):
        scan_runtime(session, VLLM, data_dir=tmp_path / ref[:8], repo=str(repo.path), ref=ref, now=NOW)
        assert not load_coverage(session)[("vllm", "merged")].observed, ref

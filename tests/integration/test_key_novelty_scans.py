"""The novelty rule on real git repositories and both databases: a key some runtime merged long before a
release is pre-existing on every runtime (never "pre-existing" on one and "pre-release" on another); a key
first merged 30 days before is pre-release; a scan of one runtime that changes a key's novelty rewrites every
runtime's rows of the releases using it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import get_settings
from app.models import GapRecord
from app.services.gaps.novelty import key_is_new
from app.services.gaps.refresh import refresh_gaps
from app.services.releases.facts import import_releases
from app.services.releases.publishers import sync_publishers
from app.services.runtimes.catalog_rows import sync_catalog
from app.services.runtimes.scan import scan_runtime
from app.sources.runtimes.catalog import get_runtime
from tests.fakes.repo_builder import RepoBuilder
from tests.integration.test_scan import registry

NOW = datetime(2025, 9, 1, tzinfo=UTC)
RELEASE = datetime(2025, 6, 1, tzinfo=UTC)
HEADER = "hf_repo_id,org,architecture,model_type,public_release_date,createdAt,source,confidence,notes\n"
OLD, FRESH = "acme/Old-Key", "acme/Fresh-Key"


def _trt_models(*archs: str) -> str:
    body = "".join(f'    "{a}": {a}Impl,\n' for a in archs)
    return f"MODEL_MAP = {{\n{body}}}\n"


def _setup(session: Session, tmp_path: Path) -> tuple[RepoBuilder, RepoBuilder]:
    sync_catalog(session)
    sync_publishers(session, None)
    facts = tmp_path / "facts.csv"
    facts.write_text(
        HEADER
        + f"{OLD},acme,OldForCausalLM,old,2025-06-01T00:00:00Z,,mine,high,\n"
        + f"{FRESH},acme,FreshForCausalLM,fresh,2025-06-01T00:00:00Z,,mine,high,\n"
    )
    import_releases(session, facts)
    refresh_gaps(session)  # as the import workflow does: every row exists before the scans
    # vLLM: the old key 243 days before the release, the fresh one 30 days before.
    vllm = RepoBuilder(tmp_path / "vllm")
    path = "vllm/model_executor/models/registry.py"
    vllm.commit({path: registry("LlamaForCausalLM", "OldForCausalLM")}, at="2024-10-01T00:00:00Z")
    vllm.commit(
        {path: registry("LlamaForCausalLM", "OldForCausalLM", "FreshForCausalLM")}, at="2025-05-02T00:00:00Z"
    )
    vllm.commit({"README.md": "x"}, at="2025-08-01T00:00:00Z")
    # TensorRT-LLM: both keys 12 days before the release.
    trt = RepoBuilder(tmp_path / "trt")
    trt.commit(
        {"tensorrt_llm/models/__init__.py": _trt_models("LlamaForCausalLM")}, at="2024-01-01T00:00:00Z"
    )
    trt.commit(
        {
            "tensorrt_llm/models/__init__.py": _trt_models(
                "LlamaForCausalLM", "OldForCausalLM", "FreshForCausalLM"
            )
        },
        at="2025-05-20T00:00:00Z",
    )
    trt.commit({"README.md": "x"}, at="2025-08-01T00:00:00Z")
    return vllm, trt


def _merged(session: Session, repo_id: str) -> dict[str, tuple[str, bool]]:
    rows = session.scalars(
        select(GapRecord).where(
            GapRecord.repo_id == repo_id, GapRecord.stage == "merged", GapRecord.row_kind == "runtime"
        )
    )
    return {r.runtime: (r.status, r.key_is_new) for r in rows if r.runtime in ("vllm", "tensorrt-llm")}


def test_one_answer_per_key_for_every_runtime_even_when_scanned_one_at_a_time(
    session: Session, tmp_path: Path
) -> None:
    vllm, trt = _setup(session, tmp_path)
    data = tmp_path / "data"
    scan_runtime(session, get_runtime("tensorrt-llm"), data_dir=data, repo=str(trt.path), now=NOW)
    refresh_gaps(session, runtimes=["tensorrt-llm"])
    # Only TensorRT-LLM known: both keys first merged 12 days before, so both are new: pre-release.
    assert _merged(session, OLD)["tensorrt-llm"] == ("pre-release", True)

    scan_runtime(session, get_runtime("vllm"), data_dir=data, repo=str(vllm.path), now=NOW)
    refresh_gaps(session, runtimes=["vllm"])  # a scan of vLLM alone
    # vLLM had the old key 243 days before: not new, so pre-existing on TensorRT-LLM's row too.
    assert _merged(session, OLD) == {"vllm": ("pre-existing", False), "tensorrt-llm": ("pre-existing", False)}
    assert _merged(session, FRESH) == {"vllm": ("pre-release", True), "tensorrt-llm": ("pre-release", True)}
    # every row that uses the key, whatever the runtime, vendor or stage (model_type rows use another key)
    every_row = session.scalars(
        select(GapRecord.key_is_new).where(GapRecord.repo_id == OLD, GapRecord.key == "OldForCausalLM")
    ).all()
    assert len(every_row) > 10 and set(every_row) == {False}
    # nothing left to change: a full refresh writes nothing
    full = refresh_gaps(session)
    assert (full.inserted, full.updated, full.deleted) == (0, 0, 0)
    # the rule as one service function (what a Hub watcher asks of a model it has just seen)
    assert not key_is_new(session, kind="architecture", key="OldForCausalLM", at=RELEASE)
    assert key_is_new(session, kind="architecture", key="FreshForCausalLM", at=RELEASE, family=FRESH)
    assert key_is_new(session, kind="architecture", key="NeverSeenForCausalLM", at=RELEASE)
    assert not key_is_new(
        session, kind="architecture", key="FreshForCausalLM", at=RELEASE, window=timedelta(days=20)
    )


def test_the_early_access_window_is_the_setting(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vllm, trt = _setup(session, tmp_path)
    for name, repo in (("vllm", vllm), ("tensorrt-llm", trt)):
        scan_runtime(session, get_runtime(name), data_dir=tmp_path / "data", repo=str(repo.path), now=NOW)
    monkeypatch.setenv("LAUNCHGAP_EARLY_ACCESS_DAYS", "20")
    get_settings.cache_clear()
    try:
        refresh_gaps(session)
    finally:
        monkeypatch.delenv("LAUNCHGAP_EARLY_ACCESS_DAYS")
        get_settings.cache_clear()
    # vLLM merged the fresh key 30 days before: with a 20-day window it was public already.
    assert _merged(session, FRESH) == {
        "vllm": ("pre-existing", False),
        "tensorrt-llm": ("pre-existing", False),
    }
    refresh_gaps(session)  # back to the default 90 days
    assert _merged(session, FRESH)["vllm"] == ("pre-release", True)

"""The ``proposed`` stage: pull-request heads (``refs/pull/N/head``) read from real git repositories."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.vocabulary import Stage
from app.models.support import SupportEvent
from app.services.gaps.load import load_support_index
from app.services.runtimes.fetch import collect_events
from app.services.runtimes.scan import scan_runtime
from app.services.runtimes.stored_coverage import load_coverage
from app.sources.git.repo import GitRepo, open_repository
from app.sources.runtimes.scanner import Scanner
from tests.fakes.repo_builder import RepoBuilder
from tests.integration.test_scan import VLLM, registry

NOW = datetime(2026, 6, 1, tzinfo=UTC)
UPSTREAM = "https://github.com/vllm-project/vllm"
REGISTRY = "vllm/model_executor/models/registry.py"


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _pull(repo: RepoBuilder, number: int, ref: str = "HEAD") -> None:
    """What GitHub serves: the pull request's head as ``refs/pull/N/head``."""
    repo.git("update-ref", f"refs/pull/{number}/head", repo.head(ref))


def _proposed(events: list) -> list[tuple[str, str, int | None]]:  # type: ignore[type-arg]
    return [(e.key, e.at.isoformat(), e.pr_number) for e in events if e.stage == Stage.PROPOSED]


def pr_then_merged(path: Path) -> RepoBuilder:
    """Qwen3-MoE the mlx-lm way: proposed in a pull request five weeks before the squash merge."""
    repo = RepoBuilder(path)
    repo.commit({REGISTRY: registry("LlamaForCausalLM")}, at="2025-01-02T10:00:00Z", message="Registry (#1)")
    repo.branch("qwen3").commit(
        {REGISTRY: registry("LlamaForCausalLM", "Qwen3MoeForCausalLM")},
        at="2025-03-21T09:00:00Z",
        author_at="2025-03-20T18:00:00Z",
        message="Add Qwen3 MoE",
    )
    _pull(repo, 44)
    repo.commit({"README.md": "qwen3"}, at="2025-03-22T09:00:00Z", message="docs")
    _pull(repo, 44)
    repo.branch("stacked").commit({"notes.txt": "x"}, at="2025-03-23T09:00:00Z")
    _pull(repo, 51)  # a later pull request stacked on #44: the lower number names the commit
    repo.checkout("main")
    repo.commit(
        {REGISTRY: registry("LlamaForCausalLM", "Qwen3MoeForCausalLM")},
        at="2025-04-28T12:00:00Z",
        message="Add Qwen3 MoE (#44)",
    )
    repo.git("branch", "-D", "qwen3", "stacked")
    return repo


def test_pull_request_first_then_merged(tmp_path: Path) -> None:
    repo = pr_then_merged(tmp_path / "r")
    events = collect_events(VLLM, data_dir=tmp_path / "d", repo=str(repo.path), upstream=UPSTREAM)
    proposed = [e for e in events if e.stage == Stage.PROPOSED]
    assert [(e.key, e.at, e.author_at, e.pr_number) for e in proposed] == [
        ("Qwen3MoeForCausalLM", _utc("2025-03-21T09:00:00Z"), _utc("2025-03-20T18:00:00Z"), 44)
    ]
    commit = proposed[0].commit
    assert proposed[0].evidence_url == f"{UPSTREAM}/pull/44/commits/{commit}"
    assert proposed[0].branch == "" and proposed[0].provenance == "git"
    merged = [(e.key, e.at) for e in events if e.stage == Stage.MERGED and e.event == "added"]
    assert ("Qwen3MoeForCausalLM", _utc("2025-04-28T12:00:00Z")) in merged


def test_proposed_is_the_earliest_of_pull_request_branch_and_main(session: Session, tmp_path: Path) -> None:
    repo = pr_then_merged(tmp_path / "r")
    scan_runtime(session, VLLM, data_dir=tmp_path / "d", repo=str(repo.path), now=NOW)
    index = load_support_index(session, Stage.PROPOSED)
    qwen = index.runtime[("vllm", Stage.PROPOSED, "architecture", "Qwen3MoeForCausalLM")]
    assert qwen.at == _utc("2025-03-21T09:00:00Z")
    # Llama never was in a pull request: the default branch's commit dates its proposal
    llama = index.runtime[("vllm", Stage.PROPOSED, "architecture", "LlamaForCausalLM")]
    assert llama.at == _utc("2025-01-02T10:00:00Z")
    merged = load_support_index(session, Stage.MERGED)
    assert merged.runtime[("vllm", Stage.MERGED, "architecture", "Qwen3MoeForCausalLM")].at == _utc(
        "2025-04-28T12:00:00Z"
    )
    proposed = load_coverage(session)[("vllm", Stage.PROPOSED)]
    # a local copy: up to the newest ref read for the stage (the head, merged on 2025-04-28)
    assert proposed.observed and proposed.observed_until == _utc("2025-04-28T12:00:00Z")


def test_pull_request_never_merged(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "r")
    repo.commit({REGISTRY: registry("LlamaForCausalLM")}, at="2026-04-01T10:00:00Z")
    repo.branch("v4").commit(
        {REGISTRY: registry("LlamaForCausalLM", "DeepseekV4ForCausalLM")}, at="2026-04-24T04:37:00Z"
    )
    _pull(repo, 1189)
    repo.checkout("main").commit({"README.md": "later"}, at="2026-05-01T10:00:00Z")
    repo.git("branch", "-D", "v4")
    events = collect_events(VLLM, data_dir=tmp_path / "d", repo=str(repo.path))
    assert _proposed(events) == [("DeepseekV4ForCausalLM", "2026-04-24T04:37:00+00:00", 1189)]
    assert not [e for e in events if e.key == "DeepseekV4ForCausalLM" and e.stage != Stage.PROPOSED]
    assert _proposed(events)[0] and events[-1].evidence_url is None  # a local path names no upstream


def test_force_pushed_pull_request_keeps_the_earlier_commit(session: Session, tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "r")
    repo.commit({REGISTRY: registry("LlamaForCausalLM")}, at="2025-01-02T10:00:00Z")
    repo.branch("pr").commit(
        {REGISTRY: registry("LlamaForCausalLM", "GptOssForCausalLM")}, at="2025-07-01T10:00:00Z"
    )
    first = repo.head()
    _pull(repo, 7)
    scan_runtime(session, VLLM, data_dir=tmp_path / "d", repo=str(repo.path), now=NOW)
    # the author rewrites the pull request: a new commit, later, replaces the first
    repo.reset_hard("main").commit(
        {REGISTRY: registry("LlamaForCausalLM", "GptOssForCausalLM")}, at="2025-07-20T10:00:00Z"
    )
    _pull(repo, 7)
    second = repo.head()
    scan_runtime(session, VLLM, data_dir=tmp_path / "d", repo=str(repo.path), now=NOW)
    rows = session.execute(
        select(SupportEvent.commit, SupportEvent.retracted_at, SupportEvent.pr_number).where(
            SupportEvent.stage == Stage.PROPOSED
        )
    ).all()
    assert sorted(rows) == sorted([(first, None, 7), (second, None, 7)])
    index = load_support_index(session, Stage.PROPOSED)
    assert index.runtime[("vllm", Stage.PROPOSED, "architecture", "GptOssForCausalLM")].commit == first


def test_fork_copy_pull_requests_are_not_read(session: Session, tmp_path: Path) -> None:
    repo = pr_then_merged(tmp_path / "r")
    scan_runtime(
        session,
        VLLM,
        data_dir=tmp_path / "d",
        repo=str(repo.path),
        upstream=UPSTREAM,
        now=NOW,
        pull_requests=False,
    )
    assert not session.scalars(select(SupportEvent).where(SupportEvent.stage == Stage.PROPOSED)).all()
    proposed = load_coverage(session)[("vllm", Stage.PROPOSED)]
    assert not proposed.observed and proposed.observed_until is None
    assert proposed.reason is not None and "fork" in proposed.reason
    # the copy LaunchGap keeps holds no pull-request refs either
    copy = open_repository(str(repo.path), tmp_path / "d", "vllm", update=False)
    assert copy.pull_heads() == {}


def test_copy_without_pull_request_refs_leaves_proposed_unknown(session: Session, tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "r")
    repo.commit({REGISTRY: registry("LlamaForCausalLM")}, at="2025-01-02T10:00:00Z")
    scan_runtime(session, VLLM, data_dir=tmp_path / "d", repo=str(repo.path), now=NOW)
    proposed = load_coverage(session)[("vllm", Stage.PROPOSED)]
    assert not proposed.observed
    assert proposed.reason == "the local copy carries no pull-request refs (refs/pull/*)"
    assert load_coverage(session)[("vllm", Stage.MERGED)].observed


def test_url_source_fetches_pull_request_refs(session: Session, tmp_path: Path) -> None:
    repo = pr_then_merged(tmp_path / "upstream").allow_filter()
    scan_runtime(session, VLLM, data_dir=tmp_path / "d", repo=repo.url, now=NOW)
    mirror = GitRepo(tmp_path / "d" / "mirrors" / "vllm.git")
    assert set(mirror.pull_heads()) == {44, 51}
    assert mirror.promisor_remote() == "origin"  # still a partial clone: blobs fetched when read
    rows = session.execute(
        select(SupportEvent.at, SupportEvent.pr_number, SupportEvent.evidence_url).where(
            SupportEvent.stage == Stage.PROPOSED
        )
    ).all()
    assert [(at, pr) for at, pr, _ in rows] == [(_utc("2025-03-21T09:00:00Z"), 44)]
    assert rows[0][2] is None  # a file URL is no web address to link to
    proposed = load_coverage(session)[("vllm", Stage.PROPOSED)]
    assert proposed.observed and proposed.observed_until == NOW  # fetched: known up to the fetch
    # a new pull request upstream arrives with the next fetch
    repo.branch("later", "main").commit(
        {REGISTRY: registry("LlamaForCausalLM", "Qwen3MoeForCausalLM", "Glm5ForCausalLM")},
        at="2025-06-01T10:00:00Z",
    )
    _pull(repo, 60)
    scan_runtime(session, VLLM, data_dir=tmp_path / "d", repo=repo.url, now=NOW)
    keys = session.scalars(select(SupportEvent.pr_number).where(SupportEvent.stage == Stage.PROPOSED)).all()
    assert sorted(keys) == [44, 60]


def test_merge_commit_workflow_dates_the_pull_request_commit(tmp_path: Path) -> None:
    """A merged pull request's commits sit behind the merge's second parent: the first-parent walk of the
    default branch dates the merge, the pull-request walk dates the commit."""
    repo = RepoBuilder(tmp_path / "r")
    repo.commit({REGISTRY: registry("LlamaForCausalLM")}, at="2025-01-02T10:00:00Z")
    repo.branch("feature").commit(
        {REGISTRY: registry("LlamaForCausalLM", "Gemma3ForCausalLM")}, at="2025-03-01T10:00:00Z"
    )
    _pull(repo, 12)
    repo.checkout("main").commit({"README.md": "x"}, at="2025-03-02T10:00:00Z")
    repo.merge("feature", at="2025-03-12T10:00:00Z", message="Merge pull request #12")
    repo.git("branch", "-D", "feature")
    events = collect_events(VLLM, data_dir=tmp_path / "d", repo=str(repo.path))
    assert _proposed(events) == [("Gemma3ForCausalLM", "2025-03-01T10:00:00+00:00", 12)]
    merged = [
        (e.key, e.at.isoformat()) for e in events if e.stage == Stage.MERGED and e.key == "Gemma3ForCausalLM"
    ]
    assert merged == [("Gemma3ForCausalLM", "2025-03-12T10:00:00+00:00")]


def test_default_branch_merged_into_a_pull_request_is_not_its_proposal(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "r")
    repo.commit({REGISTRY: registry("LlamaForCausalLM")}, at="2025-01-02T10:00:00Z")
    repo.branch("pr").commit({"vllm/model_executor/models/mamba.py": "x = 1\n"}, at="2025-02-01T10:00:00Z")
    repo.checkout("main").commit(
        {REGISTRY: registry("LlamaForCausalLM", "Phi4ForCausalLM")}, at="2025-02-05T10:00:00Z"
    )
    repo.checkout("pr").merge("main", at="2025-02-10T10:00:00Z")  # the pull request catches up with main
    _pull(repo, 30)
    repo.checkout("main").git("branch", "-D", "pr")
    events = collect_events(VLLM, data_dir=tmp_path / "d", repo=str(repo.path))
    assert _proposed(events) == []  # Phi-4 came from main (dated there), not from pull request #30


def test_rescan_walks_only_new_pull_requests(tmp_path: Path) -> None:
    repo = pr_then_merged(tmp_path / "r")
    git = open_repository(str(repo.path), tmp_path / "d", "vllm", pull_requests=True)
    with git:
        first = Scanner(VLLM, git, pull_requests=True).scan()
        assert first.cursor["pulls"] == {
            "44": repo.head("refs/pull/44/head"),
            "51": repo.head("refs/pull/51/head"),
        }
        again = Scanner(VLLM, git, pull_requests=True).scan(cursor=first.cursor)
        assert again.commits_walked == 0 and again.events == []
    repo.branch("v4", "main").commit(
        {REGISTRY: registry("LlamaForCausalLM", "Qwen3MoeForCausalLM", "DeepseekV4ForCausalLM")},
        at="2026-04-23T20:10:00Z",
    )
    _pull(repo, 8648)
    repo.checkout("main")
    git = open_repository(str(repo.path), tmp_path / "d", "vllm", pull_requests=True)
    with git:
        third = Scanner(VLLM, git, pull_requests=True).scan(cursor=again.cursor)
    assert third.commits_walked == 1
    assert _proposed(third.events) == [("DeepseekV4ForCausalLM", "2026-04-23T20:10:00+00:00", 8648)]


def test_a_file_version_the_copy_lacks_is_left_out_not_fatal(tmp_path: Path) -> None:
    """Copies of GitHub repositories can lack a few large blobs: one pull request's unreadable file version
    must not fail the others."""
    repo = RepoBuilder(tmp_path / "r")
    repo.commit({REGISTRY: registry("LlamaForCausalLM")}, at="2025-01-02T10:00:00Z")
    repo.branch("a").commit(
        {REGISTRY: registry("LlamaForCausalLM", "LostForCausalLM")}, at="2025-02-01T10:00:00Z"
    )
    _pull(repo, 1)
    lost = repo.git("rev-parse", f"HEAD:{REGISTRY}")
    repo.branch("b", "main").commit(
        {REGISTRY: registry("LlamaForCausalLM", "KeptForCausalLM")}, at="2025-02-02T10:00:00Z"
    )
    _pull(repo, 2)
    repo.checkout("main").git("branch", "-D", "a", "b")
    git = open_repository(str(repo.path), tmp_path / "d", "vllm", pull_requests=True)
    (git.git_dir / "objects" / lost[:2] / lost[2:]).unlink()  # the copy's link to that version only
    with git:
        outcome = Scanner(VLLM, git, pull_requests=True).scan()
    assert _proposed(outcome.events) == [("KeptForCausalLM", "2025-02-02T10:00:00+00:00", 2)]

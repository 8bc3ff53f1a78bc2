"""The catalog audit on small real git repositories: one history per finding kind, reasons from the
catalog, the CLI's exit codes, and the audit kept by ``scan_runtime`` (resumed by incremental scans)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.api.deps import get_now, get_session
from app.cli.main import cli
from app.config import get_settings
from app.domain.runtime_spec import Era, Expected, ReleaseRules, RuntimeSpec, Signal
from app.main import create_app
from app.services.operations.source_state import RUNTIME_REPO, get_state
from app.services.runtimes.catalog_audit import AuditLimits, KnownKeys, audit_runtime, known_keys
from app.services.runtimes.catalog_rows import sync_catalog
from app.services.runtimes.scan import scan_runtime
from app.sources.runtimes.catalog import get_runtime
from app.sources.runtimes.extractors import Extractor
from tests.fakes.repo_builder import RepoBuilder
from tests.support.seed import Seed

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _dict(name: str) -> Extractor:
    return Extractor("dict_keys", rf"^{name}\s*=\s*\{{")


def registry(*keys: str, name: str = "MODELS") -> str:
    return f"{name} = {{\n" + "".join(f'    "{k}": "{k.lower()}",\n' for k in keys) + "}\n"


def spec(
    *signals: Signal, releases: ReleaseRules | None = None, expected: tuple[Expected, ...] = ()
) -> RuntimeSpec:
    return RuntimeSpec(
        name="demo", display_name="Demo", repo_url="https://github.com/example/demo", default_branch="main",
        vendors=(), hardware=(), signals=signals, releases=releases, audit_expected=expected,
    )  # fmt: skip


REGISTRY = Signal(
    name="registry",
    key_kind="architecture",
    eras=(
        Era(("reg/old.py",), _dict("MODELS")),
        Era(("reg/new.py",), _dict("MODELS")),
        Era(("never/*.py",), _dict("MODELS")),
    ),
)


def _ids(report_findings: list) -> set[str]:  # type: ignore[type-arg]
    return {f.id for f in report_findings}


def test_eras_spans_silences_and_unseen_era(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "r")
    repo.commit({"reg/old.py": registry("A", "B", "C")}, at="2024-01-01T00:00:00Z")
    # the registry is renamed: the file is still there but the rule reads nothing from it
    repo.commit({"reg/old.py": registry("A", "B", "C", name="REGISTRY")}, at="2024-02-01T00:00:00Z")
    renamed = repo.head()
    for n in range(4):
        repo.commit({"reg/old.py": registry("A", "B", "C", f"D{n}", name="REGISTRY")})
    repo.commit({"reg/new.py": registry("A", "B", "C", "E")}, at="2024-06-01T00:00:00Z")
    moved = repo.head()
    report = audit_runtime(spec(REGISTRY), repo=str(repo.path), data_dir=tmp_path / "data")

    assert _ids(report.findings) == {
        f"drop:registry:{renamed[:12]}",
        f"silence:registry:0:{renamed[:12]}",  # still silent at the head: always a finding
        "era_unseen:registry:2",
    }
    old, new, never = report.eras
    assert old.spans[0][1] == "2024-01-01T00:00:00Z" and old.spans[0][2] is None  # still there
    assert old.silences == [[renamed, "2024-02-01T00:00:00Z", None, None, 6]]
    assert new.first_key == [moved, "2024-06-01T00:00:00Z"] and new.keys_at_head == 4
    assert never.spans == [] and old.keys_at_head == 0
    assert all(f.reason is None for f in report.findings) and len(report.unexplained) == 3


def test_short_silence_is_a_file_being_filled_in(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "r")
    repo.commit({"reg/old.py": "# registry comes next\n"}).commit({"reg/old.py": registry("A")})
    report = audit_runtime(spec(REGISTRY), repo=str(repo.path), data_dir=tmp_path / "data")
    assert not [f for f in report.findings if f.kind == "silence"]
    assert len(report.eras[0].silences) == 1  # recorded on the era all the same


def test_flapping_key(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "r")
    repo.commit({"reg/old.py": registry("A", "B", "C", "D")})
    repo.commit({"reg/old.py": registry("A", "B", "C")})
    vanished = repo.head()
    repo.commit({"reg/old.py": registry("A", "B", "C", "X")})
    repo.commit({"reg/old.py": registry("A", "B", "C", "X", "D")})  # back two commits later
    repo.commit({"reg/old.py": registry("A", "B", "C", "D")})  # X removed …
    for n in range(4):
        repo.commit({"reg/old.py": registry("A", "B", "C", "D", *[f"Y{i}" for i in range(n + 1)])})
    repo.commit({"reg/old.py": registry("A", "B", "C", "D", "X")})  # … and back much later: not a flap
    report = audit_runtime(spec(REGISTRY), repo=str(repo.path), data_dir=tmp_path / "data")
    flaps = [f for f in report.findings if f.kind == "flap"]
    assert [f.id for f in flaps] == [f"flap:registry:D@{vanished[:12]}"]
    assert "back 2 commit(s) later" in flaps[0].summary


def test_drop_unless_another_signal_takes_the_keys_over(tmp_path: Path) -> None:
    docs = Signal(name="docs", key_kind="architecture", eras=(Era(("docs/list.py",), _dict("MODELS")),))
    repo = RepoBuilder(tmp_path / "r")
    repo.commit({"reg/old.py": registry("A", "B", "C", "D", "E", "F")})
    # A, B, C move to the docs signal in the same commit: no drop
    repo.commit({"reg/old.py": registry("D", "E", "F"), "docs/list.py": registry("A", "B", "C")})
    # two of three vanish for good: a drop
    repo.commit({"reg/old.py": registry("F")})
    dropped = repo.head()
    report = audit_runtime(spec(REGISTRY, docs), repo=str(repo.path), data_dir=tmp_path / "data")
    drops = [f for f in report.findings if f.kind == "drop"]
    assert [f.id for f in drops] == [f"drop:registry:{dropped[:12]}"]
    assert drops[0].summary.startswith("2 of 3 keys vanished") and "D, E" in drops[0].summary


def test_moved_signal_while_the_repository_kept_going(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "r")
    repo.commit({"reg/old.py": registry("A")}, at="2024-01-01T00:00:00Z")
    last = repo.head()
    for n in range(6):
        repo.commit({"src/other.py": f"x = {n}\n"}, at=f"2024-0{n + 2}-15T00:00:00Z")
    limits = AuditLimits(moved_min_commits=5, moved_min_days=90)
    report = audit_runtime(spec(REGISTRY), repo=str(repo.path), data_dir=tmp_path / "data", limits=limits)
    moved = [f for f in report.findings if f.kind == "moved"]
    assert [(f.id, f.commit) for f in moved] == [("moved:registry", last)]
    assert "6 commits and 196 days" in moved[0].summary
    strict = audit_runtime(
        spec(REGISTRY),
        repo=str(repo.path),
        data_dir=tmp_path / "data",
        limits=AuditLimits(moved_min_commits=7),
    )
    assert not [f for f in strict.findings if f.kind == "moved"]


def test_tags_and_version_file(tmp_path: Path) -> None:
    rules = ReleaseRules(
        tag_pattern=r"^v\d+\.\d+\.\d+", version_file="pkg/version.py", version_pattern=r'^VERSION = "([^"]+)"'
    )
    repo = RepoBuilder(tmp_path / "r")
    repo.commit({"reg/old.py": registry("A")}, at="2024-01-01T00:00:00Z").tag("v0.1.0")
    repo.commit({"reg/old.py": registry("A", "B")}, at="2024-02-01T00:00:00Z").tag("1.2.0").tag("v0.1.1-ci")
    # the version file exists but is computed: the version pattern finds nothing for a while
    repo.commit({"pkg/version.py": "VERSION = compute()\n"}, at="2024-03-01T00:00:00Z")
    computed = repo.head()
    repo.commit({"pkg/version.py": 'VERSION = "0.2.0"\n'}, at="2024-04-01T00:00:00Z").tag("v0.2.0")
    repo.commit({"reg/old.py": registry("A", "B", "C")}, at="2024-05-01T00:00:00Z").tag("v0.2.1rc1")
    report = audit_runtime(spec(REGISTRY, releases=rules), repo=str(repo.path), data_dir=tmp_path / "data")
    tag_findings = {f.id for f in report.findings if f.kind.startswith(("tag_", "version_"))}
    assert tag_findings == {
        "tag_unmatched:1.2.0",
        "tag_not_release:v0.1.1-ci",
        "tag_before_version:v0.1.0",
        f"version_silence:{computed[:12]}",
    }


def test_catalog_reasons_explain_findings(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "r")
    repo.commit({"reg/old.py": registry("A", "B", "C")}).commit({"reg/new.py": registry("A", "B", "C")})
    expected = (
        Expected(r"era_unseen:registry:2", "the never/ layout was announced, not shipped"),
        Expected(r"drop:registry:.*", "never happens here"),
    )
    report = audit_runtime(spec(REGISTRY, expected=expected), repo=str(repo.path), data_dir=tmp_path / "data")
    assert [(f.id, f.reason) for f in report.findings] == [
        ("era_unseen:registry:2", "the never/ layout was announced, not shipped")
    ]
    assert report.unexplained == [] and report.expected_unused == ["drop:registry:.*"]
    with pytest.raises(ValueError, match="one non-empty line"):
        Expected("x", "two\nlines")


def mlx_history(path: Path) -> RepoBuilder:
    """A miniature mlx-lm: model files, the remapping in utils.py, a version file and tags."""
    repo = RepoBuilder(path)
    repo.commit(
        {
            "mlx_lm/models/llama.py": "class Model: ...\n",
            "mlx_lm/utils.py": 'MODEL_REMAPPING = {\n    "mistral": "llama",\n}\n',
            "mlx_lm/_version.py": '__version__ = "0.1.0"\n',
        },
        at="2024-01-10T00:00:00Z",
    ).tag("v0.1.0")
    repo.commit({"mlx_lm/models/qwen3.py": "class Model: ...\n"}, at="2024-02-10T00:00:00Z")
    return repo


def silence_utils(repo: RepoBuilder) -> str:
    """The remapping leaves utils.py under another name: its era goes silent."""
    repo.commit({"mlx_lm/utils.py": 'REMAP = {\n    "mistral": "llama",\n}\n'}, at="2024-03-10T00:00:00Z")
    return repo.head()


def test_cli_exit_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAUNCHGAP_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        repo = mlx_history(tmp_path / "mlx")
        clean = runner.invoke(cli, ["catalog", "audit", "mlx-lm", "--repo", str(repo.path)])
        assert clean.exit_code == 0, clean.output
        assert "0 finding(s), 0 unexplained" in clean.output
        assert "models era 0 (mlx_lm/models/*.py): 2024-01-10..head" in clean.output
        silent = silence_utils(repo)
        drifted = runner.invoke(cli, ["catalog", "audit", "mlx-lm", "--repo", str(repo.path), "--json"])
        assert drifted.exit_code == 1
        assert f'"silence:models:1:{silent[:12]}"' in drifted.output
        unknown = runner.invoke(cli, ["catalog", "audit", "nope", "--repo", str(repo.path)])
        assert unknown.exit_code == 2 and "unknown runtime" in unknown.output
    finally:
        get_settings.cache_clear()


def test_scan_keeps_the_audit_and_incremental_scans_resume_it(session: Session, tmp_path: Path) -> None:
    mlx = get_runtime("mlx-lm")
    repo = mlx_history(tmp_path / "mlx")
    scan_runtime(session, mlx, data_dir=tmp_path / "data", repo=str(repo.path), now=NOW)
    state = get_state(session, RUNTIME_REPO, "mlx-lm")
    assert state.audit is not None and state.audit["unexplained"] == 0 and state.audit["head"] == repo.head()

    silent = silence_utils(repo)
    for n in range(3):
        repo.commit({"mlx_lm/utils.py": f'REMAP = {{\n    "m{n}": "llama",\n}}\n'})
    summary = scan_runtime(session, mlx, data_dir=tmp_path / "data", repo=str(repo.path), now=NOW)
    assert summary.commits_walked == 4  # incremental …
    state = get_state(session, RUNTIME_REPO, "mlx-lm")
    full = audit_runtime(mlx, repo=str(repo.path), data_dir=tmp_path / "data")
    # … yet the same findings and spans as a full audit
    assert [f["id"] for f in state.audit["findings"]] == [f.id for f in full.findings]
    assert [f.id for f in full.findings] == [f"silence:models:1:{silent[:12]}"]
    assert summary.audit_unexplained == [f"silence:models:1:{silent[:12]}"]
    assert state.audit["eras"] == [e.as_json() for e in full.eras]
    assert state.audit["partial"] is False


def test_resuming_from_a_cursor_older_than_the_audit_counts_from_there(
    session: Session, tmp_path: Path
) -> None:
    mlx = get_runtime("mlx-lm")
    repo = mlx_history(tmp_path / "mlx")
    scan_runtime(session, mlx, data_dir=tmp_path / "data", repo=str(repo.path), now=NOW)
    state = get_state(session, RUNTIME_REPO, "mlx-lm")
    # a cursor written before audits existed has no audit state
    state.cursor = {k: {n: v for n, v in c.items() if n != "audit"} for k, c in state.cursor.items()}
    session.flush()
    repo.commit({"mlx_lm/models/gemma3.py": "class Model: ...\n"})
    scan_runtime(session, mlx, data_dir=tmp_path / "data", repo=str(repo.path), now=NOW)
    audit = get_state(session, RUNTIME_REPO, "mlx-lm").audit
    assert audit is not None and audit["partial"] is True and audit["unexplained"] == 0
    models = next(e for e in audit["eras"] if e["era"] == 0)
    assert models["keys_at_head"] == 3 and models["spans"][0][2] is None


@pytest.fixture
def client(session: Session) -> Iterator[TestClient]:
    sync_catalog(session)
    app = create_app(start_watchers=False)
    app.dependency_overrides[get_session] = lambda: session
    app.dependency_overrides[get_now] = lambda: NOW
    yield TestClient(app)


def test_runtime_page_and_api_show_the_audit(client: TestClient, session: Session, tmp_path: Path) -> None:
    assert "Not audited yet" in client.get("/runtimes/mlx-lm").text
    repo = mlx_history(tmp_path / "mlx")
    silent = silence_utils(repo)
    for _ in range(3):
        repo.commit({"mlx_lm/utils.py": "REMAP = {}\n# again\n"})
    scan_runtime(session, get_runtime("mlx-lm"), data_dir=tmp_path / "data", repo=str(repo.path), now=NOW)
    page = client.get("/runtimes/mlx-lm").text
    assert "1 unexplained" in page and f"silence:models:1:{silent[:12]}" in page
    assert "<code>mlx_lm/models/*.py</code></td>" in page and "2024-01-10..head" in page
    api = client.get("/api/v1/runtimes/mlx-lm").json()
    assert (api["audit_findings"], api["audit_unexplained"]) == (1, 1)


# -- dead keys (issue 22, item 2) --------------------------------------------------------------------------
FAMILIES = Signal(name="table", key_kind="architecture", eras=(Era(("docs/table.py",), _dict("MODELS")),))
LINKS = Signal(name="links", key_kind="repo_id", eras=(Era(("docs/links.py",), _dict("REPOS")),))


def drifted_table(path: Path) -> RepoBuilder:
    """A docs table of classes that turns into family labels (the rule still matches; the keys are dead),
    beside a list of repo ids, most of them by a known organisation."""
    repo = RepoBuilder(path)
    repo.commit(
        {
            "docs/table.py": registry("LlamaForCausalLM", "QwenForCausalLM", "MistralForCausalLM"),
            "docs/links.py": registry(
                "acme/A-1", "acme/B-2", "acme/C-3", "acme/D-4", "stray/E-5", name="REPOS"
            ),
        },
        at="2025-01-01T00:00:00Z",
    )
    classes = ("LlamaForCausalLM", "QwenForCausalLM", "MistralForCausalLM")
    labels = ("Llama", "Qwen", "Stable Diffusion", "LLaVA", "Phi", *classes)  # no key vanishes: no drop
    repo.commit({"docs/table.py": registry(*labels)}, at="2025-02-01T00:00:00Z")
    return repo


KNOWN = KnownKeys(
    frozenset({"llamaforcausallm", "qwenforcausallm", "mistralforcausallm"}), frozenset({"acme"})
)


def test_a_signal_whose_keys_mostly_match_nothing_known_has_dead_keys(tmp_path: Path) -> None:
    repo = drifted_table(tmp_path / "r")
    report = audit_runtime(
        spec(FAMILIES, LINKS), repo=str(repo.path), data_dir=tmp_path / "data", known=KNOWN
    )
    [dead] = [f for f in report.findings if f.kind == "dead_keys"]
    # 5 of 8 keys are family labels, no class anyone knows; 4 of 5 repo ids are by a known organisation
    assert dead.id == "dead_keys:table" and dead.commit == repo.head()
    assert dead.summary.startswith("5 of 8 architecture keys at the head match no architecture")
    assert "LLaVA" in dead.summary and "LlamaForCausalLM" not in dead.summary
    # nothing known (a fresh install): nothing judged
    unjudged = audit_runtime(spec(FAMILIES, LINKS), repo=str(repo.path), data_dir=tmp_path / "data")
    assert not [f for f in unjudged.findings if f.kind == "dead_keys"]
    # a catalog reason explains it like any finding
    explained = audit_runtime(
        spec(FAMILIES, LINKS, expected=(Expected("dead_keys:table", "labels by design"),)),
        repo=str(repo.path), data_dir=tmp_path / "data", known=KNOWN,
    )  # fmt: skip
    assert not explained.unexplained


def test_the_scan_judges_dead_keys_by_what_the_database_knows(session: Session, tmp_path: Path) -> None:
    """Known: the models' classes and repos and other runtimes' registrations, never the runtime's own."""
    seed = Seed(session)
    seed.model("acme/A-1", release_at=NOW, architecture="LlamaForCausalLM", model_type="llama")
    seed.support("other", "QwenForCausalLM", NOW)
    seed.support("demo", "MistralForCausalLM", NOW)  # the audited runtime's own key: no evidence of life
    known = known_keys(session, "demo")
    assert known.knows("architecture", "qwenforcausallm") and known.knows("repo_id", "ACME/anything")
    assert not known.knows("architecture", "MistralForCausalLM")
    assert not known.knows("model_type", "acme")  # an owner is known as an owner only

    repo = drifted_table(tmp_path / "r")
    demo = spec(FAMILIES, LINKS)
    summary = scan_runtime(session, demo, data_dir=tmp_path / "data", repo=str(repo.path), now=NOW)
    assert summary.audit_unexplained == ["dead_keys:table"]
    # a rescan with nothing new keeps the finding (judged when the head last moved)
    again = scan_runtime(session, demo, data_dir=tmp_path / "data", repo=str(repo.path), now=NOW)
    assert again.commits_walked == 0 and again.audit_unexplained == ["dead_keys:table"]
    state = get_state(session, RUNTIME_REPO, "demo")
    assert [f["id"] for f in state.audit["findings"]] == ["dead_keys:table"]

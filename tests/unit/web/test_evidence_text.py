"""Source texts on pages: repository references become links, file paths are reduced to names (issue 24)."""

from __future__ import annotations

from app.web.evidence_text import evidence_text, without_paths


def test_a_repository_reference_becomes_a_link_labelled_by_repository_and_file() -> None:
    html = str(
        evidence_text(
            "vllm-project/vllm-project.github.io@c3a01c4a:_posts/2026-04-24-deepseek-v4.md; same pages"
        )
    )
    assert html == (
        '<a href="https://github.com/vllm-project/vllm-project.github.io/blob/c3a01c4a/_posts/'
        '2026-04-24-deepseek-v4.md" rel="noopener">vllm-project/vllm-project.github.io · 2026-04-24-deepseek-v4.md'
        "</a>; same pages"
    )


def test_a_reference_without_revision_links_the_default_branch() -> None:
    html = str(evidence_text("arch: vllm-project/vllm:tests/models/registry.py (Qwen3-8B)"))
    assert html.startswith(
        'arch: <a href="https://github.com/vllm-project/vllm/blob/HEAD/tests/models/registry.py"'
    )
    assert html.endswith(">vllm-project/vllm · registry.py</a> (Qwen3-8B)")


def test_words_around_colons_and_model_ids_stay_text() -> None:
    text = "arch/model_type: stored configs; Qwen/Qwen3.5-0.8B and 2024-05-06/07"
    assert str(evidence_text(text)) == text


def test_file_paths_and_local_directories_are_reduced_to_names() -> None:
    assert str(evidence_text("(SAMPLES/list_models.trimmed.json)")) == "(list_models.trimmed.json)"
    assert (
        without_paths("cannot clone /work/.mirror/vllm-project+vllm/repo: gone") == "cannot clone repo: gone"
    )
    assert without_paths("read app/data/releases.csv") == "read releases.csv"
    assert without_paths("see https://example.org/a/b/c.json") == "see https://example.org/a/b/c.json"


def test_text_is_escaped() -> None:
    assert str(evidence_text("<script>x</script> a/b:c.md")) == (
        '&lt;script&gt;x&lt;/script&gt; <a href="https://github.com/a/b/blob/HEAD/c.md" rel="noopener">a/b · c.md</a>'
    )
    assert str(evidence_text(None)) == ""

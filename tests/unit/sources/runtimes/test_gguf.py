"""The HF → GGUF architecture mapping is read from the converter's own classes."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from app.services.runtimes.fetch import gguf_mapping
from app.sources.runtimes.gguf import parse_mapping
from tests.fakes.repo_builder import RepoBuilder

CONSTANTS = (
    "class MODEL_ARCH(IntEnum):\n    LLAMA = auto()\n    DEEPSEEK2 = auto()\n\n"
    'MODEL_ARCH_NAMES: dict[MODEL_ARCH, str] = {\n    MODEL_ARCH.LLAMA: "llama",\n'
    '    MODEL_ARCH.DEEPSEEK2: "deepseek2",\n}\n'
)
CONVERTER = """
@ModelBase.register("LlamaForCausalLM", "MistralForCausalLM")
class LlamaModel(TextModel):
    model_arch = gguf.MODEL_ARCH.LLAMA

    def f(self):
        self.model_arch = gguf.MODEL_ARCH.DEEPSEEK2  # set at run time for one variant: not the class's arch


@ModelBase.register("DeepseekV2ForCausalLM")
@ModelBase.register("DeepseekV3ForCausalLM")
class DeepseekV2Model(TextModel):
    model_arch = gguf.MODEL_ARCH.DEEPSEEK2


# @ModelBase.register("CommentedForCausalLM")
@ModelBase.register("ArceeForCausalLM")
class ArceeModel(LlamaModel):
    pass
"""


def test_parse_mapping_follows_decorators_and_inheritance() -> None:
    assert parse_mapping([CONVERTER], CONSTANTS) == {
        "LlamaForCausalLM": "llama",
        "MistralForCausalLM": "llama",
        "DeepseekV2ForCausalLM": "deepseek2",
        "DeepseekV3ForCausalLM": "deepseek2",
        "ArceeForCausalLM": "llama",
    }


def test_gguf_mapping_from_a_repository(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "llama.cpp", branch="master")
    repo.commit({"convert_hf_to_gguf.py": CONVERTER, "gguf-py/gguf/constants.py": CONSTANTS})
    mapping = gguf_mapping(data_dir=tmp_path / "data", repo=str(repo.path))
    assert mapping["DeepseekV3ForCausalLM"] == "deepseek2"


def test_scanning_llama_cpp_stores_the_mapping_and_releases_offer_the_gguf_key(
    tmp_path: Path, session: Session
) -> None:
    from datetime import UTC, datetime

    from app.models import KeyMapping, Model
    from app.services.gaps.load import load_releases
    from app.services.runtimes.scan import scan_runtime
    from app.sources.runtimes.catalog import CATALOG

    now = datetime(2025, 1, 1, tzinfo=UTC)
    session.add(
        Model(repo_id="deepseek-ai/DeepSeek-V3", release_at=now, architectures=["DeepseekV3ForCausalLM"])
    )
    session.flush()
    assert "gguf_architecture" not in load_releases(session)[0][0].keys  # nothing read yet: no guess

    repo = RepoBuilder(tmp_path / "llama.cpp", branch="master")
    repo.commit({"convert_hf_to_gguf.py": CONVERTER, "gguf-py/gguf/constants.py": CONSTANTS})
    scan_runtime(session, CATALOG["llama.cpp"], data_dir=tmp_path / "data", repo=str(repo.path), now=now)
    stored = {m.from_key: (m.to_key, m.commit) for m in session.query(KeyMapping).all()}
    assert stored["DeepseekV3ForCausalLM"] == ("deepseek2", repo.head())
    assert load_releases(session)[0][0].keys["gguf_architecture"] == "deepseek2"

    # The converter drops an architecture: the mapping follows the newest scanned head.
    repo.commit({"convert_hf_to_gguf.py": CONVERTER.replace('@ModelBase.register("ArceeForCausalLM")\n', "")})
    scan_runtime(session, CATALOG["llama.cpp"], data_dir=tmp_path / "data", repo=str(repo.path), now=now)
    assert "ArceeForCausalLM" not in {m.from_key for m in session.query(KeyMapping).all()}

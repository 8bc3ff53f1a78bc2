"""The HF → GGUF architecture mapping is read from the converter's own classes."""

from __future__ import annotations

from pathlib import Path

from app.services.support import gguf_mapping
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

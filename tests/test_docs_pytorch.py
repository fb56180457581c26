"""docs/pytorch.md is what scripts/gen_pytorch_table.py generates from the code now."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location("gen_pytorch_table", ROOT / "scripts" / "gen_pytorch_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pytorch_table_is_up_to_date():
    text = _script().render()
    assert (ROOT / "docs" / "pytorch.md").read_text(encoding="utf-8") == text, \
        "run python scripts/gen_pytorch_table.py"


def test_table_lists_what_glassbox_has():
    text = _script().render()
    assert "| `GELU` | `nn.GELU` |" in text and "| `clip_grad_norm_` | `nn.utils.clip_grad_norm_` |" in text
    assert "| `LSTM` | `nn.LSTM` |" in text and "Not (yet) in glassbox" not in text  # 193 of 193


def test_a_name_glassbox_lacks_is_listed_as_missing():
    script = _script()
    title, prefix, obj, names = script.SECTIONS[2]
    script.SECTIONS[2] = (title, prefix, obj, names + " TransformerEncoderLayerX")
    text = script.render()
    assert "| `TransformerEncoderLayerX` |" not in text
    assert "Not (yet) in glassbox: `TransformerEncoderLayerX`." in text

"""docs/api.md lists every public class and function (regenerate it with
``python scripts/gen_api_docs.py`` when this fails)."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _entries(text: str) -> set[str]:
    return set(re.findall(r"^- \*\*`(?:class|def) (\w+)", text, flags=re.M))


def test_api_reference_lists_every_public_name():
    spec = importlib.util.spec_from_file_location("gen_api_docs", ROOT / "scripts" / "gen_api_docs.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    expected = _entries(gen.render())
    documented = _entries((ROOT / "docs" / "api.md").read_text(encoding="utf-8"))
    assert expected, "the generator found nothing to document"
    missing, stale = expected - documented, documented - expected
    assert not missing and not stale, (
        f"docs/api.md is out of date (missing {sorted(missing)}, stale {sorted(stale)}): "
        "run python scripts/gen_api_docs.py"
    )

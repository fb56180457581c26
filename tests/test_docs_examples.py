"""Every ```python block of README.md and docs/ runs, as written.

Blocks of one file run in order in one namespace (later blocks use what earlier ones
defined), in a temporary working folder. Markdown comments right before a block steer it:

* ``<!-- doctest-setup: CODE -->`` runs CODE first (imports and small data the prose
  assumes); it is in the file, so nothing is hidden from a reader of the source;
* ``<!-- doctest: fast ... -->`` marks a block that trains for long: it runs with every
  ``fit`` capped at 2 epochs (its setup gives it a small data set);
* ``<!-- doctest: skip REASON -->`` skips it; the reason is required.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(r"((?:<!--.*?-->\s*)*)```python\n(.*?)```", re.S)
# the optional extras (plot, onnx, tensorboard, distributed, gpu): a block that needs a
# missing one is skipped, not failed
OPTIONAL = {"matplotlib", "onnx", "onnxruntime", "tensorboardX", "mpi4py", "cupy"}
DIRECTIVE = re.compile(r"<!--\s*doctest(-setup)?\b(.*?)-->", re.S)


def blocks(path: Path) -> list[dict]:
    found = []
    for m in FENCE.finditer(path.read_text(encoding="utf-8")):
        block = {"code": m.group(2), "setup": "", "fast": False, "skip": None,
                 "line": path.read_text(encoding="utf-8")[:m.start(2)].count("\n") + 1}
        for d in DIRECTIVE.finditer(m.group(1)):
            body = d.group(2)
            word = body.strip().lstrip(":").strip()
            if d.group(1):  # doctest-setup
                block["setup"] += body.split(":", 1)[1] if ":" in body.split("\n", 1)[0] else body
            elif word.startswith("fast"):
                block["fast"] = True
            elif word.startswith("skip"):
                reason = word[4:].strip(" :")
                assert reason, f"{path.name}:{block['line']}: 'doctest: skip' needs a reason"
                block["skip"] = reason
        found.append(block)
    return found


def test_the_harness_sees_the_blocks():
    counts = {str(p.relative_to(ROOT)): len(blocks(p)) for p in FILES}
    assert counts["README.md"] >= 2 and counts["docs/toolkit.md"] >= 8 and counts["docs/getting-started.md"] >= 2
    assert sum(b["fast"] for b in blocks(ROOT / "docs" / "toolkit.md")) >= 4


@pytest.mark.parametrize("path", [p for p in FILES if blocks(p)], ids=lambda p: str(p.relative_to(ROOT)))
def test_python_blocks_run(path, tmp_path, monkeypatch):
    import importlib

    fit_module = importlib.import_module("glassbox.training.fit")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    real_fit = fit_module.Trainer.fit
    state = {"fast": False}

    def maybe_short(self, train_data, val_data=None, epochs=1, *args, **kwargs):
        return real_fit(self, train_data, val_data, min(epochs, 2) if state["fast"] else epochs, *args, **kwargs)

    monkeypatch.setattr(fit_module.Trainer, "fit", maybe_short)
    namespace: dict = {"__name__": "__doc_example__"}
    for block in blocks(path):
        if block["skip"]:
            continue
        where = f"{path.relative_to(ROOT)}, block at line {block['line']}"
        state["fast"] = block["fast"]
        try:
            if block["setup"].strip():
                exec(compile(block["setup"], f"{where} (setup)", "exec"), namespace)
            exec(compile(block["code"], where, "exec"), namespace)
        except ModuleNotFoundError as exc:
            if (exc.name or "").split(".")[0] not in OPTIONAL:
                pytest.fail(f"{where} failed: {type(exc).__name__}: {exc}")
            pytest.skip(f"{where} needs the optional {exc.name} (the rest of the file is not run)")
        except Exception as exc:  # noqa: BLE001
            pytest.fail(f"{where} failed: {type(exc).__name__}: {exc}")

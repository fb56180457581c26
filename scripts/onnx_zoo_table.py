"""The ONNX zoo table of docs/interop.md: every zoo model exported, checked and run in
onnxruntime against glassbox (the set-up of tests/onnx/test_export.py). From the repo root:

    GLASSBOX_DATA=../shared/datasets python scripts/onnx_zoo_table.py
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "onnx"))
from glassbox.onnx import export  # noqa: E402
from test_export import ZOO, _as_input, _digits, _glassbox, _run, calibrate_batch_norm, zoo_model  # noqa: E402


def row(name: str, folder: Path, digits: np.ndarray) -> str:
    model, shape, rng = zoo_model(name)
    calibrate_batch_norm(model, np.concatenate([rng.random((8,) + shape, dtype=np.float32),
                                                _as_input(digits[:8], shape)]))
    path = folder / f"{name}.onnx"
    proto = export(model, rng.standard_normal((1,) + shape).astype(np.float32), path)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    cells = []
    for batch in (rng.random((37,) + shape, dtype=np.float32), _as_input(digits, shape)):
        for n in (1, 37):
            cells.append(f"{np.abs(_run(path, batch[:n]) - _glassbox(model, batch[:n])).max():.2g}")
    normal = rng.standard_normal((37,) + shape).astype(np.float32)
    want = _glassbox(model, normal)
    cells.append(f"{np.abs(_run(path, normal) - want).max():.2g} / {np.abs(want).max():.3g}")
    return (f"| {name} | {'×'.join(map(str, shape))} | {len(proto.graph.node)} | "
            f"{os.path.getsize(path) / 1e6:.2f} MB | " + " | ".join(cells) + " |")


def main() -> None:
    digits = _digits(37)
    if digits is None:
        sys.exit("set GLASSBOX_DATA to the folder holding mnist-5k/")
    print("| model | input | ONNX nodes | file | random [0,1), b=1 | b=37 | digits, b=1 | b=37 "
          "| N(0, 1), b=37: max abs diff / max abs output |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name in ZOO:
            print(row(name, Path(tmp), digits), flush=True)


if __name__ == "__main__":
    main()

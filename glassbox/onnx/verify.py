"""``max_abs_difference(model, path, x)``: run an exported file in onnxruntime and compare."""
from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..core.grad_mode import no_grad
from ..core.tensor import Tensor
from ..nn.module import Module


def run_onnx(path: str | os.PathLike, *inputs: Any) -> list[np.ndarray]:
    """The outputs of the ONNX file at ``path`` on ``inputs`` (CPU onnxruntime)."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise ImportError("running ONNX files needs onnxruntime: pip install 'glassbox[onnx]'") from None
    sess = ort.InferenceSession(os.fspath(path), providers=["CPUExecutionProvider"])
    feeds = {i.name: np.asarray(x) for i, x in zip(sess.get_inputs(), inputs)}
    return sess.run(None, feeds)


def max_abs_difference(model: Module, path: str | os.PathLike, *inputs: Any) -> float:
    """max |onnxruntime − glassbox| over every output of ``model`` (eval mode) on ``inputs``."""
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            out = model(*[Tensor(np.asarray(x)) for x in inputs])
    finally:
        model.train(was_training)
    ours = [out] if isinstance(out, Tensor) else list(out)
    theirs = run_onnx(path, *inputs)
    return max(float(np.abs(a.numpy() - b).max()) for a, b in zip(ours, theirs))


__all__ = ["run_onnx", "max_abs_difference"]

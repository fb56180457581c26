"""Shared test harness: float64 tensors, kink-avoiding samplers, and a declarative op check
(a glassbox function against a NumPy reference, plus gradcheck), in the spirit of tinygrad's
``helper_test_op`` and Chainer's ``FunctionTestCase``.

    check_op(F.gelu, ref_gelu, shapes=[(4, 5)])
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

import glassbox as gb


def t64(a: Any, grad: bool = True, *, requires_grad: bool | None = None) -> gb.Tensor:
    """A float64 Tensor, the dtype gradient checks need; it requires grad unless ``grad`` (or
    PyTorch's spelling ``requires_grad``) is False."""
    wants_grad = grad if requires_grad is None else requires_grad
    return gb.Tensor(np.asarray(a, dtype=np.float64), requires_grad=wants_grad, dtype=np.float64)


def away_from_kinks(shape: Sequence[int], seed: int = 0, kinks: Sequence[float] = (0.0,),
                    margin: float = 0.1, scale: float = 1.0) -> np.ndarray:
    """Standard-normal samples (× scale) moved at least ``margin`` away from every kink
    (where a function such as ReLU is not differentiable), so central differences are exact."""
    x = np.random.default_rng(seed).standard_normal(tuple(shape)) * scale
    for k in np.atleast_1d(kinks):
        near = np.abs(x - k) < margin
        x[near] = k + np.where(x[near] >= k, margin, -margin) * 2
    return x


def check_op(fn: Callable[..., gb.Tensor], reference: Callable[..., np.ndarray],
             shapes: Sequence[Sequence[int]], seed: int = 0, kinks: Sequence[float] = (),
             rtol: float = 1e-7, atol: float = 1e-9, grad: bool = True) -> None:
    """``fn`` on float64 inputs of ``shapes`` equals ``reference`` on the same arrays, and
    (``grad``) its backward passes ``gb.gradcheck``."""
    arrays = [away_from_kinks(s, seed + i, kinks) if kinks else
              np.random.default_rng(seed + i).standard_normal(tuple(s)) for i, s in enumerate(shapes)]
    inputs = [t64(a) for a in arrays]
    np.testing.assert_allclose(fn(*inputs).numpy(), reference(*arrays), rtol=rtol, atol=atol)
    if grad:
        assert gb.gradcheck(fn, *inputs)

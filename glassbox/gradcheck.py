"""Gradient checking: compare backprop's gradients with central differences.

For every element xᵢ of every input that requires grad,

    ∂L/∂xᵢ ≈ (L(x + ε·eᵢ) − L(x − ε·eᵢ)) / (2ε),

an estimate whose error shrinks like ε². A non-scalar output is reduced to the
scalar L = Σ out ⊙ v with a fixed random v, which checks the whole Jacobian-vector
product. Run it in float64: in float32 the rounding error of L swamps the estimate.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np

from .core.grad_mode import no_grad
from .core.tensor import Tensor


class GradcheckError(AssertionError):
    """Raised when an analytic gradient differs from the numerical one."""


def _scalar_loss(out: Tensor, projection: np.ndarray) -> Tensor:
    return out.sum() if out.data.size == 1 else (out * Tensor(projection, dtype=out.dtype)).sum()


def numerical_grad(fn: Callable[..., Tensor], inputs: list[Tensor], index: int,
                   projection: np.ndarray, eps: float) -> np.ndarray:
    """Central-difference estimate of ∂L/∂inputs[index]."""
    x = inputs[index].data
    grad = np.zeros(x.shape, dtype=x.dtype)
    with no_grad():
        # index x itself, not x.reshape(-1): that is a copy when x is not contiguous
        for i in np.ndindex(x.shape):
            saved = x[i]
            x[i] = saved + eps
            plus = float(_scalar_loss(fn(*inputs), projection).item())
            x[i] = saved - eps
            minus = float(_scalar_loss(fn(*inputs), projection).item())
            x[i] = saved
            grad[i] = (plus - minus) / (2 * eps)
    return grad


def gradcheck(fn: Callable[..., Tensor], *inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, seed: int = 0) -> bool:
    """Check ``fn``'s gradients with respect to every input that requires grad.

    Args:
        fn: maps the input tensors to an output tensor (any shape).
        inputs: tensors (float64 recommended) or arrays (made float64 tensors that
            require grad).
        eps: the finite-difference step ε.
        atol, rtol: an element passes when |analytic − numeric| ≤ atol + rtol·|numeric|.
        raise_exception: raise ``GradcheckError`` naming the worst element (default),
            or return False.

    Returns:
        True when every gradient matches.
    """
    tensors = [x if isinstance(x, Tensor) else Tensor(x, requires_grad=True, dtype=np.float64)
               for x in inputs]
    if any(t.requires_grad and t.dtype != np.float64 for t in tensors):
        warnings.warn("gradcheck: inputs are not float64; central differences will be imprecise",
                      stacklevel=2)
    for t in tensors:
        t.grad = None
    out = fn(*tensors)
    projection = np.random.default_rng(seed).standard_normal(out.shape)
    _scalar_loss(out, projection).backward()

    for k, t in enumerate(tensors):
        if not t.requires_grad:
            continue
        analytic = np.zeros_like(t.data) if t.grad is None else t.grad.numpy()
        numeric = numerical_grad(fn, tensors, k, projection, eps)
        error = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
        if error.size and error.max() > 0:
            worst = np.unravel_index(int(error.argmax()), error.shape)
            message = (
                f"gradcheck failed for input {k} of shape {t.shape} at index {tuple(map(int, worst))}: "
                f"analytic {analytic[worst]:.8g}, numerical {numeric[worst]:.8g} "
                f"(|diff| {abs(analytic[worst] - numeric[worst]):.3g} > "
                f"atol {atol} + rtol {rtol}·|numerical|); "
                f"{int((error > 0).sum())} of {error.size} elements differ"
            )
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True

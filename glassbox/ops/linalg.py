"""Matrix products: batched ``matmul`` and the fused dense-layer op ``linear``."""
from __future__ import annotations

from typing import Any

from .. import backend
from ..core.function import Function


class MatMul(Function):
    """Z = A·B (batched over leading axes, broadcasting like ``numpy.matmul``).

    ∂L/∂A = ∂L/∂Z · Bᵀ,   ∂L/∂B = Aᵀ · ∂L/∂Z.
    A 1-D A is a row vector and a 1-D B a column vector, as in NumPy; the engine
    sums gradients over broadcast batch axes.
    """

    def forward(self, a: Any, b: Any) -> Any:
        self.a_vec, self.b_vec = a.ndim == 1, b.ndim == 1
        self.a = a[None, :] if self.a_vec else a
        self.b = b[:, None] if self.b_vec else b
        out = backend.xp.matmul(self.a, self.b)
        if self.a_vec:
            out = out[..., 0, :]
        if self.b_vec:
            out = out[..., 0]
        return out

    def backward(self, grad: Any) -> tuple[Any, Any]:
        xp = backend.xp
        if self.b_vec:  # before a_vec: a vector·vector product has a 0-d grad
            grad = xp.expand_dims(grad, -1)
        if self.a_vec:
            grad = xp.expand_dims(grad, -2)
        da = xp.matmul(grad, xp.swapaxes(self.b, -1, -2)) if self.needs_input_grad[0] else None
        db = None
        if self.needs_input_grad[1]:
            db = xp.matmul(xp.swapaxes(self.a, -1, -2), grad)
            if self.b_vec:
                db = db[..., 0]
        return da, db


class Linear(Function):
    """The dense layer, fused: Z = X·Wᵀ + b, with W of shape (out, in) as in PyTorch.

    In the course's column notation this is Z = W·A_prev + b. For a batch of m rows
    (the loss already carries the 1/m of a mean):

        ∂L/∂X = ∂L/∂Z · W,   ∂L/∂W = (∂L/∂Z)ᵀ · X,   ∂L/∂b = Σ_rows ∂L/∂Z.

    Inputs with more than two axes are treated as a batch of rows over the last axis.
    """

    def forward(self, x: Any, weight: Any, bias: Any = None) -> Any:
        self.x, self.weight = x, weight
        out = x @ weight.T
        if bias is not None:
            out += bias
        return out

    def backward(self, grad: Any) -> tuple[Any, ...]:
        needs = self.needs_input_grad
        x, weight = self.x, self.weight
        dx = grad @ weight if needs[0] else None
        g2 = grad.reshape(-1, grad.shape[-1])
        dw = g2.T @ x.reshape(-1, x.shape[-1]) if needs[1] else None
        if len(needs) == 2:
            return dx, dw
        db = g2.sum(axis=0) if needs[2] else None
        return dx, dw, db

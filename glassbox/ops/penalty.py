"""Weight penalties as ops: the squared Frobenius norm (L2) and the absolute sum (L1) of
several tensors at once, with their gradients (used by ``nn.regularization``)."""
from __future__ import annotations

from typing import Any

from .. import backend
from ..core.function import Function


class SquaredNorm(Function):
    """z = c · Σₖ ‖Wₖ‖²_F over several tensors;  ∂z/∂Wₖ = 2c · Wₖ (with c = λ/(2m): (λ/m)·Wₖ)."""

    def forward(self, *ws: Any, scale: float = 1.0) -> Any:
        self.ws, self.scale = ws, scale
        total = sum(float(backend.xp.vdot(w.ravel(), w.ravel())) for w in ws)
        return backend.xp.asarray(scale * total, dtype=ws[0].dtype)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        factor = 2.0 * self.scale * float(grad)
        return tuple(w * w.dtype.type(factor) if need else None
                     for w, need in zip(self.ws, self.needs_input_grad))


class AbsSum(Function):
    """z = c · Σₖ Σᵢ |Wₖᵢ|;  ∂z/∂Wₖ = c · sign(Wₖ) (0 at 0, the subgradient that keeps zeros at zero)."""

    def forward(self, *ws: Any, scale: float = 1.0) -> Any:
        self.ws, self.scale = ws, scale
        total = sum(float(backend.xp.abs(w).sum()) for w in ws)
        return backend.xp.asarray(scale * total, dtype=ws[0].dtype)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        factor = self.scale * float(grad)
        return tuple(backend.xp.sign(w) * w.dtype.type(factor) if need else None
                     for w, need in zip(self.ws, self.needs_input_grad))

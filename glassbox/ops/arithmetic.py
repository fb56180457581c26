"""Arithmetic: z = a + b, a − b, a·b, a / b, −a, aᵖ.

Inputs may have different shapes that broadcast; each backward returns the
gradient in the broadcast shape and the engine sums it back to each input's shape.
"""
from __future__ import annotations

from typing import Any

from .. import backend
from ..core.function import Function


class Add(Function):
    """z = a + b;  ∂z/∂a = 1, ∂z/∂b = 1."""

    def forward(self, a: Any, b: Any) -> Any:
        return a + b

    def backward(self, grad: Any) -> tuple[Any, Any]:
        return grad, grad


class Sub(Function):
    """z = a − b;  ∂z/∂a = 1, ∂z/∂b = −1."""

    def forward(self, a: Any, b: Any) -> Any:
        return a - b

    def backward(self, grad: Any) -> tuple[Any, Any]:
        return grad, (-grad if self.needs_input_grad[1] else None)


class Mul(Function):
    """z = a·b;  ∂z/∂a = b, ∂z/∂b = a."""

    def forward(self, a: Any, b: Any) -> Any:
        need_a, need_b = self.needs_input_grad
        self.a = a if need_b else None  # keep only what backward will read: an input
        self.b = b if need_a else None  # changed in place later is then no error
        return a * b

    def backward(self, grad: Any) -> tuple[Any, Any]:
        da = grad * self.b if self.needs_input_grad[0] else None
        db = grad * self.a if self.needs_input_grad[1] else None
        return da, db


class Div(Function):
    """z = a / b;  ∂z/∂a = 1/b, ∂z/∂b = −a/b²."""

    def forward(self, a: Any, b: Any) -> Any:
        self.a = a if self.needs_input_grad[1] else None
        self.b = b
        return a / b

    def backward(self, grad: Any) -> tuple[Any, Any]:
        da = grad / self.b if self.needs_input_grad[0] else None
        db = -grad * self.a / (self.b * self.b) if self.needs_input_grad[1] else None
        return da, db


class Neg(Function):
    """z = −a;  ∂z/∂a = −1."""

    def forward(self, a: Any) -> Any:
        return -a

    def backward(self, grad: Any) -> Any:
        return -grad


class PowScalar(Function):
    """z = aᵖ for a constant number p;  ∂z/∂a = p·aᵖ⁻¹."""

    def forward(self, a: Any, exponent: float) -> Any:
        self.a, self.p = a, exponent
        return a**exponent

    def backward(self, grad: Any) -> Any:
        return grad * (self.p * self.a ** (self.p - 1))


class Pow(Function):
    """z = aᵇ with both tensors;  ∂z/∂a = b·aᵇ⁻¹, ∂z/∂b = aᵇ·ln a (defined for a > 0)."""

    def forward(self, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        self.z = a**b
        return self.z

    def backward(self, grad: Any) -> tuple[Any, Any]:
        xp = backend.xp
        da = grad * self.b * self.a ** (self.b - 1) if self.needs_input_grad[0] else None
        db = None
        if self.needs_input_grad[1]:
            with backend.errstate(divide="ignore", invalid="ignore"):
                db = grad * self.z * xp.log(self.a)
        return da, db

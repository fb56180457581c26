"""Elementwise math: exp, log, sqrt, abs, sign, clip, where, maximum, minimum, cast, clone."""
from __future__ import annotations

from typing import Any

from .. import backend
from ..core.function import Function
from ..core.tensor import Tensor


class Exp(Function):
    """z = eˣ;  ∂z/∂x = eˣ = z."""

    def forward(self, x: Any) -> Any:
        self.z = backend.xp.exp(x)
        return self.z

    def backward(self, grad: Any) -> Any:
        return grad * self.z


class Log(Function):
    """z = ln x;  ∂z/∂x = 1/x."""

    def forward(self, x: Any) -> Any:
        self.x = x
        return backend.xp.log(x)

    def backward(self, grad: Any) -> Any:
        return grad / self.x


class Sqrt(Function):
    """z = √x;  ∂z/∂x = 1/(2√x) = 1/(2z)."""

    def forward(self, x: Any) -> Any:
        self.z = backend.xp.sqrt(x)
        return self.z

    def backward(self, grad: Any) -> Any:
        return grad / (2 * self.z)


class Abs(Function):
    """z = |x|;  ∂z/∂x = sign(x) (0 at x = 0)."""

    def forward(self, x: Any) -> Any:
        self.x = x
        return backend.xp.abs(x)

    def backward(self, grad: Any) -> Any:
        return grad * backend.xp.sign(self.x)


class Sign(Function):
    """z = sign(x) ∈ {−1, 0, 1};  ∂z/∂x = 0 (a step function: flat wherever it is defined)."""

    def forward(self, x: Any) -> Any:
        return backend.xp.sign(x)

    def backward(self, grad: Any) -> Any:
        return backend.xp.zeros_like(grad)


class Clone(Function):
    """z = a copy of x in new memory;  ∂z/∂x = 1."""

    def forward(self, x: Any) -> Any:
        return x.copy()

    def backward(self, grad: Any) -> Any:
        return grad


class Clip(Function):
    """z = min(max(x, low), high);  ∂z/∂x = 1 where low ≤ x ≤ high, else 0."""

    def forward(self, x: Any, low: float | None = None, high: float | None = None) -> Any:
        self.x, self.low, self.high = x, low, high
        return backend.xp.clip(x, low, high)

    def backward(self, grad: Any) -> Any:
        inside = backend.xp.ones(self.x.shape, dtype=bool)
        if self.low is not None:
            inside &= self.x >= self.low
        if self.high is not None:
            inside &= self.x <= self.high
        return grad * inside


class Where(Function):
    """z = a where cond else b;  ∂z/∂a = cond, ∂z/∂b = not cond (cond is a constant)."""

    def forward(self, a: Any, b: Any, cond: Any) -> Any:
        self.cond = cond
        return backend.xp.where(cond, a, b)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        zero = grad.dtype.type(0)
        da = backend.xp.where(self.cond, grad, zero) if self.needs_input_grad[0] else None
        db = backend.xp.where(self.cond, zero, grad) if self.needs_input_grad[1] else None
        return da, db


class Maximum(Function):
    """z = max(a, b) elementwise;  the gradient goes to the larger input, half each on ties."""

    def forward(self, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        return backend.xp.maximum(a, b)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        share_a = (self.a > self.b) + 0.5 * (self.a == self.b)
        return grad * share_a.astype(grad.dtype), grad * (1 - share_a).astype(grad.dtype)


class Cast(Function):
    """z = x converted to another dtype;  ∂L/∂x = ∂L/∂z converted back."""

    def forward(self, x: Any, dtype: Any) -> Any:
        self.in_dtype = x.dtype
        return x.astype(dtype)

    def backward(self, grad: Any) -> Any:
        return grad.astype(self.in_dtype)


def _lift(value: Any, like: Tensor) -> Tensor:
    return like._lift(value)


def where(cond: Any, a: Any, b: Any) -> Tensor:
    """Pick ``a`` where ``cond`` is true, ``b`` elsewhere (differentiable in ``a`` and ``b``)."""
    cond = cond.data if isinstance(cond, Tensor) else backend.xp.asarray(cond)
    ref = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else Tensor(a)
    return Where.apply(_lift(a, ref), _lift(b, ref), cond=cond)


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum of two tensors (or a tensor and a number)."""
    ref = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else Tensor(a)
    return Maximum.apply(_lift(a, ref), _lift(b, ref))


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise minimum: min(a, b) = −max(−a, −b)."""
    ref = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else Tensor(a)
    return -maximum(-_lift(a, ref), -_lift(b, ref))

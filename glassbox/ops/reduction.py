"""Reductions over axes: sum, mean, var, max, min, p-norm (with ``keepdims``)."""
from __future__ import annotations

import math
from typing import Any

from .. import backend
from .. import validate as check
from ..core.function import Function
from ..errors import InvalidArgumentError


def _normalize_axes(axis: Any, ndim: int, where: str = "reduction") -> tuple[int, ...]:
    """The reduced axes, sorted and non-negative; all of them for ``None``."""
    axes = check.axes(axis, ndim, where=where)
    if axes is None or ndim == 0:
        return tuple(range(ndim))
    return tuple(sorted(axes))


def _count(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def _nonempty(x: Any, axes: tuple[int, ...], where: str) -> None:
    """max/min/inf-norm have no value over an empty axis (NumPy: 'no identity')."""
    if x.size == 0 and (not axes or any(x.shape[a] == 0 for a in axes)):
        raise InvalidArgumentError(
            f"{where}: cannot reduce an empty tensor of shape {tuple(x.shape)} over an axis of "
            "size 0 (the result has no value); check the input's shape")


def _restore_axes(grad: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    """Re-insert reduced axes (size 1) so the gradient broadcasts against the input."""
    if keepdims:
        return grad
    for a in axes:
        grad = backend.xp.expand_dims(grad, a)
    return grad


class Sum(Function):
    """z = Σᵢ xᵢ over the chosen axes;  ∂z/∂xᵢ = 1 (the gradient is copied back to every xᵢ)."""

    def forward(self, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        self.shape, self.keepdims = x.shape, keepdims
        self.axes = _normalize_axes(axis, x.ndim, "sum")
        return x.sum(axis=self.axes, keepdims=keepdims)

    def backward(self, grad: Any) -> Any:
        grad = _restore_axes(grad, self.axes, self.keepdims)
        return backend.xp.broadcast_to(grad, self.shape)


class Mean(Function):
    """z = (1/n) Σᵢ xᵢ over the chosen axes (n elements);  ∂z/∂xᵢ = 1/n."""

    def forward(self, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        self.shape, self.keepdims = x.shape, keepdims
        self.axes = _normalize_axes(axis, x.ndim, "mean")
        self.count = _count(x.shape, self.axes)
        with backend.errstate(invalid="ignore", divide="ignore"):  # empty: NaN, as PyTorch
            return x.sum(axis=self.axes, keepdims=keepdims) / x.dtype.type(self.count) \
                if x.dtype.kind == "f" else x.mean(axis=self.axes, keepdims=keepdims)

    def backward(self, grad: Any) -> Any:
        grad = _restore_axes(grad, self.axes, self.keepdims)
        return backend.xp.broadcast_to(grad / grad.dtype.type(self.count), self.shape)


class Var(Function):
    """σ² = Σᵢ (xᵢ − x̄)² / (n − c) over the chosen axes, c = ``correction`` (1: Bessel's
    unbiased estimate, PyTorch's default; 0: the population variance);
    ∂σ²/∂xᵢ = 2 (xᵢ − x̄) / (n − c) (the x̄ terms cancel, since Σᵢ (xᵢ − x̄) = 0)."""

    def forward(self, x: Any, axis: Any = None, keepdims: bool = False,
                correction: float = 1) -> Any:
        xp = backend.xp
        self.keepdims = keepdims
        self.axes = _normalize_axes(axis, x.ndim, "var")
        self.denom = x.dtype.type(max(_count(x.shape, self.axes) - correction, 0))
        with backend.errstate(invalid="ignore", divide="ignore"):  # n ≤ c: inf/NaN, as PyTorch
            self.d = x - x.mean(axis=self.axes, keepdims=True) if x.size else x
            return (self.d * self.d).sum(axis=self.axes, keepdims=keepdims) / self.denom

    def backward(self, grad: Any) -> Any:
        grad = _restore_axes(grad, self.axes, self.keepdims)
        with backend.errstate(invalid="ignore", divide="ignore"):
            return grad * (2 * self.d / self.denom)


class Norm(Function):
    """‖x‖ₚ = (Σᵢ |xᵢ|ᵖ)^(1/p) over the chosen axes; p = ∞ is max |xᵢ|, p = −∞ min |xᵢ|,
    p = 0 the number of nonzeros, ``"fro"`` means p = 2.

    ∂‖x‖ₚ/∂xᵢ = sign(xᵢ)·|xᵢ|ᵖ⁻¹ / ‖x‖ₚᵖ⁻¹ (p = 2: xᵢ/‖x‖, p = 1: sign(xᵢ)), taken as 0 where
    ‖x‖ₚ = 0; for p = ±∞ the gradient sign(xᵢ) goes to the extreme elements, shared by ties.
    """

    def forward(self, x: Any, p: Any = "fro", axis: Any = None, keepdims: bool = False) -> Any:
        xp = backend.xp
        p = 2.0 if p == "fro" else check.number(p=p, finite=False, where="norm")
        self.p, self.x, self.keepdims = p, x, keepdims
        self.axes = _normalize_axes(axis, x.ndim, "norm")
        a = xp.abs(x)
        if math.isinf(p):
            _nonempty(x, self.axes, "norm")
            out = a.max(axis=self.axes, keepdims=True) if p > 0 else a.min(axis=self.axes, keepdims=True)
        elif p == 0:
            out = (a != 0).sum(axis=self.axes, keepdims=True).astype(x.dtype)
        elif p == 1:
            out = a.sum(axis=self.axes, keepdims=True)
        elif p == 2:
            out = xp.sqrt((x * x).sum(axis=self.axes, keepdims=True))
        else:
            out = ((a ** p).sum(axis=self.axes, keepdims=True)) ** (1.0 / p)
        self.out = out
        return out if keepdims else out.reshape([n for i, n in enumerate(x.shape) if i not in self.axes])

    def backward(self, grad: Any) -> Any:
        xp = backend.xp
        grad = _restore_axes(grad, self.axes, self.keepdims)
        x, out, p = self.x, self.out, self.p
        if p == 0:
            return xp.zeros_like(x)
        sign = xp.sign(x)
        if math.isinf(p):
            mask = xp.abs(x) == out
            return grad * sign * mask / mask.sum(axis=self.axes, keepdims=True).astype(x.dtype)
        if p == 1:
            return grad * sign
        safe = xp.where(out == 0, 1, out)
        if p == 2:
            return xp.where(out == 0, 0, grad * x / safe)
        with backend.errstate(divide="ignore", invalid="ignore"):
            local = sign * xp.abs(x) ** (p - 1) / safe ** (p - 1)
        return xp.where(out == 0, 0, grad * local)


class _Extremum(Function):
    """Shared backward of max and min: the gradient flows only to the extreme elements,
    split equally between ties:  ∂z/∂xᵢ = [xᵢ = z] / (number of xⱼ equal to z)."""

    reduce: str = "max"

    def forward(self, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        self.x, self.keepdims = x, keepdims
        self.axes = _normalize_axes(axis, x.ndim, self.reduce)
        _nonempty(x, self.axes, self.reduce)
        self.out = getattr(x, self.reduce)(axis=self.axes, keepdims=True)
        return self.out if keepdims else self.out.reshape(
            [n for i, n in enumerate(x.shape) if i not in self.axes]
        )

    def backward(self, grad: Any) -> Any:
        grad = _restore_axes(grad, self.axes, self.keepdims)
        mask = self.x == self.out
        count = mask.sum(axis=self.axes, keepdims=True).astype(grad.dtype)
        return mask * (grad / count)


class Max(_Extremum):
    reduce = "max"


class Min(_Extremum):
    reduce = "min"

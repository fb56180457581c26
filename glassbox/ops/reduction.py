"""Reductions over axes: sum, mean, max, min (with ``keepdims``)."""
from __future__ import annotations

from typing import Any

from .. import backend
from ..core.function import Function


def _normalize_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of bounds for a tensor with {ndim} dimensions")
    return tuple(sorted(a % ndim for a in axes))


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
        self.axes = _normalize_axes(axis, x.ndim)
        return x.sum(axis=self.axes, keepdims=keepdims)

    def backward(self, grad: Any) -> Any:
        grad = _restore_axes(grad, self.axes, self.keepdims)
        return backend.xp.broadcast_to(grad, self.shape)


class Mean(Function):
    """z = (1/n) Σᵢ xᵢ over the chosen axes (n elements);  ∂z/∂xᵢ = 1/n."""

    def forward(self, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        self.shape, self.keepdims = x.shape, keepdims
        self.axes = _normalize_axes(axis, x.ndim)
        self.count = 1
        for a in self.axes:
            self.count *= x.shape[a]
        return x.mean(axis=self.axes, keepdims=keepdims)

    def backward(self, grad: Any) -> Any:
        grad = _restore_axes(grad, self.axes, self.keepdims)
        return backend.xp.broadcast_to(grad / grad.dtype.type(self.count), self.shape)


class _Extremum(Function):
    """Shared backward of max and min: the gradient flows only to the extreme elements,
    split equally between ties:  ∂z/∂xᵢ = [xᵢ = z] / (number of xⱼ equal to z)."""

    reduce: str = "max"

    def forward(self, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        self.x, self.keepdims = x, keepdims
        self.axes = _normalize_axes(axis, x.ndim)
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

"""Ops that move values without changing them: reshape, transpose, indexing, concatenate,
stack, pad. Their backward moves the gradient back the same way."""
from __future__ import annotations

import itertools
from typing import Any, Sequence

from .. import backend
from ..core.function import Function
from ..core.tensor import Tensor


class Reshape(Function):
    """z = x viewed with a new shape;  ∂L/∂x = ∂L/∂z reshaped back."""

    def forward(self, x: Any, shape: tuple[int, ...]) -> Any:
        self.in_shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot view a tensor of shape {x.shape} ({x.size} elements) "
                f"as shape {tuple(shape)}"
            ) from None

    def backward(self, grad: Any) -> Any:
        return grad.reshape(self.in_shape)


class Transpose(Function):
    """z = x with axes permuted;  ∂L/∂x = ∂L/∂z with the inverse permutation."""

    def forward(self, x: Any, axes: Sequence[int] | None = None) -> Any:
        self.axes = tuple(axes) if axes is not None else tuple(reversed(range(x.ndim)))
        return x.transpose(self.axes)

    def backward(self, grad: Any) -> Any:
        inverse = [0] * len(self.axes)
        for i, a in enumerate(self.axes):
            inverse[a] = i
        return grad.transpose(inverse)


def _is_basic_index(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, slice)) for p in parts)


class GetItem(Function):
    """z = x[index];  ∂L/∂x is zero except at the selected positions, where it is ∂L/∂z
    (summed where an advanced index selects the same element more than once)."""

    def forward(self, x: Any, index: Any) -> Any:
        self.shape, self.dtype, self.index = x.shape, x.dtype, index
        return x[index]

    def backward(self, grad: Any) -> Any:
        xp = backend.xp
        out = xp.zeros(self.shape, dtype=grad.dtype)
        if _is_basic_index(self.index):
            out[self.index] = grad
        else:
            xp.add.at(out, self.index, grad)
        return out


class Concatenate(Function):
    """z = [x₁, x₂, …] joined along ``axis``;  ∂L/∂xᵢ = the slice of ∂L/∂z that xᵢ filled."""

    def forward(self, *xs: Any, axis: int = 0) -> Any:
        self.axis = axis
        # split points: shape arithmetic on the host (a device cumsum would need a round trip)
        self.bounds = list(itertools.accumulate(x.shape[axis] for x in xs))[:-1]
        return backend.xp.concatenate(xs, axis=axis)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        return tuple(backend.xp.split(grad, self.bounds, axis=self.axis))


class Stack(Function):
    """z = [x₁, x₂, …] stacked on a new ``axis``;  ∂L/∂xᵢ = ∂L/∂z taken at index i of it."""

    def forward(self, *xs: Any, axis: int = 0) -> Any:
        self.axis = axis
        return backend.xp.stack(xs, axis=axis)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        xp = backend.xp
        return tuple(xp.take(grad, i, axis=self.axis) for i in range(grad.shape[self.axis]))


class Pad(Function):
    """z = x surrounded by constant values;  ∂L/∂x = the centre of ∂L/∂z."""

    def forward(self, x: Any, pad_width: Sequence[tuple[int, int]], value: float = 0.0) -> Any:
        self.slices = tuple(slice(lo, lo + n) for (lo, _), n in zip(pad_width, x.shape))
        return backend.xp.pad(x, pad_width, constant_values=value)

    def backward(self, grad: Any) -> Any:
        return grad[self.slices]


def cat(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (``torch.cat``)."""
    return Concatenate.apply(*tensors, axis=axis)


concatenate = cat


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Stack tensors along a new axis (``torch.stack``)."""
    return Stack.apply(*tensors, axis=axis)


def pad(x: Tensor, pad_width: Sequence[tuple[int, int]], value: float = 0.0) -> Tensor:
    """Pad with a constant; ``pad_width`` is one (before, after) pair per axis, as in NumPy."""
    return Pad.apply(x, pad_width=tuple(tuple(p) for p in pad_width), value=value)

"""Ops that move values without changing them: reshape, transpose, indexing, item
assignment, expand, repeat, concatenate, stack, pad. Their backward moves the gradient
back the same way."""
from __future__ import annotations

import itertools
from typing import Any, Sequence

from .. import backend
from .. import validate as check
from ..core.function import Function
from ..core.tensor import Tensor
from ..errors import AxisError, GlassboxTypeError, ShapeError


class Reshape(Function):
    """z = x viewed with a new shape;  ∂L/∂x = ∂L/∂z reshaped back."""

    is_view = True

    def forward(self, x: Any, shape: tuple[int, ...]) -> Any:
        self.in_shape = x.shape
        try:
            return x.reshape(shape)
        except (ValueError, TypeError):
            raise ShapeError(
                f"reshape: cannot view a tensor of shape {x.shape} ({x.size} elements) "
                f"as shape {tuple(shape)}"
            ) from None

    def backward(self, grad: Any) -> Any:
        return grad.reshape(self.in_shape)


class Transpose(Function):
    """z = x with axes permuted;  ∂L/∂x = ∂L/∂z with the inverse permutation."""

    is_view = True

    def forward(self, x: Any, axes: Sequence[int] | None = None) -> Any:
        if axes is None:
            self.axes = tuple(reversed(range(x.ndim)))
        else:
            self.axes = check.axes(tuple(axes), x.ndim, where="permute") if x.ndim else ()
            if len(self.axes) != x.ndim:
                raise ShapeError(f"permute: the number of dims ({len(self.axes)}) must equal the "
                                 f"tensor's ({x.ndim}); got {tuple(axes)} for shape {x.shape}")
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
        self.is_view = _is_basic_index(index)
        try:
            return x[index]
        except IndexError as exc:
            raise AxisError(f"index {index!r} is out of range for a tensor of shape {x.shape}: "
                            f"{exc}") from None
        except (TypeError, ValueError) as exc:
            raise GlassboxTypeError(f"cannot index a tensor of shape {x.shape} with {index!r}: "
                                    f"{exc}") from None

    def backward(self, grad: Any) -> Any:
        xp = backend.xp
        out = xp.zeros(self.shape, dtype=grad.dtype)
        if _is_basic_index(self.index):
            out[self.index] = grad
        else:
            xp.add.at(out, self.index, grad)
        return out


class SetItem(Function):
    """z = a with z[index] = v (item assignment ``t[index] = v``);  ∂L/∂a = ∂L/∂z with
    zeros at ``index`` (those values were overwritten), ∂L/∂v = (∂L/∂z)[index]."""

    def forward(self, a: Any, value: Any, index: Any) -> Any:
        self.index = index
        out = a.copy()
        try:
            out[index] = value
        except IndexError as exc:
            raise AxisError(f"item assignment: index {index!r} is out of range for a tensor "
                            f"of shape {a.shape}: {exc}") from None
        except ValueError as exc:
            raise ShapeError(f"item assignment: a value of shape {getattr(value, 'shape', ())} "
                             f"cannot be written at {index!r} of a tensor of shape {a.shape}: "
                             f"{exc}") from None
        return out

    def backward(self, grad: Any) -> tuple[Any, Any]:
        da = None
        if self.needs_input_grad[0]:
            da = grad.copy()
            da[self.index] = 0
        dv = grad[self.index] if self.needs_input_grad[1] else None
        return da, dv


class Expand(Function):
    """z = x broadcast to a larger shape (a read-only view, no copy);  ∂L/∂x = ∂L/∂z summed
    over the broadcast axes (the engine's ``unbroadcast`` does it)."""

    is_view = True

    def forward(self, x: Any, shape: tuple[int, ...]) -> Any:
        try:
            return backend.xp.broadcast_to(x, shape)
        except ValueError:
            raise ShapeError(f"expand: a tensor of shape {x.shape} cannot be expanded to "
                             f"{tuple(shape)} (only size-1 dims can grow)") from None

    def backward(self, grad: Any) -> Any:
        return grad


class Repeat(Function):
    """z = x tiled rᵢ times along axis i (``torch.Tensor.repeat``, NumPy's ``tile``);
    ∂L/∂x = Σ over the copies: ∂L/∂z reshaped to (r₀, n₀, r₁, n₁, …) and summed over the rᵢ."""

    def forward(self, x: Any, repeats: tuple[int, ...]) -> Any:
        reps = tuple(check.non_negative_int(repeats=r, where="repeat") for r in repeats)
        if len(reps) < x.ndim:
            raise ShapeError(f"repeat: the number of repeats ({len(reps)}) must be at least the "
                             f"tensor's number of dimensions ({x.ndim})")
        self.shape = (1,) * (len(reps) - x.ndim) + tuple(x.shape)
        self.in_shape, self.reps = x.shape, reps
        return backend.xp.tile(x.reshape(self.shape), reps)

    def backward(self, grad: Any) -> Any:
        split = [n for pair in zip(self.reps, self.shape) for n in pair]
        summed = grad.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return summed.reshape(self.in_shape)


def _same_shapes_but(xs: Sequence[Any], axis: int | None, where: str) -> None:
    """cat/stack: every input has the first one's shape (except along ``axis`` for cat)."""
    if not xs:
        raise ShapeError(f"{where}: expected a non-empty sequence of tensors")
    first = xs[0].shape
    for i, x in enumerate(xs[1:], 1):
        a = [n for j, n in enumerate(first) if j != axis]
        b = [n for j, n in enumerate(x.shape) if j != axis]
        if x.ndim != len(first) or a != b:
            rule = f"must match except in dimension {axis}" if axis is not None else "must be equal"
            raise ShapeError(f"{where}: sizes of tensors {rule}; tensor 0 has shape {first}, "
                             f"tensor {i} has shape {x.shape}")


class Concatenate(Function):
    """z = [x₁, x₂, …] joined along ``axis``;  ∂L/∂xᵢ = the slice of ∂L/∂z that xᵢ filled."""

    def forward(self, *xs: Any, axis: int = 0) -> Any:
        if xs and xs[0].ndim == 0:
            raise ShapeError("cat: zero-dimensional tensor (at position 0) cannot be concatenated")
        axis = self.axis = check.axis(axis, xs[0].ndim if xs else 1, where="cat")
        _same_shapes_but(xs, axis, "cat")
        # split points: shape arithmetic on the host (a device cumsum would need a round trip)
        self.bounds = list(itertools.accumulate(x.shape[axis] for x in xs))[:-1]
        return backend.xp.concatenate(xs, axis=axis)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        return tuple(backend.xp.split(grad, self.bounds, axis=self.axis))


class Stack(Function):
    """z = [x₁, x₂, …] stacked on a new ``axis``;  ∂L/∂xᵢ = ∂L/∂z taken at index i of it."""

    def forward(self, *xs: Any, axis: int = 0) -> Any:
        axis = self.axis = check.axis(axis, (xs[0].ndim if xs else 0) + 1, where="stack")
        _same_shapes_but(xs, None, "stack")
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


def _tensors(tensors: Sequence[Any], where: str) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise GlassboxTypeError(f"{where}: expected a list or tuple of tensors, got "
                                f"{type(tensors).__name__}")
    ref = next((t for t in tensors if isinstance(t, Tensor)), None)
    return [t if isinstance(t, Tensor) else (ref._lift(t) if ref is not None else Tensor(t))
            for t in tensors]


def cat(tensors: Sequence[Tensor], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join tensors along an existing dim (``torch.cat``; ``axis=`` as NumPy)."""
    return Concatenate.apply(*_tensors(tensors, "cat"), axis=dim if axis is None else axis)


concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Stack tensors along a new dim (``torch.stack``; ``axis=`` as NumPy)."""
    return Stack.apply(*_tensors(tensors, "stack"), axis=dim if axis is None else axis)


def pad(x: Tensor, pad_width: Sequence[tuple[int, int]], value: float = 0.0) -> Tensor:
    """Pad with a constant; ``pad_width`` is one (before, after) pair per axis, as in NumPy."""
    return Pad.apply(x, pad_width=tuple(tuple(p) for p in pad_width), value=value)

"""Functions that make new tensors: zeros, ones, full, randn, rand, arange, ..._like."""
from __future__ import annotations

from typing import Any


from .. import backend
from ..random import default_generator
from .tensor import DEFAULT_FLOAT, Tensor


def _shape(shape: tuple[Any, ...]) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def zeros(*shape: Any, dtype: Any = DEFAULT_FLOAT, requires_grad: bool = False) -> Tensor:
    return Tensor(backend.xp.zeros(_shape(shape), dtype=dtype), requires_grad, dtype)


def ones(*shape: Any, dtype: Any = DEFAULT_FLOAT, requires_grad: bool = False) -> Tensor:
    return Tensor(backend.xp.ones(_shape(shape), dtype=dtype), requires_grad, dtype)


def full(shape: tuple[int, ...], value: float, dtype: Any = DEFAULT_FLOAT,
         requires_grad: bool = False) -> Tensor:
    return Tensor(backend.xp.full(shape, value, dtype=dtype), requires_grad, dtype)


def zeros_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    return zeros(t.shape, dtype=t.dtype, requires_grad=requires_grad)


def ones_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    return ones(t.shape, dtype=t.dtype, requires_grad=requires_grad)


def randn(*shape: Any, dtype: Any = DEFAULT_FLOAT, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from the global generator (``glassbox.manual_seed``)."""
    data = default_generator().standard_normal(_shape(shape)).astype(dtype)
    return Tensor(backend.xp.asarray(data), requires_grad, dtype)


def rand(*shape: Any, dtype: Any = DEFAULT_FLOAT, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) from the global generator."""
    data = default_generator().random(_shape(shape)).astype(dtype)
    return Tensor(backend.xp.asarray(data), requires_grad, dtype)


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None) -> Tensor:
    """Evenly spaced values in [start, stop): integers stay int64, fractions become float32."""
    return Tensor(backend.xp.arange(start, stop, step, dtype=dtype), dtype=dtype)

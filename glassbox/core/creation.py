"""Functions that make new tensors: zeros, ones, full, randn, rand, arange, ..._like.

Each takes ``device=`` (``"cpu"``, ``"cuda"``, a ``glassbox.device``; default: where
new arrays go, NumPy unless ``backend.use`` chose otherwise) and makes the array there;
the ``_like`` functions default to the device of the tensor they copy the shape of.
"""
from __future__ import annotations

from typing import Any


from .. import backend
from .. import device as _device
from .tensor import DEFAULT_FLOAT, Tensor


def _shape(shape: tuple[Any, ...]) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _xp(device: Any, where: str) -> Any:
    return _device.module_for(device, where=where)


def zeros(*shape: Any, dtype: Any = DEFAULT_FLOAT, requires_grad: bool = False,
          device: Any = None) -> Tensor:
    return Tensor(_xp(device, "zeros").zeros(_shape(shape), dtype=dtype), requires_grad, dtype)


def ones(*shape: Any, dtype: Any = DEFAULT_FLOAT, requires_grad: bool = False,
         device: Any = None) -> Tensor:
    return Tensor(_xp(device, "ones").ones(_shape(shape), dtype=dtype), requires_grad, dtype)


def full(shape: tuple[int, ...], value: float, dtype: Any = DEFAULT_FLOAT,
         requires_grad: bool = False, device: Any = None) -> Tensor:
    return Tensor(_xp(device, "full").full(shape, value, dtype=dtype), requires_grad, dtype)


def zeros_like(t: Tensor, requires_grad: bool = False, device: Any = None) -> Tensor:
    return zeros(t.shape, dtype=t.dtype, requires_grad=requires_grad,
                 device=t.device if device is None else device)


def ones_like(t: Tensor, requires_grad: bool = False, device: Any = None) -> Tensor:
    return ones(t.shape, dtype=t.dtype, requires_grad=requires_grad,
                device=t.device if device is None else device)


def randn(*shape: Any, dtype: Any = DEFAULT_FLOAT, requires_grad: bool = False,
          device: Any = None) -> Tensor:
    """Standard normal samples from the global generator (``glassbox.manual_seed``),
    drawn on ``device``."""
    rng = backend.generator(_xp(device, "randn"))
    return Tensor(rng.standard_normal(_shape(shape)).astype(dtype), requires_grad, dtype)


def rand(*shape: Any, dtype: Any = DEFAULT_FLOAT, requires_grad: bool = False,
         device: Any = None) -> Tensor:
    """Uniform samples in [0, 1) from the global generator, drawn on ``device``."""
    rng = backend.generator(_xp(device, "rand"))
    return Tensor(rng.random(_shape(shape)).astype(dtype), requires_grad, dtype)


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None,
           device: Any = None) -> Tensor:
    """Evenly spaced values in [start, stop): integers stay int64, fractions become float32."""
    return Tensor(_xp(device, "arange").arange(start, stop, step, dtype=dtype), dtype=dtype)

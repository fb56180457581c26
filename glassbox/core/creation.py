"""Functions that make new tensors, with PyTorch's names and keywords: zeros, ones, full,
empty, eye, arange, linspace, rand, randn, randint and their ``*_like`` forms.

Every one takes ``dtype=``, ``requires_grad=`` and ``device=``; floating tensors are
float32 unless ``dtype`` says otherwise. Random ones draw from the global generator
(``glassbox.manual_seed``).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from .. import device as _device
from .. import validate as check
from ..errors import InvalidArgumentError
from .tensor import DEFAULT_FLOAT, Tensor, _shape_args, place


def _size(where: str, shape: tuple[Any, ...]) -> tuple[int, ...]:
    """``f(2, 3)`` or ``f((2, 3))``, each size a non-negative integer."""
    return tuple(check.non_negative_int(size=n, where=where) for n in _shape_args(shape))


def _xp(device: Any, where: str) -> Any:
    """The module that makes the array right on ``device`` (no host→device copy)."""
    return _device.module_for(device, where=where)


def _make(where: str, data: Any, dtype: Any, requires_grad: bool, device: Any) -> Tensor:
    array = backend.xp.asarray(data) if backend.is_host(data) else data
    t = place(Tensor._from_op(array, None), device, where)
    return t.requires_grad_(True) if requires_grad else t


def _float(dtype: Any) -> Any:
    return DEFAULT_FLOAT if dtype is None else np.dtype(dtype)


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    shape = _size("zeros", size)
    return _make("zeros", _xp(device, "zeros").zeros(shape, dtype=_float(dtype)), dtype, requires_grad, device)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """A tensor of ones."""
    shape = _size("ones", size)
    return _make("ones", _xp(device, "ones").ones(shape, dtype=_float(dtype)), dtype, requires_grad, device)


def empty(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """A tensor of the given size (zero-filled here: uninitialised memory helps no one)."""
    return zeros(*size, dtype=dtype, requires_grad=requires_grad, device=device)


def full(size: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False,
         device: Any = None) -> Tensor:
    """A tensor filled with ``fill_value``; without ``dtype`` it is float32 for a float or
    bool/int64 for a bool/int value, as in PyTorch."""
    shape = _size("full", (size,) if isinstance(size, (int, np.integer)) else tuple(size))
    if dtype is None:
        dtype = np.bool_ if isinstance(fill_value, (bool, np.bool_)) else \
            np.int64 if isinstance(fill_value, (int, np.integer)) else DEFAULT_FLOAT
    data = _xp(device, "full").full(shape, fill_value, dtype=dtype)
    return _make("full", data, dtype, requires_grad, device)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False,
        device: Any = None) -> Tensor:
    """The n×m identity matrix (ones on the diagonal)."""
    n = check.non_negative_int(n=n, where="eye")
    m = n if m is None else check.non_negative_int(m=m, where="eye")
    return _make("eye", _xp(device, "eye").eye(n, m, dtype=_float(dtype)), dtype, requires_grad, device)


def arange(start: float, end: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False, device: Any = None) -> Tensor:
    """Values start, start + step, … below ``end`` (``arange(n)`` is 0 … n−1): int64 when
    every argument is an integer, else float32."""
    for name, v in (("start", start), ("end", end), ("step", step)):
        if v is not None:
            check.number(**{name: v}, where="arange")
    if step == 0:
        raise InvalidArgumentError("arange: Received an invalid value for `step`, expected a "
                                   "nonzero number. Received: step=0")
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step) if v is not None)
        dtype = np.int64 if ints else DEFAULT_FLOAT
    if end is None:
        start, end = 0, start
    data = _xp(device, "arange").arange(start, end, step, dtype=dtype)
    return _make("arange", data, dtype, requires_grad, device)


def linspace(start: float, end: float, steps: int, dtype: Any = None, requires_grad: bool = False,
             device: Any = None) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included."""
    check.number(start=start, where="linspace")
    check.number(end=end, where="linspace")
    steps = check.non_negative_int(steps=steps, where="linspace")
    data = _xp(device, "linspace").linspace(start, end, steps, dtype=_float(dtype))
    return _make("linspace", data, dtype, requires_grad, device)


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """Standard normal samples from the global generator (``glassbox.manual_seed``)."""
    shape = _size("randn", size)
    data = backend.generator(_xp(device, "randn")).standard_normal(shape).astype(_float(dtype))
    return _make("randn", data, dtype, requires_grad, device)


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """Uniform samples in [0, 1) from the global generator."""
    shape = _size("rand", size)
    data = backend.generator(_xp(device, "rand")).random(shape).astype(_float(dtype))
    return _make("rand", data, dtype, requires_grad, device)


def randint(low: int, high: int | None = None, size: Any = (), dtype: Any = None,
            requires_grad: bool = False, device: Any = None) -> Tensor:
    """Integers uniform in [low, high) (``randint(high, size)`` means low = 0), int64."""
    if high is None or (isinstance(high, (tuple, list)) and size == ()):
        low, high, size = 0, low, size if high is None else high
    for name, v in (("low", low), ("high", high)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            raise check.invalid(name, "an integer", v, "randint")
    if high <= low:
        raise check.invalid("high", f"an integer > low={low}", high, "randint")
    shape = _size("randint", (size,) if isinstance(size, (int, np.integer)) else tuple(size))
    data = backend.generator(_xp(device, "randint")).integers(low, high, shape).astype(np.int64 if dtype is None else dtype)
    return _make("randint", data, dtype, requires_grad, device)


def _on(t: Any, device: Any) -> Any:
    """``*_like``'s device: the tensor's own unless ``device`` says otherwise (PyTorch)."""
    return getattr(t, "device", None) if device is None else device


def _like(t: Any, dtype: Any) -> tuple[tuple[int, ...], Any]:
    return tuple(t.shape), t.dtype if dtype is None else dtype


def _like_function(make: Any, name: str) -> Any:
    """``name(t)`` = ``make(t.shape, dtype=t.dtype)`` (``torch.zeros_like`` and co.)."""
    def like(t: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
        shape, dtype = _like(t, dtype)
        return make(shape, dtype=dtype, requires_grad=requires_grad, device=_on(t, device))

    like.__name__ = like.__qualname__ = name
    like.__doc__ = f"``{make.__name__}`` with the shape and (unless given) the dtype of ``t``."
    return like


zeros_like = _like_function(zeros, "zeros_like")
ones_like = _like_function(ones, "ones_like")
empty_like = _like_function(empty, "empty_like")
rand_like = _like_function(rand, "rand_like")
randn_like = _like_function(randn, "randn_like")


def full_like(t: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False,
              device: Any = None) -> Tensor:
    shape, dtype = _like(t, dtype)
    return full(shape, fill_value, dtype=dtype, requires_grad=requires_grad, device=_on(t, device))


def randint_like(t: Any, low: int, high: int | None = None, dtype: Any = None,
                 requires_grad: bool = False, device: Any = None) -> Tensor:
    return randint(low, high, tuple(t.shape), dtype=t.dtype if dtype is None else dtype,
                   requires_grad=requires_grad, device=_on(t, device))

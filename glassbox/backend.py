"""The array modules behind the devices, and the one handle all op math goes through.

glassbox has two devices, like PyTorch: ``"cpu"`` (NumPy) and ``"cuda"`` (CuPy; for
tests without a GPU, the strict stand-in :mod:`glassbox.testing.strict_xp`). An array's
type says where it lives: a ``numpy.ndarray`` is on the CPU, anything else is on the
device module's side.

Ops call ``backend.xp.<function>`` instead of ``numpy.<function>``. ``xp`` is

* inside an op (``Function.apply``, and each node of ``backward``): the module of the
  op's inputs, so the same op code runs on NumPy arrays and on CuPy arrays;
* outside an op: the *default* module, NumPy unless ``use("cupy")`` / ``use("strict")``
  made the device module the default for every new array.

Where NumPy and CuPy differ (CuPy has no ``errstate``, its ``as_strided`` takes no
``writeable=``), ops call the small helpers here — :func:`errstate`, :func:`as_strided`
— which do the right thing for the module in use.

Transfers are explicit: :func:`to_host` (device→host, the only way back to NumPy) and
:func:`to_device`. The device modules refuse implicit conversion (``numpy.asarray`` of a
CuPy array raises), so a hidden host round trip is an error, not a slowdown.
"""
from __future__ import annotations

import contextlib
import importlib
from types import ModuleType
from typing import Any

import numpy

from .errors import GlassboxRuntimeError, InvalidArgumentError

xp: ModuleType = numpy

#: module names ``use()`` / ``set_cuda_module()`` accept for the device "cuda"
CUDA_MODULES = {"cupy": "cupy", "strict": "glassbox.testing.strict_xp"}

_cuda: ModuleType | None = None  # the module behind device "cuda", once loaded
_cuda_choice = "cupy"  # which one "cuda" means: "cupy", or "strict" in tests
_cuda_ndarray: type | None = None


def use(name: str) -> ModuleType:
    """Select the default array module, where new arrays go: ``"numpy"`` (the CPU),
    ``"cupy"`` (the GPU) or ``"strict"`` (the GPU stand-in for tests). Returns it.

    ``use("cupy")``/``use("strict")`` also makes that module the one behind device
    ``"cuda"``. Prefer ``model.to("cuda")`` and ``device=`` to a global default.
    """
    global xp
    if name == "numpy":
        xp = numpy
    elif name in CUDA_MODULES:
        xp = set_cuda_module(name)
    else:
        raise InvalidArgumentError(
            f"glassbox.backend.use: unknown array module {name!r}; expected one of "
            f"'numpy', {', '.join(repr(n) for n in CUDA_MODULES)}"
        )
    return xp


def set_cuda_module(name: str) -> ModuleType:
    """Choose what device ``"cuda"`` is: ``"cupy"`` (a real GPU) or ``"strict"`` (the
    NumPy-backed stand-in that behaves like CuPy, for tests without a GPU). Returns it."""
    global _cuda, _cuda_choice, _cuda_ndarray
    if name not in CUDA_MODULES:
        raise InvalidArgumentError(
            f"glassbox.backend.set_cuda_module: unknown device module {name!r}; expected "
            f"one of {', '.join(repr(n) for n in CUDA_MODULES)}"
        )
    try:
        module = importlib.import_module(CUDA_MODULES[name])
    except ImportError as exc:
        raise GlassboxRuntimeError(
            f"glassbox.backend: the array module {name!r} is not installed "
            f"(pip install glassbox[gpu] brings cupy-cuda12x): {exc}"
        ) from exc
    _cuda_choice, _cuda, _cuda_ndarray = name, module, module.ndarray
    return module


def reset() -> None:
    """Back to the start state: NumPy default, device ``"cuda"`` unloaded and meaning CuPy
    (tests call this after using the stand-in)."""
    global xp, _cuda, _cuda_choice, _cuda_ndarray
    xp, _cuda, _cuda_choice, _cuda_ndarray = numpy, None, "cupy", None


def cuda_module() -> ModuleType:
    """The module behind device ``"cuda"``, imported on first use; a clear error if absent."""
    if _cuda is None:
        return set_cuda_module(_cuda_choice)
    return _cuda


def cuda_choice() -> str:
    """``"cupy"`` or ``"strict"``: what device ``"cuda"`` means now."""
    return _cuda_choice


def cuda_loaded() -> bool:
    """True once a device module is in use (until then everything is NumPy)."""
    return _cuda is not None


# ---------------------------------------------------------------- where arrays live
def is_host(array: Any) -> bool:
    """True for NumPy arrays and scalars (and anything that is not a device array)."""
    return _cuda_ndarray is None or not isinstance(array, _cuda_ndarray)


def array_module(array: Any) -> ModuleType:
    """The module an array belongs to: NumPy for host arrays, else the device module."""
    return numpy if is_host(array) else _cuda  # type: ignore[return-value]


def module_of(arrays: Any, where: str = "glassbox") -> ModuleType:
    """The module of a group of arrays (an op's inputs); a clear error when some are on
    the CPU and some on the device, as PyTorch gives."""
    if _cuda_ndarray is None:
        return numpy
    on_device = [isinstance(a, _cuda_ndarray) for a in arrays]
    if not any(on_device):
        return numpy
    if not all(on_device) and any(isinstance(a, numpy.ndarray) for a in arrays):
        raise GlassboxRuntimeError(
            f"{where}: expected all tensors to be on the same device, but found tensors on "
            f"cpu and cuda:0; move them with .to(device) first"
        )
    return _cuda  # type: ignore[return-value]


def enter(arrays: Any, where: str = "glassbox") -> ModuleType | None:
    """Make ``xp`` the module of ``arrays`` (an op's inputs) and return the module to
    restore afterwards, or ``None`` when nothing changed (always so without a device).

    ``Function.apply`` and ``backward`` wrap each op in ``enter``/``leave``."""
    global xp
    if _cuda_ndarray is None:
        return None
    module = module_of(arrays, where)
    if module is xp:
        return None
    previous, xp = xp, module
    return previous


def leave(previous: ModuleType | None) -> None:
    """Undo :func:`enter`."""
    global xp
    if previous is not None:
        xp = previous


class using:  # noqa: N801 - used like a function
    """``with backend.using([w, g]) as xp:`` — ``xp`` is the module of those arrays inside."""

    __slots__ = ("arrays", "where", "previous")

    def __init__(self, arrays: Any, where: str = "glassbox") -> None:
        self.arrays, self.where, self.previous = arrays, where, None

    def __enter__(self) -> ModuleType:
        self.previous = enter(self.arrays, self.where)
        return xp

    def __exit__(self, *exc: Any) -> None:
        leave(self.previous)


# ---------------------------------------------------------------------- transfers
def to_host(array: Any) -> numpy.ndarray:
    """The array in host NumPy memory: the same array when it already is one, else a
    device→host copy (the one explicit way back from the device)."""
    if is_host(array):
        return array if isinstance(array, numpy.ndarray) else numpy.asarray(array)
    return _cuda.asnumpy(array)  # type: ignore[union-attr]


to_numpy = to_host


def to_device(array: Any, device: Any) -> Any:
    """``array`` on ``device`` (a ``glassbox.device``, ``"cpu"``, ``"cuda"``): the same
    array when it is already there, else a copy."""
    kind = getattr(device, "type", device)
    if kind == "cpu":
        return to_host(array)
    if kind != "cuda":
        raise InvalidArgumentError(f"glassbox.backend.to_device: unknown device {device!r}")
    module = cuda_module()
    if isinstance(array, module.ndarray):
        return array
    moved = module.asarray(array)
    if moved.dtype.kind in "iu" and moved.size:  # labels: remember their range, see value_range
        host = numpy.asarray(array)
        _known_ranges.append((moved, host.min().item(), host.max().item()))
        del _known_ranges[:-_KNOWN_RANGES]
    return moved


_KNOWN_RANGES = 8
_known_ranges: list[tuple[Any, Any, Any]] = []  # (device array, min, max), newest last


def value_range(array: Any) -> tuple[Any, Any]:
    """(min, max) of a non-empty array as Python numbers. For an integer array that
    ``to_device`` copied over recently (a batch of labels) the range measured on the
    host is reused, so checking labels costs no device→host round trip; otherwise it
    is one transfer of two numbers. (The entries hold their arrays, so an ``id`` cannot
    be reused while it is remembered.)"""
    if is_host(array):
        return array.min().item(), array.max().item()
    for known, low, high in reversed(_known_ranges):
        if known is array:
            return low, high
    low, high = to_host(_cuda.stack([array.min(), array.max()])).tolist()  # type: ignore[union-attr]
    return low, high


def like(value: Any, reference: Any, dtype: Any = None) -> Any:
    """``value`` (a number, list, or array) as an array on the device of ``reference``
    (with ``dtype``, default: as it comes). Host values are copied to the device; a device
    array used with a host reference is an error (no silent copy back)."""
    module = array_module(reference)
    if module is numpy and not is_host(value):
        raise GlassboxRuntimeError(
            "expected all tensors to be on the same device, but found a cuda:0 array "
            "used with a cpu tensor; move it with .to('cpu') first"
        )
    return module.asarray(value, dtype=dtype) if dtype is not None else module.asarray(value)


# ------------------------------------------------------- where NumPy and CuPy differ
def errstate(**kwargs: Any) -> Any:
    """``numpy.errstate(**kwargs)`` on the CPU; on the device, where floating-point
    errors raise no warnings (CuPy has no ``errstate``), a no-op context."""
    if xp is numpy:
        return numpy.errstate(**kwargs)
    return contextlib.nullcontext()


def as_strided(x: Any, shape: tuple[int, ...], strides: tuple[int, ...],
               writeable: bool = True) -> Any:
    """A strided view of ``x``. On the CPU ``writeable=False`` makes the view read-only
    (overlapping windows must not be written); CuPy's ``as_strided`` has no such flag,
    so there the caller's discipline alone keeps it unwritten."""
    module = array_module(x)
    if module is numpy:
        return numpy.lib.stride_tricks.as_strided(x, shape, strides, writeable=writeable)
    return module.lib.stride_tricks.as_strided(x, shape, strides)


# --------------------------------------------------------------- random numbers
_device_rng: tuple[Any, Any] | None = None  # (the host generator it was seeded from, it)


def generator(module: ModuleType | None = None) -> Any:
    """The random generator that draws on ``module``'s device (default: ``xp``).

    On the CPU it is glassbox's global generator (``glassbox.manual_seed``). On the
    device it is a device generator, so dropout masks and initial values are drawn
    where they are used instead of being copied over every step. CuPy's generator is
    seeded from the global one (again after every ``manual_seed``); the strict stand-in
    draws from the global generator itself, so tests on it see NumPy's exact numbers.
    """
    global _device_rng
    from .random import default_generator  # noqa: PLC0415 - random imports nothing of ours

    module = xp if module is None else module
    host = default_generator()
    if module is numpy:
        return host
    if _device_rng is None or _device_rng[0] is not host or _device_rng[1][0] is not module:
        seed = host if _cuda_choice == "strict" else int(host.integers(2**63))
        _device_rng = (host, (module, module.random.default_rng(seed)))
    return _device_rng[1][1]

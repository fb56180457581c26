"""The one array-module handle that all op math goes through.

Ops call ``backend.xp.<function>`` instead of ``numpy.<function>`` so that a GPU
array library with NumPy's interface (CuPy) can be swapped in with
``glassbox.backend.use("cupy")`` without touching the ops.
"""
from __future__ import annotations

import importlib
from types import ModuleType

import numpy

xp: ModuleType = numpy


def use(name: str) -> ModuleType:
    """Select the array module by name (``"numpy"`` or ``"cupy"``) and return it."""
    global xp
    try:
        xp = importlib.import_module(name)
    except ImportError as exc:
        raise ImportError(
            f"glassbox.backend.use({name!r}): the array module {name!r} is not installed"
        ) from exc
    return xp


def to_numpy(array) -> numpy.ndarray:
    """Bring an array of the active module back to host NumPy memory."""
    if isinstance(array, numpy.ndarray):
        return array
    get = getattr(array, "get", None)  # CuPy arrays copy to host with .get()
    return get() if get is not None else numpy.asarray(array)

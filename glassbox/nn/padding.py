"""Padding layers: ``ZeroPad2d`` and ``ConstantPad2d`` (``F.pad``)."""
from __future__ import annotations

from typing import Any

from .. import validate as check
from ..core.tensor import Tensor
from . import functional as F
from .module import Module


class ConstantPad2d(Module):
    """Adds ``value`` around the two spatial axes: ``padding`` p on every side, or
    (left, right, top, bottom). (N, C, H, W) → (N, C, H + top + bottom, W + left + right)."""

    __constants__ = ("padding", "value")

    def __init__(self, padding: Any, value: float) -> None:
        super().__init__()
        self.padding = check.ints(padding=padding, length=4, where=type(self).__name__,
                                  expected="a non-negative int or (left, right, top, bottom)")
        self.value = float(value)

    def forward(self, x: Tensor) -> Tensor:
        check.shape(x, ndim=(3, 4), where=repr(self), expected="(C, H, W) or (N, C, H, W)")
        return F.pad(x, self.padding, value=self.value, where=self)


class ZeroPad2d(ConstantPad2d):
    """Adds zeros around the two spatial axes; LeNet-5 uses ``ZeroPad2d(2)`` to turn 28×28
    MNIST into its 32×32 input."""

    __constants__ = ("padding",)

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

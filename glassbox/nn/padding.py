"""Padding layers: ``ZeroPad2d`` and ``ConstantPad2d`` (``F.pad``)."""
from __future__ import annotations

from typing import Any

from .. import validate as check
from ..core.tensor import Tensor
from ..errors import InvalidArgumentError
from . import functional as F
from .module import Module


def _four(padding: Any, owner: str) -> tuple[int, int, int, int]:
    items = tuple(padding) if isinstance(padding, (tuple, list)) else (padding,) * 4
    if len(items) != 4 or not all(isinstance(p, int) and not isinstance(p, bool) and p >= 0 for p in items):
        raise InvalidArgumentError(f"{owner}: Received an invalid value for `padding`, expected a "
                                   f"non-negative int or (left, right, top, bottom). Received: padding={padding!r}")
    return items  # type: ignore[return-value]


class ConstantPad2d(Module):
    """Adds ``value`` around the two spatial axes: ``padding`` p on every side, or
    (left, right, top, bottom). (N, C, H, W) → (N, C, H + top + bottom, W + left + right)."""

    def __init__(self, padding: Any, value: float) -> None:
        super().__init__()
        self.padding, self.value = _four(padding, type(self).__name__), float(value)

    def forward(self, x: Tensor) -> Tensor:
        check.shape(x, ndim=(3, 4), where=repr(self), expected="(C, H, W) or (N, C, H, W)")
        return F.pad(x, self.padding, value=self.value, where=self)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ZeroPad2d(ConstantPad2d):
    """Adds zeros around the two spatial axes; LeNet-5 uses ``ZeroPad2d(2)`` to turn 28×28
    MNIST into its 32×32 input."""

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"padding={self.padding}"

"""Pooling layers (no parameters): max, average, adaptive/global average."""
from __future__ import annotations

from typing import Any

from ..core.tensor import Tensor
from . import functional as F
from .module import Module


class _Pool2d(Module):
    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """Maximum over each f×f window with stride s (default s = f).

    Shapes: (N, C, H, W) → (N, C, ⌊(H + 2p − f)/s⌋ + 1, …). The gradient goes only to
    each window's arg-max (one position per window, the first on ties).
    """

    def forward(self, x: Tensor) -> Tensor:
        try:
            return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)
        except ValueError as exc:
            raise ValueError(str(exc).replace("max_pool2d", repr(self), 1)) from None


class AvgPool2d(_Pool2d):
    """Mean over each f×f window with stride s (default s = f); zero padding is counted in
    the mean (PyTorch's count_include_pad=True). LeNet-5 uses f = s = 2."""

    def forward(self, x: Tensor) -> Tensor:
        try:
            return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding)
        except ValueError as exc:
            raise ValueError(str(exc).replace("avg_pool2d", repr(self), 1)) from None


class AdaptiveAvgPool2d(Module):
    """Average-pool to a fixed output size; ``AdaptiveAvgPool2d(1)`` is global average
    pooling (N, C, H, W) → (N, C, 1, 1), used before the classifier in ResNet/GoogLeNet.
    H and W must be multiples of the output size."""

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        try:
            return F.adaptive_avg_pool2d(x, self.output_size)
        except ValueError as exc:
            raise ValueError(str(exc).replace("adaptive_avg_pool2d", repr(self), 1)) from None

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class GlobalAvgPool2d(AdaptiveAvgPool2d):
    """Global average pooling: the mean of each feature map, (N, C, H, W) → (N, C, 1, 1)."""

    def __init__(self) -> None:
        super().__init__(1)

    def extra_repr(self) -> str:
        return ""

"""Pooling layers (no parameters): max, average, adaptive/global average; each ``forward``
is one call into ``nn.functional`` (formulas in ``ops/pooling.py``)."""
from __future__ import annotations

from typing import Any

from ..core.tensor import Tensor
from . import functional as F
from .module import Module


class _Pool2d(Module):
    __constants__ = ("kernel_size", "stride", "padding")

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        F.pool_args(None, kernel_size, stride, padding, type(self).__name__)  # fail here, not later
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding


class MaxPool2d(_Pool2d):
    """Maximum over each f×f window with stride s (default s = f).

    Shapes: (N, C, H, W) → (N, C, ⌊(H + 2p − f)/s⌋ + 1, …). The gradient goes only to
    each window's arg-max (one position per window, the first on ties).
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__(kernel_size, stride, padding)
        self.dilation, self.return_indices, self.ceil_mode = dilation, return_indices, ceil_mode

    def forward(self, x: Tensor) -> Tensor:
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation,
                            self.ceil_mode, self.return_indices, where=self)


class AvgPool2d(_Pool2d):
    """Mean over each f×f window with stride s (default s = f); zero padding is counted in
    the mean (PyTorch's count_include_pad=True). LeNet-5 uses f = s = 2."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: int | None = None) -> None:
        super().__init__(kernel_size, stride, padding)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad
        self.divisor_override = divisor_override

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override, where=self)


class AdaptiveAvgPool2d(Module):
    """Average-pool to a fixed output size; ``AdaptiveAvgPool2d(1)`` is global average
    pooling (N, C, H, W) → (N, C, 1, 1), used before the classifier in ResNet/GoogLeNet.
    Sizes that do not divide the input use PyTorch's overlapping bins."""

    __constants__ = ("output_size",)

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(x, self.output_size, where=self)


class AdaptiveMaxPool2d(Module):
    """Max-pool to a fixed output size with PyTorch's adaptive bins (any input size)."""

    __constants__ = ("output_size",)

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, x: Tensor) -> Tensor:
        return F.adaptive_max_pool2d(x, self.output_size, self.return_indices, where=self)


class GlobalAvgPool2d(AdaptiveAvgPool2d):
    """Global average pooling: the mean of each feature map, (N, C, H, W) → (N, C, 1, 1)."""

    __constants__ = ()

    def __init__(self) -> None:
        super().__init__(1)

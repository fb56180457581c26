"""Building blocks of the classic deep CNNs: ResNet's basic and bottleneck residual blocks
and GoogLeNet's Inception module."""
from __future__ import annotations

import numpy as np

from ..core.tensor import Tensor
from ..ops.shape import cat
from . import functional as F
from . import fusion
from .activation import ReLU
from .container import Sequential
from .conv import Conv2d
from .module import Module
from .normalization import BatchNorm2d
from .pooling import MaxPool2d


def _downsample(in_channels: int, out_channels: int, stride: int, dtype: type) -> Module | None:
    """The projection shortcut W_s (1×1 conv with the stride, then batch norm), or None when
    a[l] can be added as is."""
    if stride == 1 and in_channels == out_channels:
        return None
    return Sequential(Conv2d(in_channels, out_channels, 1, stride=stride, bias=False, dtype=dtype),
                      BatchNorm2d(out_channels, dtype=dtype))


class _Residual(Module):
    """What ResNet's blocks share: a[l+k] = g(z + shortcut(a[l])), g = ReLU, the shortcut
    the identity or the projection ``downsample``."""

    def _add_shortcut(self, z: Tensor, x: Tensor) -> Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.relu(z + shortcut)

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, stride={self.stride}"


class ResidualBlock(_Residual):
    """ResNet's basic block (the one ResNet-18/34 stack), with a skip connection:

        z[l+2] = BN(conv3×3(ReLU(BN(conv3×3(a[l])))))
        a[l+2] = g(z[l+2] + a[l])                       (identity shortcut)
        a[l+2] = g(z[l+2] + W_s·a[l])                   (projection shortcut)

    g is ReLU. If the two convolutions learn to output ~0, the block passes a[l] through,
    so adding blocks does not make a deep net worse. When the shape changes (stride > 1
    or a different channel count) a[l] cannot be added as is, so the shortcut is the
    learned W_s: a 1×1 convolution with the same stride, followed by batch norm
    (``downsample``, as torchvision names it: its state_dict keys are torchvision's).

    Args:
        in_channels, out_channels: channels of a[l] and a[l+2].
        stride: stride of the first 3×3 convolution (2 halves H and W).
        dtype: parameter dtype.

    Shapes: (N, in_channels, H, W) → (N, out_channels, ⌈H/stride⌉, ⌈W/stride⌉).
    """

    expansion = 1

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1,
                 dtype: type = np.float32) -> None:
        super().__init__()
        self.in_channels, self.out_channels, self.stride = in_channels, out_channels, stride
        self.conv1 = Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False, dtype=dtype)
        self.bn1 = BatchNorm2d(out_channels, dtype=dtype)
        self.relu = ReLU()
        self.conv2 = Conv2d(out_channels, out_channels, 3, stride=1, padding=1, bias=False, dtype=dtype)
        self.bn2 = BatchNorm2d(out_channels, dtype=dtype)
        self.add_module("downsample", _downsample(in_channels, out_channels, stride, dtype))

    def forward(self, x: Tensor) -> Tensor:  # conv_bn: one fused conv at inference
        z = fusion.conv_bn(self.conv1, self.bn1, x, self.relu)
        return self._add_shortcut(fusion.conv_bn(self.conv2, self.bn2, z), x)


BasicBlock = ResidualBlock


class Bottleneck(_Residual):
    """ResNet-50/101/152's bottleneck block: a 1×1 conv shrinks the channels to ``planes``,
    a 3×3 conv (with the stride, torchvision's "ResNet v1.5") works at that width, a 1×1 conv
    expands to 4·planes; then the shortcut is added:

        z = BN(conv1×1(ReLU(BN(conv3×3(ReLU(BN(conv1×1(a[l]))))))))
        a[l+3] = g(z + a[l])   or   g(z + W_s·a[l])

    The 3×3 conv sees 4× fewer channels than the block's input and output, which is what
    makes a 50-layer network affordable.

    Shapes: (N, in_channels, H, W) → (N, 4·planes, ⌈H/stride⌉, ⌈W/stride⌉).
    """

    expansion = 4

    def __init__(self, in_channels: int, planes: int, stride: int = 1, dtype: type = np.float32) -> None:
        super().__init__()
        out_channels = planes * self.expansion
        self.in_channels, self.out_channels, self.stride = in_channels, out_channels, stride
        self.conv1 = Conv2d(in_channels, planes, 1, bias=False, dtype=dtype)
        self.bn1 = BatchNorm2d(planes, dtype=dtype)
        self.conv2 = Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False, dtype=dtype)
        self.bn2 = BatchNorm2d(planes, dtype=dtype)
        self.conv3 = Conv2d(planes, out_channels, 1, bias=False, dtype=dtype)
        self.bn3 = BatchNorm2d(out_channels, dtype=dtype)
        self.relu = ReLU()
        self.add_module("downsample", _downsample(in_channels, out_channels, stride, dtype))

    def forward(self, x: Tensor) -> Tensor:  # conv_bn: one fused conv at inference
        z = fusion.conv_bn(self.conv1, self.bn1, x, self.relu)
        z = fusion.conv_bn(self.conv2, self.bn2, z, self.relu)
        return self._add_shortcut(fusion.conv_bn(self.conv3, self.bn3, z), x)


class _ConvReLU(Module):
    """conv followed by ReLU (a branch step of the Inception module)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, padding: int,
                 dtype: type) -> None:
        super().__init__()
        self.conv = Conv2d(in_channels, out_channels, kernel_size, padding=padding, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(self.conv(x))


class InceptionBlock(Module):
    """GoogLeNet's Inception module: run several filter sizes side by side and let the net
    choose, concatenating the branches along the channels:

        1×1                                  → ch1x1 channels
        1×1 (ch3x3_reduce) → 3×3, pad 1      → ch3x3
        1×1 (ch5x5_reduce) → 5×5, pad 2      → ch5x5
        3×3 max-pool, stride 1, pad 1 → 1×1  → pool_proj

    The 1×1 "bottleneck" convolutions first shrink the channels, which cuts the cost of the
    3×3 and 5×5 convolutions many times over. Every convolution is followed by ReLU.

    Shapes: (N, in_channels, H, W) → (N, ch1x1 + ch3x3 + ch5x5 + pool_proj, H, W).
    """

    def __init__(self, in_channels: int, ch1x1: int, ch3x3_reduce: int, ch3x3: int,
                 ch5x5_reduce: int, ch5x5: int, pool_proj: int, dtype: type = np.float32) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = ch1x1 + ch3x3 + ch5x5 + pool_proj
        self.branch1 = _ConvReLU(in_channels, ch1x1, 1, 0, dtype)
        self.branch2_reduce = _ConvReLU(in_channels, ch3x3_reduce, 1, 0, dtype)
        self.branch2 = _ConvReLU(ch3x3_reduce, ch3x3, 3, 1, dtype)
        self.branch3_reduce = _ConvReLU(in_channels, ch5x5_reduce, 1, 0, dtype)
        self.branch3 = _ConvReLU(ch5x5_reduce, ch5x5, 5, 2, dtype)
        self.branch4_pool = MaxPool2d(3, stride=1, padding=1)
        self.branch4 = _ConvReLU(in_channels, pool_proj, 1, 0, dtype)

    def forward(self, x: Tensor) -> Tensor:
        outs = [
            self.branch1(x),
            self.branch2(self.branch2_reduce(x)),
            self.branch3(self.branch3_reduce(x)),
            self.branch4(self.branch4_pool(x)),
        ]
        return cat(outs, axis=1)

    def extra_repr(self) -> str:
        return f"{self.in_channels} -> {self.out_channels}"

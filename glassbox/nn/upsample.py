"""Decoder layers that make feature maps larger: ``Upsample`` and ``ConvTranspose2d``.

Formulas, forward and backward, are in ``ops/upsample.py`` and ``ops/conv_transpose.py``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import validate as check
from ..core.tensor import Tensor
from ..ops import conv_transpose as _convt
from . import functional as F
from .conv import _ConvBase
from .module import Module


class Upsample(Module):
    """Nearest-neighbour upsampling: each pixel becomes a k×k block of copies.

    Shapes: (N, C, H, W) → (N, C, k_h·H, k_w·W). No parameters; followed by a ``Conv2d`` it
    is a learned upsampler without the checkerboard overlaps of a strided transposed conv.

    Args:
        scale_factor: k, or (k_h, k_w); positive integers.
        mode: only "nearest".
    """

    def __init__(self, size: Any = None, scale_factor: Any = None, mode: str = "nearest") -> None:
        super().__init__()
        if size is None and scale_factor is None:
            scale_factor = 2  # glassbox's default: double H and W
        self.size = None if size is None else check.pair(size=size, where="Upsample")
        self.scale_factor = None if scale_factor is None else check.pair(scale_factor=scale_factor,
                                                                          where="Upsample")
        self.mode = check.one_of(mode=mode, choices=("nearest",), where="Upsample")

    def forward(self, x: Tensor) -> Tensor:
        return F.upsample(x, self.size, self.scale_factor, self.mode, where=self)

    def extra_repr(self) -> str:
        what = f"size={self.size}" if self.size is not None else f"scale_factor={self.scale_factor}"
        return f"{what}, mode={self.mode!r}"


class ConvTranspose2d(_ConvBase):
    """Transposed convolution: the adjoint of a ``Conv2d`` with the same kernel, stride and
    padding, mapping a small map back to a large one (PyTorch semantics).

    Args:
        in_channels, out_channels: channels of the input and of the output.
        kernel_size: f, or (kh, kw).
        stride: s, or (sh, sw): the upsampling factor.
        padding: p, or (ph, pw): rows/columns removed from each side of the full output.
        output_padding: rows/columns added at the bottom/right (< stride), to pick the output
            size when several input sizes of the matching ``Conv2d`` give the same output.
        bias: learn one bias per output channel (default True).
        dtype: parameter dtype (float32; float64 for gradient checks).

    Shapes: (N, in_channels, H, W) → (N, out_channels, OH, OW) with
    OH = (H − 1)·s − 2p + f + output_padding (and likewise OW). ``stride=2, kernel_size=3,
    padding=1, output_padding=1`` doubles H and W, undoing a ``Conv2d(…, 3, 2, 1)``.

    Attributes:
        weight: (in_channels, out_channels, kh, kw), the layout of the ``Conv2d``
            out → in that this layer transposes; He-uniform as in PyTorch (its fan-in is
            taken from axis 1, out_channels·kh·kw).  bias: (out_channels,), zeros.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, bias: bool = True,
                 dtype: type = np.float32) -> None:
        super().__init__()
        self._create_parameters("ConvTranspose2d", in_channels, out_channels, kernel_size, bias,
                                dtype, transposed=True)
        self.stride, self.padding, self.output_padding = F.conv_transpose_args(
            None, self.kernel_size, stride, padding, output_padding, "ConvTranspose2d")

    def output_shape(self, in_hw: tuple[int, int]) -> tuple[int, int]:
        """(OH, OW) for an input of H×W: (n − 1)·s − 2p + f + output_padding per side."""
        return tuple(_convt.conv_transpose_out_size(n, f, s, p, op) for n, f, s, p, op in  # type: ignore[return-value]
                     zip(in_hw, self.kernel_size, self.stride, self.padding, self.output_padding))

    def forward(self, x: Tensor) -> Tensor:
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding,
                                  self.output_padding, where=self)

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}")
        if self.output_padding != (0, 0):
            text += f", output_padding={self.output_padding}"
        return text if self.bias is not None else text + ", bias=False"


__all__ = ["Upsample", "ConvTranspose2d"]

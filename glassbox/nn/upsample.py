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
    """Transposed convolution: the adjoint of a ``Conv2d`` with the same kernel, stride,
    padding, dilation and groups, mapping a small map back to a large one (PyTorch semantics).

    Args:
        in_channels, out_channels: channels of the input and of the output.
        kernel_size: f, or (kh, kw).
        stride: s, or (sh, sw): the upsampling factor.
        padding: p, or (ph, pw): rows/columns removed from each side of the full output.
        output_padding: rows/columns added at the bottom/right (< stride or < dilation), to
            pick the output size when several input sizes of the matching ``Conv2d`` give the
            same output.
        groups: g splits the channels into g independent transposed convolutions
            (in/g → out/g each).
        bias: learn one bias per output channel (default True).
        dilation: d, or (dh, dw): the stamp's cells are d pixels apart.
        padding_mode: only "zeros".
        dtype: parameter dtype (float32; float64 for gradient checks).

    Shapes: (N, in_channels, H, W) → (N, out_channels, OH, OW) with
    OH = (H − 1)·s − 2p + d·(f − 1) + 1 + output_padding (and likewise OW). ``stride=2,
    kernel_size=3, padding=1, output_padding=1`` doubles H and W, undoing a
    ``Conv2d(…, 3, 2, 1)``.

    Attributes:
        weight: (in_channels, out_channels/groups, kh, kw), the layout of the ``Conv2d``
            out → in that this layer transposes; He-uniform as in PyTorch (its fan-in is
            taken from axis 1, out_channels/groups·kh·kw).  bias: (out_channels,), zeros.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", dtype: type = np.float32) -> None:
        super().__init__()
        check.one_of(padding_mode=padding_mode, choices=("zeros",), where="ConvTranspose2d")
        self._create_parameters("ConvTranspose2d", in_channels, out_channels, kernel_size, bias,
                                dtype, transposed=True, groups=groups)
        self.stride, self.padding, self.output_padding, self.dilation = F.conv_transpose_args(
            None, self.kernel_size, stride, padding, output_padding, "ConvTranspose2d", dilation)

    def output_shape(self, in_hw: tuple[int, int]) -> tuple[int, int]:
        """(OH, OW) for an input of H×W: (n − 1)·s − 2p + d·(f − 1) + 1 + output_padding per side."""
        return tuple(_convt.conv_transpose_out_size(n, f, s, p, op, d) for n, f, s, p, op, d in  # type: ignore[return-value]
                     zip(in_hw, self.kernel_size, self.stride, self.padding, self.output_padding,
                         self.dilation))

    def forward(self, x: Tensor) -> Tensor:
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding,
                                  self.output_padding, self.groups, self.dilation, where=self)


__all__ = ["Upsample", "ConvTranspose2d"]

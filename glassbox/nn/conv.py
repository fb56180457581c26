"""``Conv2d``: the convolutional layer; its ``forward`` is ``F.conv2d`` (formulas and im2col
in ``ops/conv.py``)."""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import validate as check
from ..core.tensor import Tensor
from ..errors import InvalidArgumentError
from ..ops import conv as _conv
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter


class _ConvBase(Module):
    """What Conv2d and ConvTranspose2d share: checked channel counts, a He-initialized
    weight and an optional zero bias of ``out_channels``."""

    def _create_parameters(self, owner: str, in_channels: Any, out_channels: Any,
                           kernel_size: Any, bias: bool, dtype: type, transposed: bool,
                           groups: Any = 1) -> None:
        self.in_channels = check.positive_int(in_channels=in_channels, where=owner)
        self.out_channels = check.positive_int(out_channels=out_channels, where=owner)
        self.groups = check.positive_int(groups=groups, where=owner)
        for name, value in (("in_channels", self.in_channels), ("out_channels", self.out_channels)):
            if value % self.groups:
                raise InvalidArgumentError(f"{owner}: {name}={value} is not divisible by groups={groups}")
        self.kernel_size = check.pair(kernel_size=kernel_size, where=owner)
        if transposed:
            channels = (self.in_channels, self.out_channels // self.groups)
        else:
            channels = (self.out_channels, self.in_channels // self.groups)
        self.weight = Parameter(np.empty(channels + self.kernel_size, dtype=dtype), dtype=dtype)
        self.register_parameter(
            "bias", Parameter(np.zeros(self.out_channels, dtype=dtype), dtype=dtype) if bias else None
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, nonlinearity="relu")
        if self.bias is not None:
            init.zeros_(self.bias)

    #: options shown by ``repr`` only when they differ from these defaults (PyTorch's style)
    _repr_defaults = {"output_padding": (0, 0), "dilation": (1, 1), "groups": 1}

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding!r}")
        text += "".join(f", {name}={getattr(self, name)}" for name, default in self._repr_defaults.items()
                        if getattr(self, name, default) != default)
        return text if self.bias is not None else text + ", bias=False"


class Conv2d(_ConvBase):
    """out_channels filters of kh×kw×in_channels slid over the input; each output pixel is a
    filter's weighted sum over one window plus the filter's bias.

    Args:
        in_channels: n_c of the input; out_channels: number of filters n_c of the output.
        kernel_size: f, or (kh, kw) for a rectangular kernel.
        stride: s, or (sh, sw).
        padding: "valid" (p = 0), "same" (output ⌈n/s⌉ pixels per side; with stride > 1
            the padding is computed TensorFlow-style and may be one larger at the
            bottom/right), an int p, or (ph, pw).
        dilation: d, or (dh, dw): taps d pixels apart, so the kernel covers d·(f − 1) + 1.
        groups: g splits the channels into g independent convolutions (in/g → out/g each).
        bias: learn one bias per filter (default True).
        dtype: parameter dtype (float32; float64 for gradient checks).

    Shapes: (N, in_channels, H, W) → (N, out_channels, OH, OW), with
    OH = ⌊(H + 2p − f)/s⌋ + 1 (and likewise OW).

    Attributes:
        weight: (out_channels, in_channels/groups, kh, kw), He/Kaiming-uniform with
            fan_in = in_channels·kh·kw.  bias: (out_channels,), zeros.

    A 1×1 convolution is a dense layer over the channels applied at every pixel: it mixes
    and resizes the channel dimension (the bottleneck in Inception).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", dtype: type = np.float32) -> None:
        super().__init__()
        check.one_of(padding_mode=padding_mode, choices=("zeros",), where="Conv2d")
        self.stride = check.pair(stride=stride, where="Conv2d")
        self.dilation = check.pair(dilation=dilation, where="Conv2d")
        # validate now (with a dummy size) so a bad padding fails at construction
        _conv.resolve_padding(padding, (1, 1), check.pair(kernel_size=kernel_size, where="Conv2d"),
                              self.stride, "Conv2d", self.dilation)
        self.padding = padding.lower() if isinstance(padding, str) else padding
        self._create_parameters("Conv2d", in_channels, out_channels, kernel_size, bias, dtype,
                                transposed=False, groups=groups)

    def output_shape(self, in_hw: tuple[int, int]) -> tuple[int, int]:
        """(OH, OW) for an input of H×W: ⌊(n + 2p − f)/s⌋ + 1 per side."""
        pads = _conv.resolve_padding(self.padding, in_hw, self.kernel_size, self.stride, "Conv2d",
                                     self.dilation)
        return _conv.conv_out_hw(in_hw, self.kernel_size, self.stride, pads, self.dilation)

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups, where=self)



class Conv1d(_ConvBase):
    """out_channels filters of length k slid along a sequence: out[n, o, t] = b[o] +
    Σ_c Σ_j W[o, c, j]·x[n, c, t·s + j·d − p] (PyTorch's Conv1d; computed by ``F.conv1d`` as a
    1×k ``Conv2d``).

    Args: as ``Conv2d`` with 1-D sizes: kernel_size k, stride s, padding p ("valid",
    "same" or an int), dilation d, groups g, bias, padding_mode "zeros", dtype.

    Shapes: (N, in_channels, L) → (N, out_channels, ⌊(L + 2p − d·(k − 1) − 1)/s⌋ + 1).

    Attributes:
        weight: (out_channels, in_channels/groups, k), He-uniform with fan_in = in/g·k.
        bias: (out_channels,), zeros.
    """

    _repr_defaults = {"dilation": (1,), "groups": 1}

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", dtype: type = np.float32) -> None:
        super().__init__()
        check.one_of(padding_mode=padding_mode, choices=("zeros",), where="Conv1d")
        (k,) = check.ints(kernel_size=kernel_size, length=1, low=1, where="Conv1d")
        stride_2d, padding_2d, dilation_2d = F._conv1d_args(stride, padding, dilation, "Conv1d")
        _conv.resolve_padding(padding_2d, (1, 1), (1, k), stride_2d, "Conv1d", dilation_2d)
        self.stride, self.dilation = stride_2d[1:], dilation_2d[1:]
        self.padding = padding.lower() if isinstance(padding, str) else padding_2d[1:]
        self._create_parameters("Conv1d", in_channels, out_channels, (1, k), bias, dtype,
                                transposed=False, groups=groups)
        self.kernel_size = (k,)
        self.weight.data = self.weight.data.reshape(self.out_channels, -1, k)  # (out, in/g, k)

    def forward(self, x: Tensor) -> Tensor:
        return F.conv1d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups, where=self)


__all__ = ["Conv1d", "Conv2d"]

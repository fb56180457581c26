"""Pooling: max and average over f×f windows with stride s. Pooling has no parameters.

Output size per side is the course's ⌊(n + 2p − f)/s⌋ + 1. When the windows tile the
input exactly (stride = kernel, no padding — the usual 2×2 / stride 2) the windows are a
plain reshape to (N, C, OH, kh, OW, kw), much faster than a strided gather; rows or
columns left over at the bottom/right are ignored, as the floor in the formula says.
"""
from __future__ import annotations

from typing import Any

from .. import backend
from ..core.function import Function
from .conv import Padding2d, Pair, crop, output_size, pad_input, scatter_windows, windows


def _tiles(kernel: Pair, stride: Pair, padding: Padding2d) -> bool:
    return kernel == stride and padding == ((0, 0), (0, 0))


def _out_hw(x: Any, kernel: Pair, stride: Pair, padding: Padding2d) -> Pair:
    return (output_size(x.shape[2], kernel[0], sum(padding[0]), stride[0]),
            output_size(x.shape[3], kernel[1], sum(padding[1]), stride[1]))


def _tiled(x: Any, kernel: Pair, out_hw: Pair) -> Any:
    """(N, C, OH, kh, OW, kw) view of x's non-overlapping tiles (leftover edge cropped)."""
    n, c = x.shape[:2]
    (kh, kw), (oh, ow) = kernel, out_hw
    return x[:, :, :oh * kh, :ow * kw].reshape(n, c, oh, kh, ow, kw)


def _untile(d6: Any, in_shape: tuple[int, ...]) -> Any:
    """Inverse of ``_tiled`` for gradients: back to (N, C, H, W), zeros on the cropped edge."""
    n, c, oh, kh, ow, kw = d6.shape
    d = d6.reshape(n, c, oh * kh, ow * kw)
    if d.shape == tuple(in_shape):
        return d
    out = backend.xp.zeros(in_shape, dtype=d.dtype)
    out[:, :, :oh * kh, :ow * kw] = d
    return out


class MaxPool2d(Function):
    """a = max over each f×f window.

    ∂L/∂x routes each window's gradient to the position of its maximum only (the others
    did not affect the output). On ties exactly one position gets it — the first in
    row-major order within the window — so the gradient is never double-counted;
    overlapping windows that share a maximum add up there. Padding uses −∞, so padded
    cells are never the maximum.

    The windows are copied once into kh·kw contiguous "planes" (plane q holds the q-th cell
    of every window); the running max and its index are then a few whole-plane ops per
    kernel cell, instead of an argmax over many tiny rows.
    """

    def forward(self, x: Any, kernel: Pair = (2, 2), stride: Pair = (2, 2),
                padding: Padding2d = ((0, 0), (0, 0))) -> Any:
        xp = backend.xp
        n, c = x.shape[:2]
        oh, ow = _out_hw(x, kernel, stride, padding)
        kk = kernel[0] * kernel[1]
        self.in_shape, self.kernel, self.stride, self.padding = x.shape, kernel, stride, padding
        self.tiled = _tiles(kernel, stride, padding)
        if self.tiled:
            view = _tiled(x, kernel, (oh, ow)).transpose(3, 5, 0, 1, 2, 4)
        else:
            padded = pad_input(x, padding, value=-xp.inf)
            self.padded_shape = padded.shape
            view = windows(padded, kernel, stride, (oh, ow)).transpose(2, 3, 0, 1, 4, 5)
        planes = xp.ascontiguousarray(view).reshape(kk, -1)
        best = planes.max(axis=0)
        # index of the first plane that reaches the max: step past plane q while it falls short
        index = (planes[0] != best).astype(xp.uint8 if kk < 256 else xp.int64)
        for q in range(1, kk - 1):
            index += (index == q) & (planes[q] != best)
        self.index = index
        return best.reshape(n, c, oh, ow)

    def backward(self, grad: Any) -> Any:
        xp = backend.xp
        n, c, oh, ow = grad.shape
        kh, kw = self.kernel
        g = grad.reshape(-1)
        dplanes = xp.empty((kh * kw, g.size), dtype=grad.dtype)
        for q in range(kh * kw):
            xp.multiply(g, self.index == q, out=dplanes[q])
        d = dplanes.reshape(kh, kw, n, c, oh, ow)
        if self.tiled:
            return _untile(d.transpose(2, 3, 4, 0, 5, 1), self.in_shape)
        dwin = d.transpose(2, 3, 0, 1, 4, 5)
        return crop(scatter_windows(dwin, self.padded_shape, self.stride), self.padding)


class AvgPool2d(Function):
    """a = (1/(kh·kw)) Σ over each window; zero padding counts in the average (PyTorch's
    default ``count_include_pad=True``).

    ∂L/∂x: each window spreads its gradient evenly, ∂L/∂a / (kh·kw), to every cell it
    covered (overlapping windows add).
    """

    def forward(self, x: Any, kernel: Pair = (2, 2), stride: Pair = (2, 2),
                padding: Padding2d = ((0, 0), (0, 0))) -> Any:
        oh, ow = _out_hw(x, kernel, stride, padding)
        self.in_shape, self.kernel, self.stride, self.padding = x.shape, kernel, stride, padding
        self.tiled = _tiles(kernel, stride, padding)
        if self.tiled:
            view = _tiled(x, kernel, (oh, ow)).transpose(3, 5, 0, 1, 2, 4)
        else:
            padded = pad_input(x, padding)
            self.padded_shape = padded.shape
            view = windows(padded, kernel, stride, (oh, ow)).transpose(2, 3, 0, 1, 4, 5)
        # summing kh·kw contiguous planes is much faster than reducing strided tiny axes
        planes = backend.xp.ascontiguousarray(view).reshape(kernel[0] * kernel[1], -1)
        out = planes.sum(axis=0)
        out *= x.dtype.type(1.0 / (kernel[0] * kernel[1]))
        return out.reshape(x.shape[0], x.shape[1], oh, ow)

    def backward(self, grad: Any) -> Any:
        xp = backend.xp
        n, c, oh, ow = grad.shape
        kh, kw = self.kernel
        g = grad * grad.dtype.type(1.0 / (kh * kw))
        if self.tiled:
            d6 = xp.broadcast_to(g[:, :, :, None, :, None], (n, c, oh, kh, ow, kw))
            return _untile(xp.ascontiguousarray(d6), self.in_shape)
        dwin = xp.broadcast_to(g[:, :, None, None], (n, c, kh, kw, oh, ow))
        return crop(scatter_windows(dwin, self.padded_shape, self.stride), self.padding)

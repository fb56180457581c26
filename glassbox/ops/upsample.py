"""Nearest-neighbour upsampling: every pixel becomes a k_h×k_w block of copies.

For a scale factor (k_h, k_w) and an input X of shape (N, C, H, W):

    Y[n, c, i, j] = X[n, c, ⌊i/k_h⌋, ⌊j/k_w⌋],      Y has shape (N, C, k_h·H, k_w·W).

Each input pixel feeds exactly the k_h·k_w output pixels of its block, so the gradient of
an input pixel is the sum of the output gradients over that block:

    ∂L/∂X[n, c, a, b] = Σ_{u < k_h, v < k_w} ∂L/∂Y[n, c, k_h·a + u, k_w·b + v].

Both directions are one reshape: (N, C, H, k_h, W, k_w) is a view of Y's layout, so the
forward is a broadcast copy into it and the backward a sum over its axes 3 and 5.
"""
from __future__ import annotations

from typing import Any

from .. import backend
from ..core.function import Function
from .conv import Pair


class UpsampleNearest(Function):
    """Y = X repeated k_h times along H and k_w times along W (block copies).

    Forward:  Y = broadcast X[:, :, :, None, :, None] to (N, C, H, k_h, W, k_w), reshape.
    Backward: ∂L/∂X = (∂L/∂Y).reshape(N, C, H, k_h, W, k_w).sum over (k_h, k_w).

    Args (keyword): scale: (k_h, k_w), positive integers.
    """

    def forward(self, x: Any, scale: Pair = (2, 2)) -> Any:
        xp = backend.xp
        n, c, h, w = x.shape
        kh, kw = scale
        self.scale = scale
        blocks = xp.broadcast_to(x[:, :, :, None, :, None], (n, c, h, kh, w, kw))
        return xp.ascontiguousarray(blocks).reshape(n, c, h * kh, w * kw)

    def backward(self, grad: Any) -> Any:
        n, c, hk, wk = grad.shape
        kh, kw = self.scale
        return grad.reshape(n, c, hk // kh, kh, wk // kw, kw).sum(axis=(3, 5))


__all__ = ["UpsampleNearest"]

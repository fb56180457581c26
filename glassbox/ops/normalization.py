"""Batch normalization, fused: normalize each channel over the batch, then scale and shift.

For one channel, over the m = N·(H·W…) values z⁽ⁱ⁾ it sees in a batch:

    μ = (1/m) Σᵢ z⁽ⁱ⁾,    σ² = (1/m) Σᵢ (z⁽ⁱ⁾ − μ)²,
    ẑ⁽ⁱ⁾ = (z⁽ⁱ⁾ − μ) / √(σ² + ε),    z̃⁽ⁱ⁾ = γ·ẑ⁽ⁱ⁾ + β.

The statistics are computed by the caller (``nn.functional.batch_norm``, which also updates
the running averages) and passed in, so they are computed once.
"""
from __future__ import annotations

from typing import Any

from .. import backend
from ..core.function import Function


def channel_axes(ndim: int) -> tuple[int, ...]:
    """The axes a channel's statistics run over: all but axis 1 (N, C, …)."""
    return (0,) + tuple(range(2, ndim))


def batch_stats(x: Any) -> tuple[Any, Any]:
    """Per-channel mean μ and biased variance σ² = (1/m) Σ (z − μ)², shape (C,)."""
    axes = channel_axes(x.ndim)
    mean = x.mean(axis=axes)
    centred = x - _per_channel(mean, x.ndim)
    var = backend.xp.mean(centred * centred, axis=axes)
    return mean, var


def _per_channel(v: Any, ndim: int) -> Any:
    return v.reshape((1, -1) + (1,) * (ndim - 2))


class BatchNorm(Function):
    """z̃ = γ·(z − μ)/√(σ² + ε) + β with given per-channel μ, σ².

    ``training=True``: μ and σ² are this batch's statistics, so they depend on z too. With
    dẑ = ∂L/∂z̃ · γ and the sums Σ over the channel's m values, the fused gradient is

        ∂L/∂z = (1/m) · (1/σ) · (m·dẑ − Σ dẑ − ẑ · Σ(dẑ · ẑ)),     σ = √(σ² + ε);

    the two subtracted terms are the paths through μ and through σ².
    ``training=False``: μ and σ² are fixed (running averages) and ∂L/∂z = γ/σ · ∂L/∂z̃.

    In both modes ∂L/∂γ = Σ ∂L/∂z̃ · ẑ and ∂L/∂β = Σ ∂L/∂z̃.
    """

    def forward(self, x: Any, weight: Any = None, bias: Any = None, mean: Any = None,
                var: Any = None, eps: float = 1e-5, training: bool = True) -> Any:
        xp = backend.xp
        nd = x.ndim
        inv_std = (1.0 / xp.sqrt(var.astype(x.dtype, copy=False) + x.dtype.type(eps))).astype(x.dtype)
        x_hat = x - _per_channel(mean.astype(x.dtype, copy=False), nd)
        x_hat *= _per_channel(inv_std, nd)
        self.x_hat, self.inv_std, self.training = x_hat, inv_std, training
        self.weight = weight
        if weight is None:
            return x_hat.copy() if bias is None else x_hat + _per_channel(bias, nd)
        out = x_hat * _per_channel(weight, nd)
        if bias is not None:
            out += _per_channel(bias, nd)
        return out

    def backward(self, grad: Any) -> tuple[Any, ...]:
        needs = self.needs_input_grad
        nd, x_hat = grad.ndim, self.x_hat
        axes = channel_axes(nd)
        dweight = (grad * x_hat).sum(axis=axes) if len(needs) > 1 and needs[1] else None
        dbias = grad.sum(axis=axes) if len(needs) > 2 and needs[2] else None
        dx = None
        if needs[0]:
            scale = self.inv_std if self.weight is None else self.weight * self.inv_std
            if self.training:
                m = grad.size // grad.shape[1]
                # (1/m)·γ/σ·(m·dy − Σdy − ẑ·Σ(dy·ẑ)), with dẑ = γ·dy folded into the scale
                sum_dy = grad.sum(axis=axes) if dbias is None else dbias
                sum_dy_xhat = (grad * x_hat).sum(axis=axes) if dweight is None else dweight
                dx = x_hat * _per_channel(sum_dy_xhat / m, nd)
                dx += _per_channel(sum_dy / m, nd)
                dx = grad - dx
                dx *= _per_channel(scale, nd)
            else:
                dx = grad * _per_channel(scale, nd)
        self.x_hat = None
        return (dx, dweight, dbias)[:len(needs)]

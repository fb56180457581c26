"""Batch normalization, fused: normalize each channel over the batch, then scale and shift.

For one channel, over the m = N·(H·W…) values z⁽ⁱ⁾ it sees in a batch:

    μ = (1/m) Σᵢ z⁽ⁱ⁾,    σ² = (1/m) Σᵢ (z⁽ⁱ⁾ − μ)²,
    ẑ⁽ⁱ⁾ = (z⁽ⁱ⁾ − μ) / √(σ² + ε),    z̃⁽ⁱ⁾ = γ·ẑ⁽ⁱ⁾ + β.

The statistics are computed by the caller (``nn.functional.batch_norm``, which also updates
the running averages) and passed in, so they are computed once.
"""
from __future__ import annotations

from typing import Any

from .. import backend, parallel
from ..core.function import Function


def channel_axes(ndim: int) -> tuple[int, ...]:
    """The axes a channel's statistics run over: all but axis 1 (N, C, …)."""
    return (0,) + tuple(range(2, ndim))


def channel_view(x: Any) -> tuple[Any, bool]:
    """x as a 3-D view (A, C, B) whose statistics run over axes 0 and 2, and whether it is
    channel-major.

    A convolution's fast path stores its output channel-major, (C, N, H, W) memory behind the
    (N, C, H, W) view: then each channel is ONE contiguous row, (1, C, N·H·W), and every
    reduction and per-channel scaling runs along contiguous rows. Otherwise x is (N, C, L)
    (made contiguous first if it is neither)."""
    if x.ndim >= 3:
        t = x.swapaxes(0, 1)
        if t.flags.c_contiguous:
            return t.reshape(1, x.shape[1], -1), True
    if not x.flags.c_contiguous:
        x = backend.array_module(x).ascontiguousarray(x)
    return x.reshape(x.shape[0], x.shape[1], -1), False


def from_channel_view(a3: Any, shape: tuple[int, ...], channel_major: bool) -> Any:
    """Inverse of ``channel_view`` for an array of the same (A, C, B) layout: a view of
    shape ``shape``."""
    if channel_major:
        return a3.reshape((shape[1], shape[0]) + tuple(shape[2:])).swapaxes(0, 1)
    return a3.reshape(shape)


def like_channel_view(a: Any, channel_major: bool) -> Any:
    """``a`` (same shape as the viewed x) in the given layout of ``channel_view`` (a copy only
    when its memory is laid out otherwise)."""
    xp = backend.xp
    if channel_major:
        return xp.ascontiguousarray(a.swapaxes(0, 1)).reshape(1, a.shape[1], -1)
    return xp.ascontiguousarray(a).reshape(a.shape[0], a.shape[1], -1)


def over_channels(work: Any, x3: Any) -> None:
    """work(c0, c1) for ranges of x3's channels (axis 1), split over the worker threads of
    ``glassbox.parallel`` when there are several and x3 is large: every pass here is per
    channel, so the ranges never write the same memory."""
    parallel.over_range(work, x3.shape[1], x3.size)


def batch_stats(x: Any) -> tuple[Any, Any]:
    """Per-channel mean μ and biased variance σ² = (1/m) Σ (z − μ)², shape (C,).

    Two passes (the mean, then the squared deviations), each a pairwise sum along the
    channel's values: accurate in float32 also when |μ| ≫ σ, where Σz²/m − μ² is not."""
    x3, _ = channel_view(x)
    xp = backend.array_module(x)  # called outside an op: the array's module
    mean = xp.empty(x3.shape[1], dtype=x3.dtype)
    var = xp.empty_like(mean)

    def work(c0: int, c1: int) -> None:
        block = x3[:, c0:c1]
        mean[c0:c1] = block.mean(axis=(0, 2))
        centred = block - mean[c0:c1].reshape(1, -1, 1)
        xp.square(centred, out=centred)
        var[c0:c1] = centred.mean(axis=(0, 2))

    over_channels(work, x3)
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

    All passes run on the (A, C, B) view of ``channel_view`` — contiguous rows per channel
    after a fast-path convolution — and the output keeps the input's layout. When no input
    needs a gradient (inference) the two steps fold into one scale and shift per channel,
    z̃ = a·z + b with a = γ/σ and b = β − a·μ, and ẑ is not kept.
    """

    def forward(self, x: Any, weight: Any = None, bias: Any = None, mean: Any = None,
                var: Any = None, eps: float = 1e-5, training: bool = True) -> Any:
        xp = backend.xp
        x3, self.channel_major = channel_view(x)
        inv_std = (1.0 / xp.sqrt(var.astype(x.dtype, copy=False) + x.dtype.type(eps))).astype(x.dtype)
        mean = mean.astype(x.dtype, copy=False)
        if True not in self.needs_input_grad:  # inference: z̃ = a·z + b, a = γ/σ, b = β − a·μ
            a = inv_std if weight is None else weight * inv_std
            b = -a * mean if bias is None else bias - a * mean
            out = xp.empty_like(x3)

            def fold(c0: int, c1: int) -> None:
                part = (slice(None), slice(c0, c1))
                xp.multiply(x3[part], a[c0:c1].reshape(1, -1, 1), out=out[part])
                out[part] += b[c0:c1].reshape(1, -1, 1)

            over_channels(fold, x3)
            return from_channel_view(out, x.shape, self.channel_major)
        x_hat, out = xp.empty_like(x3), xp.empty_like(x3)

        def work(c0: int, c1: int) -> None:
            part = (slice(None), slice(c0, c1))
            xp.subtract(x3[part], mean[c0:c1].reshape(1, -1, 1), out=x_hat[part])
            x_hat[part] *= inv_std[c0:c1].reshape(1, -1, 1)
            if weight is None:
                out[part] = x_hat[part]
            else:
                xp.multiply(x_hat[part], weight[c0:c1].reshape(1, -1, 1), out=out[part])
            if bias is not None:
                out[part] += bias[c0:c1].reshape(1, -1, 1)

        over_channels(work, x3)
        # kept in x's own shape (a view) so subclasses (SyncBatchNorm) see the usual ẑ
        self.x_hat = from_channel_view(x_hat, x.shape, self.channel_major)
        self.inv_std, self.training = inv_std, training
        self.weight, self.shape = weight, x.shape
        return from_channel_view(out, x.shape, self.channel_major)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        xp = backend.xp
        needs = self.needs_input_grad
        x_hat, _ = channel_view(self.x_hat)   # the (A, C, B) view again, no copy
        g = like_channel_view(grad, self.channel_major)
        # the two sums ∂L/∂γ and ∂L/∂β need whenever they or the training-mode dx do
        need_sums = (self.training and needs[0], len(needs) > 1 and needs[1], len(needs) > 2 and needs[2])
        c = x_hat.shape[1]
        sum_dy_xhat = xp.empty(c, dtype=g.dtype) if need_sums[0] or need_sums[1] else None
        sum_dy = xp.empty(c, dtype=g.dtype) if need_sums[0] or need_sums[2] else None
        dx = xp.empty_like(g) if needs[0] else None
        scale = None
        if needs[0]:
            scale = self.inv_std if self.weight is None else self.weight * self.inv_std
        m = x_hat.shape[0] * x_hat.shape[2]

        def work(c0: int, c1: int) -> None:
            part = (slice(None), slice(c0, c1))
            gp, xh = g[part], x_hat[part]
            if sum_dy_xhat is not None:  # Σ g·ẑ without a temporary the size of the activation
                sum_dy_xhat[c0:c1] = xp.einsum("acb,acb->c", gp, xh)
            if sum_dy is not None:
                sum_dy[c0:c1] = gp.sum(axis=(0, 2))
            if dx is None:
                return
            k = scale[c0:c1].reshape(1, -1, 1)
            if self.training:
                # (1/m)·γ/σ·(m·dy − Σdy − ẑ·Σ(dy·ẑ)), with dẑ = γ·dy folded into the scale
                d = dx[part]
                xp.multiply(xh, (sum_dy_xhat[c0:c1] / m).reshape(1, -1, 1), out=d)
                d += (sum_dy[c0:c1] / m).reshape(1, -1, 1)
                xp.subtract(gp, d, out=d)
                d *= k
            else:
                xp.multiply(gp, k, out=dx[part])

        over_channels(work, g)
        dweight = sum_dy_xhat if need_sums[1] else None
        dbias = sum_dy if need_sums[2] else None
        if dx is not None:
            dx = from_channel_view(dx, self.shape, self.channel_major)
        self.x_hat = None
        return (dx, dweight, dbias)[:len(needs)]

"""Transposed convolution ("deconvolution"): the adjoint of ``Conv2d``, the decoder's upsampler.

A convolution with weight W (C_out_conv, C_in_conv, f, f), stride s and padding p is a linear
map x ↦ conv(x). Its transpose (adjoint) maps the other way, from the small map back to the
large one, and is defined by

    ⟨conv(x), y⟩ = ⟨x, conv_transpose(y)⟩      for every x, y (same W, s, p).

PyTorch stores the weight of ``ConvTranspose2d(in, out, ...)`` as (in, out, f, f), which is
exactly the weight of the convolution ``out → in`` it is the transpose of. With
n the input size per side, the output size is

    n_out = (n − 1)·s − 2p + d·(f − 1) + 1 + output_padding      (d the dilation; d = 1: + f).

With dilation d the stamp's cells are d pixels apart (the adjoint of a dilated convolution);
with groups g the input channels and the output channels are split into g groups, group k's
inputs stamping only onto group k's outputs (W is (C_in, C_out/g, f, f), so each group's
W_k is (C_in/g, C_out/g·f·f) and every matmul below is g stacked ones).

Every input pixel scatters a filter-sized stamp, its value times W[c_in, :, :, :], onto the
(strided) output grid; overlapping stamps add. As matrices (the im2col view of
``ops/conv.py``), with X[n] of shape (C_in, H·W) and W reshaped to (C_in, C_out·f·f):

    cols[n] = Wᵀ · X[n]                (C_out·f·f, H·W): every pixel's stamp, one matmul
    Y[n]    = col2im(cols[n]) cropped by p, + b

``output_padding`` (< s or < d, PyTorch's rule) adds rows/columns at the bottom/right: a
stride-s convolution maps several input sizes to the same output size, and this picks which
one to go back to.

Backward, with G = ∂L/∂Y padded by p and cut into windows (the im2col of a plain
convolution with the same stride), cols_G[n] of shape (C_out·f·f, H·W):

    ∂L/∂X[n] = W · cols_G[n]           = conv2d(G, W, stride=s, padding=p, dilation=d, groups=g)
    ∂L/∂W    = Σₙ X[n] · cols_G[n]ᵀ    (one batched matmul)
    ∂L/∂b    = Σ_{n, pixels} G
"""
from __future__ import annotations

from typing import Any

from .. import backend
from ..core.function import Function
from .conv import Pair, grouped_weight, input_grad_stride1, pad_input, scatter_windows, windows


def conv_transpose_out_size(n: int, f: int, s: int, p: int, output_padding: int, d: int = 1) -> int:
    """n_out = (n − 1)·s − 2p + d·(f − 1) + 1 + output_padding."""
    return (n - 1) * s - 2 * p + d * (f - 1) + 1 + output_padding


class ConvTranspose2d(Function):
    """Y = conv_transposeₛ,ₚ(X; W) + b, the adjoint of the stride-s, padding-p convolution.

    Forward:  cols[n] = Wᵀ·X[n];  Y = crop_p(col2im(cols)) + b.
    Backward: ∂L/∂X = W · im2col(pad_p(G)),  ∂L/∂W = Σₙ X[n] · im2col(pad_p(G))[n]ᵀ,
              ∂L/∂b = Σ G.

    Args (keyword, already checked by ``nn.functional.conv_transpose2d``):
        stride: (sh, sw);  padding: (ph, pw), removed from each side;
        output_padding: (oph, opw), extra rows/columns at the bottom/right;
        dilation: (dh, dw);  groups: g (weight is (C_in, C_out/g, kh, kw)).
    """

    def forward(self, x: Any, weight: Any, bias: Any = None, stride: Pair = (1, 1),
                padding: Pair = (0, 0), output_padding: Pair = (0, 0), dilation: Pair = (1, 1),
                groups: int = 1) -> Any:
        xp = backend.xp
        n, c_in, h, w = x.shape
        _, c_out_g, kh, kw = weight.shape
        c_out = c_out_g * groups
        (sh, sw), (ph, pw), (oph, opw), (dh, dw) = stride, padding, output_padding, dilation
        full = (n, c_out, (h - 1) * sh + dh * (kh - 1) + 1 + oph, (w - 1) * sw + dw * (kw - 1) + 1 + opw)
        if (sh, sw) == (1, 1):
            # the input gradient of a stride-1 conv with this weight IS the transposed conv
            out = input_grad_stride1(weight, x, full, dilation, groups)
        else:
            w_t = grouped_weight(weight, groups).transpose(0, 2, 1)  # (g, C_out/g·kh·kw, C_in/g)
            cols = xp.matmul(w_t[None], x.reshape(n, groups, c_in // groups, h * w))
            out = scatter_windows(cols.reshape(n, c_out, kh, kw, h, w), full, stride, dilation)
        oh = full[2] - 2 * ph
        ow = full[3] - 2 * pw
        out = out[:, :, ph:ph + oh, pw:pw + ow]
        if bias is not None:
            out = out + bias.reshape(1, c_out, 1, 1)
        elif ph or pw:
            out = xp.ascontiguousarray(out)
        self.x, self.weight = x, weight
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups
        return out

    def backward(self, grad: Any) -> tuple[Any, ...]:
        xp = backend.xp
        needs = self.needs_input_grad
        x, weight, groups = self.x, self.weight, self.groups
        n, c_in, h, w = x.shape
        kh, kw = weight.shape[2:]
        ph, pw = self.padding
        g_pad = pad_input(grad, ((ph, ph), (pw, pw)))
        # only the first (h−1)·s + d(f−1) + 1 rows/columns are covered; output_padding's never are
        cols = xp.ascontiguousarray(windows(g_pad, (kh, kw), self.stride, (h, w),
                                            dilation=self.dilation))
        cols = cols.reshape(n, groups, -1, h * w)  # (N, g, C_out/g·kh·kw, H·W)
        dx = dw = db = None
        if needs[0]:
            dx = xp.matmul(grouped_weight(weight, groups)[None], cols).reshape(x.shape)
        if needs[1]:
            x4 = x.reshape(n, groups, c_in // groups, h * w)
            dw = xp.matmul(x4, cols.transpose(0, 1, 3, 2)).sum(axis=0).reshape(weight.shape)
        if len(needs) > 2 and needs[2]:
            db = grad.sum(axis=(0, 2, 3))
        self.x = self.weight = None
        return (dx, dw) if len(needs) == 2 else (dx, dw, db)


__all__ = ["ConvTranspose2d", "conv_transpose_out_size"]

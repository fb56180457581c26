"""2-D convolution as one fused op: im2col + a single (batched) matrix product.

Notation of the course: an input of n×n pixels, a filter of f×f, padding p, stride s gives

    n_out = ⌊(n + 2p − f)/s⌋ + 1

pixels per side ("valid" padding: p = 0, so n − f + 1; "same" padding: the output keeps
⌈n/s⌉ pixels). Each output value is a filter's weighted sum over one window of all input
channels, plus the filter's bias — a dot product between the flattened window and the
flattened filter. Gathering every window into a column ("im2col") turns the whole layer
into one matrix product, which BLAS runs fast.

The helpers here are shared with the pooling ops: ``pair``, ``resolve_padding``,
``pad_input`` and ``windows`` (the strided window view, no copy).
"""
from __future__ import annotations

from typing import Any

from .. import backend
from ..core.function import Function
from ..errors import InvalidArgumentError, ShapeError

Pair = tuple[int, int]
Padding2d = tuple[Pair, Pair]  # ((top, bottom), (left, right))


def pair(value: Any, name: str, owner: str) -> Pair:
    """An int or a pair of ints as (height, width), checked to be positive integers."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in items):
        raise InvalidArgumentError(f"{owner}: `{name}` must be an int or a pair of ints, got {value!r}")
    if any(v <= 0 for v in items):
        raise InvalidArgumentError(f"{owner}: `{name}` must be positive, got {value!r}")
    return items[0], items[1]


def output_size(n: int, f: int, pad_total: int, s: int, d: int = 1) -> int:
    """⌊(n + 2p − f)/s⌋ + 1, with 2p generalized to the padding added on both sides and f to
    the dilated extent d·(f − 1) + 1 of the kernel."""
    return (n + pad_total - d * (f - 1) - 1) // s + 1


def same_padding(n: int, f: int, s: int) -> Pair:
    """TensorFlow's "same": pad so the output has ⌈n/s⌉ pixels; the odd pixel goes after.

    With stride 1 this is the course's p = (f − 1)/2 on each side for odd f.
    """
    out = -(-n // s)
    total = max((out - 1) * s + f - n, 0)
    return total // 2, total - total // 2


def resolve_padding(padding: Any, in_hw: Pair, kernel: Pair, stride: Pair, owner: str,
                    dilation: Pair = (1, 1)) -> Padding2d:
    """Turn ``padding`` ("valid", "same", p, (ph, pw)) into ((top, bottom), (left, right)).

    "same" pads for the dilated kernel extent d·(f − 1) + 1 (with stride 1: d·(f − 1) in
    all, the odd one after, as PyTorch)."""
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return (0, 0), (0, 0)
        if mode == "same":
            extent = [d * (f - 1) + 1 for f, d in zip(kernel, dilation)]
            return (same_padding(in_hw[0], extent[0], stride[0]),
                    same_padding(in_hw[1], extent[1], stride[1]))
        raise InvalidArgumentError(
            f"{owner}: padding must be 'valid', 'same', an int or a pair, got {padding!r}")
    items = tuple(padding) if isinstance(padding, (tuple, list)) else (padding, padding)
    if len(items) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0
                                  for v in items):
        raise InvalidArgumentError(
            f"{owner}: padding must be 'valid', 'same', a non-negative int or a pair of them, "
            f"got {padding!r}"
        )
    return (items[0], items[0]), (items[1], items[1])


def check_4d(x: Any, owner: str, channels: int | None = None) -> None:
    """A clear error unless ``x`` is (N, C, H, W) with the expected C."""
    if x.ndim != 4:
        expected = f"(N, {channels}, H, W)" if channels is not None else "(N, C, H, W)"
        raise ShapeError(f"{owner}: expected a 4-D input {expected}, got shape {tuple(x.shape)}")
    if channels is not None and x.shape[1] != channels:
        raise ShapeError(
            f"{owner}: expected input with {channels} channels, shape (N, {channels}, H, W), "
            f"got shape {tuple(x.shape)}"
        )


def pad_input(x: Any, padding: Padding2d, value: float = 0.0) -> Any:
    """x with ``padding`` rows/columns of ``value`` around H and W (x itself when none)."""
    (top, bottom), (left, right) = padding
    if top == bottom == left == right == 0:
        return x
    n, c, h, w = x.shape
    out = backend.xp.full((n, c, h + top + bottom, w + left + right), value, dtype=x.dtype)
    out[:, :, top:top + h, left:left + w] = x
    return out


def windows(xp_: Any, kernel: Pair, stride: Pair, out_hw: Pair, layout: str = "kernel_first",
            dilation: Pair = (1, 1)) -> Any:
    """A strided view (no copy) of every f×f window of the padded input.

    ``layout="kernel_first"`` gives (N, C, kh, kw, OH, OW), the order whose copy is the im2col
    matrix; ``"kernel_last"`` gives (N, C, OH, OW, kh, kw), handy for pooling. With dilation d
    the window's cells are d apart: cell (i, j) of window (r, c) is pixel (r·s + i·d, c·s + j·d).
    The view must only be read (read-only on the CPU; CuPy's ``as_strided`` cannot enforce it).
    """
    (kh, kw), (sh, sw), (oh, ow), (dh, dw) = kernel, stride, out_hw, dilation
    n, c = xp_.shape[:2]
    s_n, s_c, s_h, s_w = xp_.strides
    if layout == "kernel_first":
        shape = (n, c, kh, kw, oh, ow)
        strides = (s_n, s_c, s_h * dh, s_w * dw, s_h * sh, s_w * sw)
    else:
        shape = (n, c, oh, ow, kh, kw)
        strides = (s_n, s_c, s_h * sh, s_w * sw, s_h * dh, s_w * dw)
    return backend.as_strided(xp_, shape, strides, writeable=False)  # read-only on the CPU


def scatter_windows(dwin: Any, padded_shape: tuple[int, ...], stride: Pair,
                    dilation: Pair = (1, 1)) -> Any:
    """col2im: add each window's gradient back onto the (padded) input positions it came from.

    ``dwin`` is (N, C, kh, kw, OH, OW). Overlapping windows add up. The loop runs over the
    kh·kw kernel offsets only; each step is one vectorized strided add of a whole
    (N, C, OH, OW) slab: offset (i, j) of every window lands on rows i·d + r·s, columns
    j·d + c·s.
    """
    xp = backend.xp
    _, _, kh, kw, oh, ow = dwin.shape
    (sh, sw), (dh, dw) = stride, dilation
    out = xp.zeros(padded_shape, dtype=dwin.dtype)
    for i in range(kh):
        for j in range(kw):
            r, c = i * dh, j * dw
            out[:, :, r:r + sh * (oh - 1) + 1:sh, c:c + sw * (ow - 1) + 1:sw] += dwin[:, :, i, j]
    return out


def grouped_weight(weight: Any, groups: int) -> Any:
    """W (out, C/g, kh, kw) as g stacked matrices (g, out/g, C/g·kh·kw): group k's filters
    see only input channels k·C/g … (k + 1)·C/g − 1 and write outputs k·out/g … ."""
    out_c = weight.shape[0]
    return weight.reshape(groups, out_c // groups, -1)


def input_grad_stride1(weight: Any, grad: Any, padded_shape: tuple[int, ...],
                       dilation: Pair = (1, 1), groups: int = 1) -> Any:
    """∂L/∂(padded input) of a stride-1 convolution: the matmul Wᵀ·G, then col2im.

    The col2im adds here run along whole flattened rows. Every output row is widened from
    OW to the padded width Wp with zero gradient columns; then window offset (i, j) of all
    OH rows of an image lands on ONE contiguous run of the flattened padded image, starting
    at i·d·Wp + j·d (d the dilation). A slab add over long contiguous runs is several times
    faster than over many short OW-long rows (small LeNet-sized maps). The zero columns only
    ever add 0, including where a run overhangs the end of a row.
    """
    xp = backend.xp
    n, out_c, oh, ow = grad.shape
    cg, kh, kw = weight.shape[1:]
    c = cg * groups
    hp, wp = padded_shape[2], padded_shape[3]
    dh, dw = dilation
    if ow == wp:
        g_wide = grad.reshape(n, groups, out_c // groups, oh * wp)
    else:
        g_wide = xp.zeros((n, out_c, oh, wp), dtype=grad.dtype)
        g_wide[..., :ow] = grad
        g_wide = g_wide.reshape(n, groups, out_c // groups, oh * wp)
    w_t = grouped_weight(weight, groups).transpose(0, 2, 1)
    dcols = xp.matmul(w_t[None], g_wide).reshape(n, c, kh, kw, oh * wp)
    run = oh * wp
    flat = xp.zeros((n, c, hp * wp + dw * (kw - 1)), dtype=grad.dtype)
    for i in range(kh):
        for j in range(kw):
            start = i * dh * wp + j * dw
            flat[:, :, start:start + run] += dcols[:, :, i, j]
    return flat[:, :, :hp * wp].reshape(n, c, hp, wp)


def crop(x: Any, padding: Padding2d) -> Any:
    """Remove ``padding`` again (a view)."""
    (top, bottom), (left, right) = padding
    h, w = x.shape[2], x.shape[3]
    return x[:, :, top:h - bottom, left:w - right]


class Conv2d(Function):
    """Z = W ∗ X + b, the 2-D convolution (cross-correlation, as in every DL library).

    Forward (im2col): each window of the padded input, all C channels, flattened to a
    column of length C·kh·kw, so the input becomes cols of shape (N, C·kh·kw, OH·OW); with
    W reshaped to (out, C·kh·kw),

        Z[n] = W · cols[n] + b        (one batched matmul, output already N, out, OH, OW).

    Dilation d spreads the kernel's cells d pixels apart (a 3×3 kernel with d = 2 covers
    5×5): only the window view changes. Groups g split the C input and the out output
    channels into g groups; group k is a convolution of its C/g inputs to its out/g outputs
    (g = C = out is a depthwise convolution). The columns of group k are rows
    k·C/g·kh·kw … of cols, so the matmul becomes g stacked ones:
    Z[n, k] = W_k · cols[n, k].

    Backward, with G = ∂L/∂Z reshaped to (N, out, OH·OW) (per group likewise):

        ∂L/∂W = Σₙ G[n] · cols[n]ᵀ,   ∂L/∂b = Σ_{n, pixels} G,
        ∂L/∂cols[n] = Wᵀ · G[n],      then col2im: every window's gradient is added back
                                       onto the input pixels it covered (overlaps add).

    Args (keyword, already resolved by ``nn.functional.conv2d``):
        stride: (sh, sw);  padding: ((top, bottom), (left, right));  dilation: (dh, dw);
        groups: g, dividing both C and out (weight is (out, C/g, kh, kw)).
    """

    def forward(self, x: Any, weight: Any, bias: Any = None, stride: Pair = (1, 1),
                padding: Padding2d = ((0, 0), (0, 0)), dilation: Pair = (1, 1),
                groups: int = 1) -> Any:
        xp = backend.xp
        n, c, h, w = x.shape
        out_c, _, kh, kw = weight.shape
        (pt, pb), (pl, pr) = padding
        oh = output_size(h, kh, pt + pb, stride[0], dilation[0])
        ow = output_size(w, kw, pl + pr, stride[1], dilation[1])
        padded = pad_input(x, padding)
        if kh == kw == 1:  # 1×1 conv: the columns are just the (strided) pixels
            sampled = padded[:, :, :(oh - 1) * stride[0] + 1:stride[0], :(ow - 1) * stride[1] + 1:stride[1]]
            cols = xp.ascontiguousarray(sampled).reshape(n, groups, -1, oh * ow)
        else:
            cols = xp.ascontiguousarray(windows(padded, (kh, kw), stride, (oh, ow),
                                                dilation=dilation))
            cols = cols.reshape(n, groups, -1, oh * ow)
        # [None]: NumPy's matmul takes a slow non-BLAS path for a 2-D @ 3-D broadcast.
        out = xp.matmul(grouped_weight(weight, groups)[None], cols)
        out = out.reshape(n, out_c, oh * ow)
        if bias is not None:
            out += bias.reshape(1, out_c, 1)
        self.padded_shape, self.stride, self.padding = padded.shape, stride, padding
        self.dilation, self.groups, self.weight = dilation, groups, weight
        self.cols = cols if self.needs_input_grad[1] else None
        return out.reshape(n, out_c, oh, ow)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        xp = backend.xp
        needs = self.needs_input_grad
        weight, groups = self.weight, self.groups
        n, out_c, oh, ow = grad.shape
        g = grad.reshape(n, groups, out_c // groups, oh * ow)
        dw = dx = db = None
        if needs[1]:
            dw = xp.matmul(g, self.cols.transpose(0, 1, 3, 2)).sum(axis=0).reshape(weight.shape)
            self.cols = None
        if len(needs) > 2 and needs[2]:
            db = grad.sum(axis=(0, 2, 3))
        if needs[0]:
            c, kh, kw = weight.shape[1] * groups, weight.shape[2], weight.shape[3]
            w_t = grouped_weight(weight, groups).transpose(0, 2, 1)[None]
            if self.stride == (1, 1) and (kh, kw) != (1, 1):
                dpadded = input_grad_stride1(weight, grad, self.padded_shape, self.dilation, groups)
            elif self.stride == (1, 1):  # 1×1: the columns are the pixels themselves
                dpadded = xp.matmul(w_t, g).reshape(self.padded_shape)
            else:
                dcols = xp.matmul(w_t, g).reshape(n, c, kh, kw, oh, ow)
                dpadded = scatter_windows(dcols, self.padded_shape, self.stride, self.dilation)
            dx = crop(dpadded, self.padding)
        return (dx, dw) if len(needs) == 2 else (dx, dw, db)


def conv_out_hw(in_hw: Pair, kernel: Pair, stride: Pair, padding: Padding2d,
                dilation: Pair = (1, 1)) -> Pair:
    """Output (OH, OW) by the course's formula (f → d·(f − 1) + 1 with dilation)."""
    return (output_size(in_hw[0], kernel[0], sum(padding[0]), stride[0], dilation[0]),
            output_size(in_hw[1], kernel[1], sum(padding[1]), stride[1], dilation[1]))


def check_fits(in_hw: Pair, kernel: Pair, padding: Padding2d, owner: str,
               dilation: Pair = (1, 1)) -> None:
    """A clear error when the (dilated) kernel is larger than the padded input."""
    ph, pw = in_hw[0] + sum(padding[0]), in_hw[1] + sum(padding[1])
    eh, ew = dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1
    if eh > ph or ew > pw:
        extent = "" if dilation == (1, 1) else f" (dilated by {dilation} to {eh}×{ew})"
        raise ShapeError(
            f"{owner}: kernel {kernel[0]}×{kernel[1]}{extent} is larger than the padded input "
            f"{ph}×{pw} (input {in_hw[0]}×{in_hw[1]}, padding {padding})"
        )


def check_groups(in_channels: int, out_channels: int, groups: Any, owner: str) -> int:
    """``groups`` as an int that divides both channel counts (PyTorch's rule), else a clear error."""
    if not isinstance(groups, int) or isinstance(groups, bool) or groups <= 0:
        raise InvalidArgumentError(f"{owner}: `groups` must be a positive int, got {groups!r}")
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
        if value % groups:
            raise InvalidArgumentError(
                f"{owner}: {name}={value} must be divisible by groups={groups}")
    return groups


__all__ = ["Conv2d", "pair", "resolve_padding", "output_size", "same_padding", "windows",
           "scatter_windows", "pad_input", "crop", "check_4d", "check_fits", "check_groups",
           "conv_out_hw", "grouped_weight"]

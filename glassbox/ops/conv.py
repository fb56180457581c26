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

import threading
from typing import Any

from .. import backend
from ..parallel import run_chunks, workers
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


# ----------------------------------------------------------------------------------------
# The fast path ("gemm"): large matrix products over the batch, channel-major, in chunks.
#
# A per-sample batched matmul issues N small products (out × C·kh·kw times C·kh·kw × OH·OW);
# BLAS cannot spread such small products over the cores. Gathering the windows of many
# samples into one matrix instead,
#
#     cols (C·kh·kw, m·OH·OW),    Z[:, chunk] = W · cols   (out, m·OH·OW),
#
# is one large GEMM that threads. The result is laid out channel-major, (out, N, OH, OW),
# and handed on as the (N, out, OH, OW) *transposed view* of that memory, so no transpose
# copy is needed: batch norm, ReLU, pooling and the next convolution read any strides, and
# the next convolution's window view of a channel-major input is again a plain strided view.
#
# cols is C·kh·kw times larger than the input (9× for 3×3): streaming it through memory for
# the whole batch costs more than the GEMM. So the batch is cut into chunks of m samples
# whose cols (≈ CHUNK_BYTES) stay in cache, written into a scratch buffer kept across calls;
# backward rebuilds each chunk's cols instead of keeping them. Per chunk, with G = ∂L/∂Z:
#
#     ∂L/∂W += G[:, chunk] · colsᵀ,    ∂L/∂cols = Wᵀ · G[:, chunk],  then col2im.
# ----------------------------------------------------------------------------------------
ALGORITHMS = ("gemm", "im2col")
DEFAULT_ALGORITHM = "gemm"
CHUNK_BYTES = 4 * 2**20
_scratch = threading.local()


def workspace(key: tuple, shape: tuple[int, ...], dtype: Any, zero: bool = False) -> Any:
    """A scratch array kept across calls (per thread) under ``key`` + shape + dtype.

    ``zero=True`` zero-fills it once, when created: callers rely on cells they never write
    (a padded border, widened gradient columns) staying 0 — so ``key`` must pin down *which*
    cells those are (e.g. the padded height and width, not just the buffer's size): two
    layouts sharing one buffer would leave each other's data in those cells.
    """
    xp = backend.xp
    cache = getattr(_scratch, "arrays", None)
    if cache is None:
        cache = _scratch.arrays = {}
    full_key = (key, shape, str(dtype), xp.__name__)
    buf = cache.get(full_key)
    if buf is None:
        buf = (xp.zeros if zero else xp.empty)(shape, dtype=dtype)
        cache[full_key] = buf
    return buf


# Threads: with more than one BLAS thread the chunks go to the worker pool of
# ``glassbox.parallel`` (one BLAS thread per worker), since a GEMM of one chunk is too small
# for BLAS to split well over the cores and the im2col copies around it would run on one.
def channel_major(x: Any) -> Any:
    """(N, C, H, W) → its (C, N, H, W) transpose (a view; contiguous when x is the output of a
    channel-major op)."""
    return x.transpose(1, 0, 2, 3)


def batch_chunks(n: int, per_sample: int, itemsize: int) -> list[tuple[int, int]]:
    """[(n0, n1), …]: the batch cut into runs of m samples, m·per_sample·itemsize ≤ CHUNK_BYTES,
    as many runs as a multiple of the worker threads (so none waits on the last chunk) and
    of nearly equal sizes."""
    t = workers()
    m = max(1, min(-(-n // t), CHUNK_BYTES // max(1, per_sample * itemsize)))
    k = min(n, -(-(-(-n // m)) // t) * t)  # chunks: ⌈n/m⌉ rounded up to a multiple of t
    m = -(-n // k)
    return [(n0, min(n, n0 + m)) for n0 in range(0, n, m)]


def chunk_columns(xc: Any, n0: int, n1: int, m_max: int, kernel: Pair, stride: Pair,
                  padding: Padding2d, out_hw: Pair, dilation: Pair) -> Any:
    """im2col of samples n0…n1−1 of the channel-major input xc (C, N, H, W): the matrix
    (C·kh·kw, m·OH·OW) whose row (c, i, j), column (n, r, q) is pixel
    (r·s + i·d, q·s + j·d) of channel c of sample n0 + n of the padded input. Written into
    scratch buffers; valid until the next call."""
    xp = backend.xp
    c, _, h, w = xc.shape
    (kh, kw), (sh, sw), (oh, ow), (dh, dw) = kernel, stride, out_hw, dilation
    (pt, pb), (pl, pr) = padding
    m = n1 - n0
    if pt or pb or pl or pr:
        hp, wp = h + pt + pb, w + pl + pr
        buf = workspace(("pad", padding), (c, m_max, hp, wp), xc.dtype, zero=True)[:, :m]
        buf[:, :, pt:pt + h, pl:pl + w] = xc[:, n0:n1]    # the border stays 0
    else:
        buf = xc[:, n0:n1]
    s_c, s_n, s_h, s_w = buf.strides
    view = backend.as_strided(
        buf, (c, kh, kw, m, oh, ow), (s_c, s_h * dh, s_w * dw, s_n, s_h * sh, s_w * sw),
        writeable=False)
    cols = workspace(("cols",), (c * kh * kw * m_max * oh * ow,), xc.dtype)
    cols = cols[:c * kh * kw * m * oh * ow].reshape(c, kh, kw, m, oh, ow)
    cols[...] = view
    return cols.reshape(c * kh * kw, m * oh * ow)


def wide_columns(xc: Any, n0: int, n1: int, m_max: int, kernel: Pair, padding: Padding2d,
                 dilation: Pair) -> Any:
    """im2col of samples n0…n1−1 for a stride-1 convolution, *widened*: the matrix
    (C·kh·kw, m·OH·Wp) whose row (c, i, j), column (n, r, q) is pixel (r + i·d, q + j·d) of
    the padded image, q running over the whole padded width Wp instead of OW.

    Widening is what makes it fast: with q up to Wp the OH rows of one image are one
    contiguous run of the flattened padded image, OH·Wp long, starting at i·d·Wp + j·d, so
    the copy is (C, kh, kw, m) long runs instead of C·kh·kw·m·OH short rows of OW pixels
    (3–8× faster measured). The Wp − OW extra columns per row are windows that hang over the
    right edge; they read real (finite) pixels of the next row, give outputs that are thrown
    away, and in backward meet gradient columns that are 0. The padded copy keeps
    d·(kw − 1) zeros of slack after each channel so the last run stays inside it.
    """
    c, _, h, w = xc.shape
    (kh, kw), (dh, dw) = kernel, dilation
    (pt, pb), (pl, pr) = padding
    hp, wp = h + pt + pb, w + pl + pr
    oh, m, image = hp - dh * (kh - 1), n1 - n0, hp * wp
    # keyed by (Hp, Wp) too: the border cells that must stay 0 depend on them, not on the size
    flat = workspace(("widepad", padding, hp, wp), (c, m_max * image + dw * (kw - 1)), xc.dtype,
                     zero=True)
    flat[:, :m_max * image].reshape(c, m_max, hp, wp)[:, :m, pt:pt + h, pl:pl + w] = xc[:, n0:n1]
    if m < m_max and pt == 0:  # the last run reads d·(kw − 1) cells into sample m: not stale data
        flat[:, m * image:m * image + dw * (kw - 1)] = 0
    item = flat.itemsize
    view = backend.as_strided(flat, (c, kh, kw, m, oh * wp),
                              (flat.strides[0], dh * wp * item, dw * item, image * item, item),
                              writeable=False)
    cols = workspace(("cols",), (c * kh * kw * m_max * oh * wp,), xc.dtype)
    cols = cols[:c * kh * kw * m * oh * wp].reshape(c, kh, kw, m, oh * wp)
    cols[...] = view
    return cols.reshape(c * kh * kw, m * oh * wp)


def stride1_conv(xc: Any, w2: Any, kernel: Pair, padding: Padding2d, dilation: Pair,
                 bias: Any = None) -> Any:
    """Z = W ∗ X (+ b) for a stride-1 convolution, channel-major in and out: xc (C, N, H, W)
    and w2 = W as (out, C·kh·kw) give Z (out, N, OH, OW), contiguous.

    Per chunk of m samples: the widened columns (``wide_columns``), one GEMM
    Z_wide = W · cols (out, m·OH·Wp), then the OW real columns of each row copied out (and
    the bias added there, while the chunk is in cache).
    """
    xp = backend.xp
    c, n, h, w = xc.shape
    out_c, (kh, kw), (dh, dw) = w2.shape[0], kernel, dilation
    hp, wp = h + sum(padding[0]), w + sum(padding[1])
    oh, ow = hp - dh * (kh - 1), wp - dw * (kw - 1)
    out = xp.empty((out_c, n, oh, ow), dtype=xc.dtype)
    chunks = batch_chunks(n, c * kh * kw * oh * wp, xc.dtype.itemsize)
    m_max = chunks[0][1]

    def work(n0: int, n1: int) -> None:
        cols = wide_columns(xc, n0, n1, m_max, kernel, padding, dilation)
        z = workspace(("zwide",), (out_c, m_max * oh * wp), xc.dtype)[:, :cols.shape[1]]
        xp.matmul(w2, cols, out=z)
        if bias is None:
            out[:, n0:n1] = z.reshape(out_c, n1 - n0, oh, wp)[..., :ow]
        else:
            xp.add(z.reshape(out_c, n1 - n0, oh, wp)[..., :ow], bias.reshape(out_c, 1, 1, 1),
                   out=out[:, n0:n1])

    run_chunks(work, chunks)
    return out


def sum_parts(parts: list[Any]) -> Any:
    """Σ of the chunks' partial weight gradients (added into the first)."""
    total = parts[0]
    for part in parts[1:]:
        total += part
    return total


def worth_full_conv(full: Padding2d | None, padding: Padding2d) -> bool:
    """Whether ∂L/∂X should be the full convolution: possible (``full`` not None) and no
    more padded than the forward ("same"-like, d·(f − 1) − p ≤ p on every side). A "valid"
    5×5 convolution would pad G by 4 on each side, and col2im is faster there (measured:
    LeNet-5's second conv 2.6 against 3.5 ms; 3×3 "same" convs 10–15 % the other way)."""
    return full is not None and all(f <= p for fs, ps in zip(full, padding) for f, p in zip(fs, ps))


def flipped_kernel(weight: Any) -> Any:
    """rot180(W) with in and out swapped: W' (C, out, kh, kw), W'[c, o, i, j] =
    W[o, c, kh−1−i, kw−1−j] — the kernel that carries ∂L/∂Z back to ∂L/∂X."""
    return backend.xp.ascontiguousarray(weight.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1])


def full_padding(kernel: Pair, padding: Padding2d, dilation: Pair) -> Padding2d | None:
    """The padding of the "full" convolution that gives a stride-1 convolution's input
    gradient: d·(f − 1) − p on each side (None when p > d·(f − 1): padding wider than the
    kernel reaches, where that formula would crop)."""
    sides = tuple(tuple(d * (f - 1) - p for p in pads)
                  for f, pads, d in zip(kernel, padding, dilation))
    if min(min(s) for s in sides) < 0:
        return None
    return sides  # type: ignore[return-value]


def add_chunk_input_grad(dflat: Any, dcols: Any, n0: int, m: int, padded_hw: Pair,
                         kernel: Pair, stride: Pair, out_hw: Pair, dilation: Pair) -> None:
    """col2im of one chunk: add dcols (C·kh·kw, m·OH·W') onto the flat channel-major padded
    input gradient dflat (C, N·Hp·Wp + extra).

    Stride 1: dcols came from G's rows widened to Wp with zero columns (W' = Wp), so kernel
    offset (i, j) of all OH rows of one image is one contiguous run starting at i·d·Wp + j·d,
    and the m images' runs are Hp·Wp apart: one strided add per offset over (C, m, run); the
    zero columns only ever add 0, also where a run overhangs a row. The run stops after the
    last row's OW real columns, (OH − 1)·Wp + OW long, so it never reaches the next image
    (which another thread may be writing).
    Other strides add (C, m, OH, OW) slabs onto rows i·d + r·s, columns j·d + q·s.
    """
    xp = backend.xp
    (hp, wp), (kh, kw), (sh, sw), (oh, ow), (dh, dw) = padded_hw, kernel, stride, out_hw, dilation
    c, image, item = dflat.shape[0], hp * wp, dflat.itemsize
    if stride == (1, 1) and dcols.shape[1] == m * oh * wp:  # widened columns
        run = (oh - 1) * wp + ow
        d5 = dcols.reshape(c, kh, kw, m, oh * wp)
        for i in range(kh):
            for j in range(kw):
                begin = n0 * image + i * dh * wp + j * dw
                target = backend.as_strided(
                    dflat[:, begin:], (c, m, run), (dflat.strides[0], image * item, item))
                target += d5[:, i, j, :, :run]
        return
    d6 = dcols.reshape(c, kh, kw, m, oh, ow)
    d4 = dflat.reshape(c, -1, hp, wp)[:, n0:n0 + m]
    for i in range(kh):
        for j in range(kw):
            r, q = i * dh, j * dw
            d4[:, :, r:r + sh * (oh - 1) + 1:sh, q:q + sw * (ow - 1) + 1:sw] += d6[:, i, j]


def pad_channel_major(xc: Any, padding: Padding2d) -> Any:
    """(C, N, H, W) → (C, N, H + top + bottom, W + left + right), zeros around."""
    (top, bottom), (left, right) = padding
    if top == bottom == left == right == 0:
        return xc
    c, n, h, w = xc.shape
    out = backend.xp.zeros((c, n, h + top + bottom, w + left + right), dtype=xc.dtype)
    out[:, :, top:top + h, left:left + w] = xc
    return out


def columns_channel_major(padded: Any, kernel: Pair, stride: Pair, out_hw: Pair,
                          dilation: Pair) -> Any:
    """im2col of a whole channel-major padded input (C, N, Hp, Wp): (C·kh·kw, N·OH·OW)
    (a copy; for 1×1 kernels with stride 1 just a reshape when possible)."""
    xp = backend.xp
    (kh, kw), (sh, sw), (oh, ow), (dh, dw) = kernel, stride, out_hw, dilation
    c, n = padded.shape[:2]
    s_c, s_n, s_h, s_w = padded.strides
    if kh == kw == 1:
        view = padded[:, :, :(oh - 1) * sh + 1:sh, :(ow - 1) * sw + 1:sw]
    else:
        view = backend.as_strided(
            padded, (c, kh, kw, n, oh, ow), (s_c, s_h * dh, s_w * dw, s_n, s_h * sh, s_w * sw),
            writeable=False)
    return xp.ascontiguousarray(view).reshape(c * kh * kw, n * oh * ow)


def grouped_matmul(a: Any, b: Any, groups: int) -> Any:
    """a·b for one group (2-D, one GEMM), else g stacked products a[k]·b[k]."""
    xp = backend.xp
    if groups == 1:
        return xp.matmul(a.reshape(a.shape[-2:]) if a.ndim == 3 else a,
                         b.reshape(b.shape[-2:]) if b.ndim == 3 else b)
    return xp.matmul(a, b)


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
                groups: int = 1, algorithm: str | None = None) -> Any:
        xp = backend.xp
        n, c, h, w = x.shape
        out_c, _, kh, kw = weight.shape
        (pt, pb), (pl, pr) = padding
        oh = output_size(h, kh, pt + pb, stride[0], dilation[0])
        ow = output_size(w, kw, pl + pr, stride[1], dilation[1])
        self.stride, self.padding = stride, padding
        self.dilation, self.groups, self.weight = dilation, groups, weight
        self.algorithm = DEFAULT_ALGORITHM if algorithm is None else algorithm
        if self.algorithm == "gemm":
            return self._forward_gemm(x, weight, bias, (oh, ow))
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
        self.padded_shape = padded.shape
        self.cols = cols if self.needs_input_grad[1] else None
        return out.reshape(n, out_c, oh, ow)

    def _forward_gemm(self, x: Any, weight: Any, bias: Any, out_hw: Pair) -> Any:
        """Z = W · cols over the batch, channel-major (see ``channel_major``): in cache-sized
        chunks (``chunk_columns``), or for 1×1 and grouped convolutions in one product."""
        xp = backend.xp
        n, c = x.shape[:2]
        out_c, _, kh, kw = weight.shape
        groups, (oh, ow) = self.groups, out_hw
        xc = channel_major(x)
        self.out_hw, self.x = out_hw, (x if self.needs_input_grad[1] else None)
        self.chunked = groups == 1 and (kh, kw) != (1, 1)
        # widened columns save copying C·kh·kw rows and cost copying out_c output rows: they pay
        # when the first is larger (a 1 → 32 first layer: 2.2 against 1.3 ms without, forward)
        self.wide = self.chunked and self.stride == (1, 1) and c * kh * kw >= out_c
        self.padded_shape = (c, n, x.shape[2] + sum(self.padding[0]),
                             x.shape[3] + sum(self.padding[1]))
        if self.wide:
            out = stride1_conv(xc, weight.reshape(out_c, -1), (kh, kw), self.padding,
                               self.dilation, bias).reshape(out_c, -1)
            bias = None  # added per chunk
        elif self.chunked:
            out = xp.empty((out_c, n, oh * ow), dtype=x.dtype)
            w2 = weight.reshape(out_c, -1)
            chunks = batch_chunks(n, c * kh * kw * oh * ow, x.dtype.itemsize)
            m_max = chunks[0][1]

            def work(n0: int, n1: int) -> None:
                cols = chunk_columns(xc, n0, n1, m_max, (kh, kw), self.stride, self.padding,
                                     out_hw, self.dilation)
                # out[:, n0:n1] is (out, m, OH·OW) with contiguous m·OH·OW rows: a 2-D view
                xp.matmul(w2, cols, out=out[:, n0:n1].reshape(out_c, (n1 - n0) * oh * ow))

            run_chunks(work, chunks)
            out = out.reshape(out_c, -1)
        else:
            padded = pad_channel_major(xc, self.padding)
            cols = columns_channel_major(padded, (kh, kw), self.stride, out_hw, self.dilation)
            if groups > 1:
                cols = cols.reshape(groups, -1, cols.shape[1])
            out = grouped_matmul(grouped_weight(weight, groups), cols, groups).reshape(out_c, -1)
            self.padded_shape = padded.shape
            self.cols = cols if self.needs_input_grad[1] else None
        if bias is not None:
            out += bias.reshape(out_c, 1)
        return channel_major(out.reshape(out_c, n, oh, ow))

    def _backward_gemm(self, grad: Any) -> tuple[Any, ...]:
        xp = backend.xp
        needs, weight, groups = self.needs_input_grad, self.weight, self.groups
        out_c = weight.shape[0]
        g = xp.ascontiguousarray(channel_major(grad)).reshape(out_c, -1)
        db = g.sum(axis=1) if len(needs) > 2 and needs[2] else None
        if self.wide:
            dx, dw = self._backward_wide(g, needs[0], needs[1])
        elif self.chunked:
            dx, dw = self._backward_chunked(g, needs[0], needs[1])
        else:
            dx, dw = self._backward_whole(g, needs[0], needs[1])
        self.x = self.cols = None
        return (dx, dw) if len(needs) == 2 else (dx, dw, db)

    def _backward_wide(self, g: Any, needs_x: bool, needs_w: bool) -> tuple[Any, Any]:
        """Stride 1, per chunk, with G widened to Wp by zero columns: ∂L/∂W = Σ_chunks
        G_wide · colsᵀ (the columns widened alike); ∂L/∂X either as the "full" convolution of
        G with the flipped kernel, ∂L/∂X = G ∗ rot180(W)ᵀ padded by d·(f − 1) − p — the chain
        rule of a convolution is again a convolution, run on the same fast forward path — or,
        where that would pad more than the forward did (``worth_full_conv``), as
        Wᵀ · G_wide followed by col2im over contiguous runs (``add_chunk_input_grad``)."""
        xp = backend.xp
        weight = self.weight
        out_c, c, kh, kw = weight.shape
        _, n, hp, wp = self.padded_shape
        oh, ow = self.out_hw
        full = full_padding((kh, kw), self.padding, self.dilation) if needs_x else None
        as_conv = needs_x and worth_full_conv(full, self.padding)
        col2im = needs_x and not as_conv
        g4, w_t = g.reshape(out_c, n, oh, ow), weight.reshape(out_c, -1).T
        xc = channel_major(self.x) if needs_w else None
        dflat = xp.zeros((c, n * hp * wp), dtype=g.dtype) if col2im else None
        chunks = batch_chunks(n, c * kh * kw * oh * wp, g.dtype.itemsize)
        m_max = chunks[0][1]

        def work(n0: int, n1: int) -> Any:
            m = n1 - n0
            g_wide = workspace(("gwide", ow), (out_c, m_max, oh, wp), g.dtype, zero=True)
            g_wide[:, :m, :, :ow] = g4[:, n0:n1]  # columns ≥ OW never written: stay 0
            g_rows = g_wide[:, :m].reshape(out_c, m * oh * wp)
            part = None
            if needs_w:
                cols = wide_columns(xc, n0, n1, m_max, (kh, kw), self.padding, self.dilation)
                part = xp.matmul(cols, g_rows.T).T  # (∂L/∂W)ᵀ = cols·Gᵀ: ~2× faster GEMM here
            if col2im:
                dcols = workspace(("dcols",), (c * kh * kw, m_max * oh * wp), g.dtype)[:, :m * oh * wp]
                xp.matmul(w_t, g_rows, out=dcols)
                add_chunk_input_grad(dflat, dcols, n0, m, (hp, wp), (kh, kw), (1, 1),
                                     self.out_hw, self.dilation)
            return part

        parts = run_chunks(work, chunks) if needs_w or col2im else []
        dw = sum_parts(parts).reshape(weight.shape) if needs_w else None
        dx = None
        if as_conv:
            dx = channel_major(stride1_conv(g4, flipped_kernel(weight).reshape(c, -1), (kh, kw),
                                            full, self.dilation))
        elif col2im:
            dx = channel_major(crop(dflat.reshape(c, n, hp, wp), self.padding))
        return dx, dw

    def _backward_chunked(self, g: Any, needs_x: bool, needs_w: bool) -> tuple[Any, Any]:
        xp = backend.xp
        weight = self.weight
        out_c, c, kh, kw = weight.shape
        _, n, hp, wp = self.padded_shape
        oh, ow = self.out_hw
        g3 = g.reshape(out_c, n, oh * ow)
        chunks = batch_chunks(n, c * kh * kw * oh * ow, g.dtype.itemsize)
        m_max = chunks[0][1]
        xc = channel_major(self.x) if needs_w else None
        w_t = weight.reshape(out_c, -1).T
        dflat = xp.zeros((c, n * hp * wp), dtype=g.dtype) if needs_x else None

        def work(n0: int, n1: int) -> Any:  # strided convolutions (stride 1: _backward_wide)
            m = n1 - n0
            g_chunk = g3[:, n0:n1].reshape(out_c, m * oh * ow)
            part = None
            if needs_w:
                cols = chunk_columns(xc, n0, n1, m_max, (kh, kw), self.stride, self.padding,
                                     self.out_hw, self.dilation)
                part = xp.matmul(cols, g_chunk.T).T  # (∂L/∂W)ᵀ = cols·Gᵀ: ~2× faster GEMM here
            if needs_x:
                dcols = workspace(("dcols",), (c * kh * kw, m_max * oh * ow), g.dtype)[:, :m * oh * ow]
                xp.matmul(w_t, g_chunk, out=dcols)
                add_chunk_input_grad(dflat, dcols, n0, m, (hp, wp), (kh, kw), self.stride,
                                     self.out_hw, self.dilation)
            return part

        parts = run_chunks(work, chunks)
        dw = sum_parts(parts).reshape(weight.shape) if needs_w else None
        dx = None
        if needs_x:
            dx = channel_major(crop(dflat.reshape(c, n, hp, wp), self.padding))
        return dx, dw

    def _backward_whole(self, g: Any, needs_x: bool, needs_w: bool) -> tuple[Any, Any]:
        weight, groups = self.weight, self.groups
        out_c, c = weight.shape[0], weight.shape[1] * groups
        if groups > 1:
            g = g.reshape(groups, out_c // groups, -1)
        dx = dw = None
        if needs_w:
            dw = grouped_matmul(g, self.cols.swapaxes(-1, -2), groups).reshape(weight.shape)
        if needs_x:
            w_t = grouped_weight(weight, groups).transpose(0, 2, 1)
            dcols = grouped_matmul(w_t, g, groups)
            kh, kw = weight.shape[2:]
            _, n, hp, wp = self.padded_shape
            if (kh, kw) == (1, 1) and self.stride == (1, 1):
                dpadded = dcols.reshape(self.padded_shape)
            else:
                (oh, ow) = self.out_hw
                d6 = dcols.reshape(c, kh, kw, n, oh, ow).transpose(0, 3, 1, 2, 4, 5)
                dpadded = scatter_windows(d6, self.padded_shape, self.stride, self.dilation)
            dx = channel_major(crop(dpadded, self.padding))
        return dx, dw

    def backward(self, grad: Any) -> tuple[Any, ...]:
        if self.algorithm == "gemm":
            return self._backward_gemm(grad)
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

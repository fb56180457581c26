"""Pooling: max and average over f×f windows with stride s. Pooling has no parameters.

Output size per side is the course's ⌊(n + 2p − f)/s⌋ + 1. When the windows tile the
input exactly (stride = kernel, no padding — the usual 2×2 / stride 2) the windows are a
plain reshape to (N, C, OH, kh, OW, kw), much faster than a strided gather; rows or
columns left over at the bottom/right are ignored, as the floor in the formula says.

``ceil_mode=True`` (PyTorch) rounds up instead, ⌈(n + 2p − f)/s⌉ + 1, so a last, partial
window covers the leftover edge — but a window that would start in the right/bottom
padding is dropped (if (out − 1)·s ≥ n + p, out −= 1). The partial window is padded with
−∞ (max) or 0 (average, which then divides by the cells it really covers).

Adaptive pooling picks the windows from the output size instead: output cell i of n_out
covers input rows ⌊i·n/n_out⌋ … ⌈(i + 1)·n/n_out⌉ − 1 (PyTorch's bins; they overlap or
differ in size when n_out does not divide n).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend, parallel
from ..core.function import Function
from .conv import Padding2d, Pair, crop, pad_input, scatter_windows, windows, workspace


def _tiles(kernel: Pair, stride: Pair, padding: Padding2d) -> bool:
    return kernel == stride and padding == ((0, 0), (0, 0))


def pool_output_size(n: int, f: int, pad: tuple[int, int], s: int, ceil_mode: bool = False) -> int:
    """⌊(n + p_before + p_after − f)/s⌋ + 1, or with ``ceil_mode`` ⌈…⌉ + 1 minus a last window
    that would start inside the after-padding (PyTorch's rule)."""
    span = n + pad[0] + pad[1] - f
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= n + pad[0]:
        out -= 1
    return out


def pool_geometry(in_hw: Pair, kernel: Pair, stride: Pair, padding: Padding2d,
                  ceil_mode: bool = False, dilation: Pair = (1, 1)) -> tuple[Pair, Padding2d]:
    """(OH, OW) and the padding actually applied: ``padding`` plus, with ``ceil_mode``, the
    rows/columns at the bottom/right that the last partial window reaches past. A dilated
    window (cells d apart) spans d·(f − 1) + 1 pixels."""
    out, pads = [], []
    for n, f, s, pad, d in zip(in_hw, kernel, stride, padding, dilation):
        f = d * (f - 1) + 1
        o = pool_output_size(n, f, pad, s, ceil_mode)
        extra = max(0, (o - 1) * s + f - (n + pad[0] + pad[1]))
        out.append(o)
        pads.append((pad[0], pad[1] + extra))
    return (out[0], out[1]), (pads[0], pads[1])


def window_counts(n: int, f: int, s: int, out: int, pad: tuple[int, int],
                  count_include_pad: bool) -> Any:
    """Cells per output position along one axis that an average divides by: window
    [i·s, i·s + f) of the padded axis, cut to the padded input [0, p₀ + n + p₁) (PyTorch's
    ``count_include_pad=True``) or to the real input [p₀, p₀ + n) (False). Geometry only:
    computed on the host, so deciding on it never waits for the device."""
    start = np.arange(out) * s
    lo, hi = (0, pad[0] + n + pad[1]) if count_include_pad else (pad[0], pad[0] + n)
    return np.minimum(start + f, hi) - np.maximum(start, lo)


def memory_order(x: Any) -> tuple[Any, bool]:
    """x, or — when x is the (N, C, H, W) view of channel-major (C, N, H, W) memory, as a
    fast-path convolution leaves it — that contiguous (C, N, H, W) array and True. Pooling
    treats N and C alike, so it runs on whichever is contiguous and keeps the layout."""
    t = x.transpose(1, 0, 2, 3)
    if t.flags.c_contiguous and not x.flags.c_contiguous:
        return t, True
    return x, False


def _restore(a: Any, swapped: bool) -> Any:
    return a.transpose(1, 0, 2, 3) if swapped else a


def tile_cells(x: Any, kernel: Pair, out_hw: Pair) -> list[Any]:
    """The kh·kw strided views (N, C, OH, OW) of non-overlapping tiles: view q = (i, j) holds
    cell (i, j) of every tile (leftover edge rows/columns left out)."""
    (kh, kw), (oh, ow) = kernel, out_hw
    return [x[:, :, i:oh * kh:kh, j:ow * kw:kw] for i in range(kh) for j in range(kw)]


def contiguous_cells(x: Any, kernel: Pair, out_hw: Pair) -> list[Any]:
    """``tile_cells`` copied into one contiguous scratch buffer (kept across calls, per
    thread): one gathering copy, after which every pass of ``first_max_2x2`` runs on
    contiguous memory — 1.7 against 2.6 ms for a 32×128×28×28 input."""
    cells = tile_cells(x, kernel, out_hw)
    planes = workspace(("pool-cells",), (len(cells),) + cells[0].shape, x.dtype)
    for plane, cell in zip(planes, cells):
        plane[...] = cell
    return list(planes)


def first_max(cells: list[Any]) -> tuple[Any, Any]:
    """Elementwise max over the cells and the index of the first cell that reaches it."""
    xp = backend.xp
    if len(cells) == 4:
        return first_max_2x2(*cells)
    best = xp.maximum(cells[0], cells[1]) if len(cells) > 1 else cells[0].copy()
    for cell in cells[2:]:
        xp.maximum(best, cell, out=best)
    # index of the first cell that reaches the max: step past cell q while it falls short
    index = (cells[0] != best).astype(xp.uint8 if len(cells) < 256 else xp.int64)
    for q in range(1, len(cells) - 1):
        index += (index == q) & (cells[q] != best)
    return best, index


def first_max_2x2(c00: Any, c01: Any, c10: Any, c11: Any, best: Any = None,
                  index: Any = None) -> tuple[Any, Any]:
    """``first_max`` of a 2×2 window in fewer passes: the max of each row, then of the two;
    index = 2·[bottom row strictly larger] + [right cell strictly larger than left in that
    row] — strict, so ties go to the top row and the left cell (row-major first). Written
    into ``best`` and ``index`` when given."""
    xp = backend.xp
    top, bottom = xp.maximum(c00, c01), xp.maximum(c10, c11)
    lower = bottom > top
    # right = where(lower, c11 > c10, c01 > c00), as bit operations: np.where on booleans
    # takes a slow path (4 ms against 0.1 ms here for a 32×128×14×14 output)
    right = c01 > c00
    right ^= (right ^ (c11 > c10)) & lower
    if index is None:
        index = lower.view(xp.uint8) << 1
    else:
        index[...] = lower.view(xp.uint8)
        index <<= 1
    index |= right.view(xp.uint8)
    return xp.maximum(top, bottom, out=top if best is None else best), index


class MaxPool2d(Function):
    """a = max over each f×f window.

    ∂L/∂x routes each window's gradient to the position of its maximum only (the others
    did not affect the output). On ties exactly one position gets it — the first in
    row-major order within the window — so the gradient is never double-counted;
    overlapping windows that share a maximum add up there. Padding uses −∞, so padded
    cells are never the maximum.

    Tiling windows (stride = kernel, no padding: the usual 2×2/2) are read as kh·kw strided
    views of the input, one per cell position; the running max and the index of the first
    maximal cell are a few whole-array ops per cell, and backward writes each cell's share,
    g·[index = q], straight into its strided positions of ∂L/∂x — no arg-max scatter, no
    copies. Overlapping windows are first copied into kh·kw contiguous "planes" (plane q
    holds the q-th cell of every window), then the same.
    """

    def forward(self, x: Any, kernel: Pair = (2, 2), stride: Pair = (2, 2),
                padding: Padding2d = ((0, 0), (0, 0)), ceil_mode: bool = False,
                dilation: Pair = (1, 1)) -> Any:
        xp = backend.xp
        (oh, ow), padding = pool_geometry(x.shape[2:], kernel, stride, padding, ceil_mode, dilation)
        x, self.swapped = memory_order(x)
        n, c = x.shape[:2]
        kk = kernel[0] * kernel[1]
        self.in_shape, self.kernel, self.stride, self.padding = x.shape, kernel, stride, padding
        self.dilation = dilation
        self.tiled = _tiles(kernel, stride, padding) and dilation == (1, 1)
        if self.tiled and True not in self.needs_input_grad:  # inference: the max only
            best = xp.empty((n, c, oh, ow), dtype=x.dtype)

            def tile_max(i0: int, i1: int) -> None:
                cells, out = tile_cells(x[i0:i1], kernel, (oh, ow)), best[i0:i1]
                if len(cells) == 1:
                    xp.copyto(out, cells[0])
                else:
                    xp.maximum(cells[0], cells[1], out=out)
                for cell in cells[2:]:
                    xp.maximum(out, cell, out=out)

            parallel.over_range(tile_max, n, x.size)
            return _restore(best, self.swapped)
        if self.tiled and kk == 4:  # 2×2: split over the worker threads along axis 0
            best = xp.empty((n, c, oh, ow), dtype=x.dtype)
            self.index = xp.empty((n, c, oh, ow), dtype=xp.uint8)
            parallel.over_range(lambda i0, i1: first_max_2x2(
                *contiguous_cells(x[i0:i1], kernel, (oh, ow)), best[i0:i1], self.index[i0:i1]),
                n, x.size)
            return _restore(best, self.swapped)
        if self.tiled:
            best, self.index = first_max(tile_cells(x, kernel, (oh, ow)))
            return _restore(best, self.swapped)
        padded = pad_input(x, padding, value=-xp.inf)
        self.padded_shape = padded.shape
        view = windows(padded, kernel, stride, (oh, ow), dilation=dilation).transpose(2, 3, 0, 1, 4, 5)
        planes = xp.ascontiguousarray(view).reshape(kk, -1)
        best, self.index = first_max(list(planes))
        return _restore(best.reshape(n, c, oh, ow), self.swapped)

    def backward(self, grad: Any) -> Any:
        xp = backend.xp
        grad = _restore(grad, self.swapped)
        n, c, oh, ow = grad.shape
        kh, kw = self.kernel
        if self.tiled:
            h, w = self.in_shape[2:]
            exact = (oh * kh, ow * kw) == (h, w)
            dx = (xp.empty if exact else xp.zeros)(self.in_shape, dtype=grad.dtype)

            def route(i0: int, i1: int) -> None:  # g·[index = q] into cell q of every tile
                index = self.index[i0:i1]
                for q, cell in enumerate(tile_cells(dx[i0:i1], self.kernel, (oh, ow))):
                    xp.multiply(grad[i0:i1], index == q, out=cell)

            parallel.over_range(route, n, dx.size)
            return _restore(dx, self.swapped)
        g = grad.reshape(-1)
        dplanes = xp.empty((kh * kw, g.size), dtype=grad.dtype)
        for q in range(kh * kw):
            xp.multiply(g, self.index == q, out=dplanes[q])
        dwin = dplanes.reshape(kh, kw, n, c, oh, ow).transpose(2, 3, 0, 1, 4, 5)
        dx = crop(scatter_windows(dwin, self.padded_shape, self.stride, self.dilation), self.padding)
        return _restore(dx, self.swapped)


def max_pool_indices(x: Any, kernel: Pair, stride: Pair, padding: Padding2d,
                     ceil_mode: bool = False, dilation: Pair = (1, 1)) -> Any:
    """PyTorch's ``return_indices``: for each window, the flat index r·W + c (within its
    (H, W) plane) of the max — the first one in row-major order, as the gradient uses — as
    int64 of the output's shape (N, C, OH, OW). Not differentiable."""
    xp = backend.xp
    (oh, ow), padding = pool_geometry(x.shape[2:], kernel, stride, padding, ceil_mode, dilation)
    padded = pad_input(x, padding, value=-xp.inf)
    view = windows(padded, kernel, stride, (oh, ow), layout="kernel_last", dilation=dilation)
    q = view.reshape(view.shape[:4] + (-1,)).argmax(axis=-1)
    i, j = q // kernel[1], q % kernel[1]
    rows = xp.arange(oh).reshape(-1, 1) * stride[0] + i * dilation[0] - padding[0][0]
    cols = xp.arange(ow).reshape(1, -1) * stride[1] + j * dilation[1] - padding[1][0]
    return (rows * x.shape[3] + cols).astype(xp.int64)


class AvgPool2d(Function):
    """a = (1/|window|) Σ over each window.

    |window| = kh·kw with PyTorch's default ``count_include_pad=True`` (zero padding counts
    in the average); with ``count_include_pad=False`` only the cells inside the input count.
    Either way a ``ceil_mode`` window that hangs past the padded input divides by the cells
    it covers. The count is separable, |window(r, c)| = count_h[r]·count_w[c].

    ∂L/∂x: each window spreads its gradient evenly, ∂L/∂a / |window|, to every cell it
    covered (overlapping windows add; padding cells drop out with the crop). Tiling windows
    are read and written as kh·kw strided views, as in ``MaxPool2d``.
    """

    def forward(self, x: Any, kernel: Pair = (2, 2), stride: Pair = (2, 2),
                padding: Padding2d = ((0, 0), (0, 0)), ceil_mode: bool = False,
                count_include_pad: bool = True, divisor_override: int | None = None) -> Any:
        xp = backend.xp
        (oh, ow), reach = pool_geometry(x.shape[2:], kernel, stride, padding, ceil_mode)
        counts = [window_counts(n, f, s, o, p, count_include_pad)  # with the asked-for padding
                  for n, f, s, o, p in zip(x.shape[2:], kernel, stride, (oh, ow), padding)]
        if divisor_override is not None:  # PyTorch: every window's sum ÷ this one number
            self.scale = x.dtype.type(1.0 / divisor_override)
        elif bool((counts[0] == kernel[0]).all()) and bool((counts[1] == kernel[1]).all()):
            self.scale = x.dtype.type(1.0 / (kernel[0] * kernel[1]))
        else:  # per-window 1/|window|, shape (OH, OW)
            scale = 1.0 / (counts[0][:, None] * counts[1][None, :])
            self.scale = xp.asarray(scale.astype(x.dtype))
        x, self.swapped = memory_order(x)
        padding = reach
        self.in_shape, self.kernel, self.stride, self.padding = x.shape, kernel, stride, padding
        self.tiled = _tiles(kernel, stride, padding)
        if self.tiled:
            cells = tile_cells(x, kernel, (oh, ow))
        else:
            padded = pad_input(x, padding)
            self.padded_shape = padded.shape
            view = windows(padded, kernel, stride, (oh, ow)).transpose(2, 3, 0, 1, 4, 5)
            # summing kh·kw contiguous planes is much faster than reducing strided tiny axes
            planes = xp.ascontiguousarray(view).reshape(kernel[0] * kernel[1], -1)
            cells = [p.reshape(x.shape[0], x.shape[1], oh, ow) for p in planes]
        out = cells[0] + cells[1] if len(cells) > 1 else cells[0].copy()
        for cell in cells[2:]:
            out += cell
        out *= self.scale
        return _restore(out, self.swapped)

    def backward(self, grad: Any) -> Any:
        xp = backend.xp
        grad = _restore(grad, self.swapped)
        n, c, oh, ow = grad.shape
        kh, kw = self.kernel
        g = grad * self.scale
        if self.tiled:
            h, w = self.in_shape[2:]
            exact = (oh * kh, ow * kw) == (h, w)
            dx = (xp.empty if exact else xp.zeros)(self.in_shape, dtype=grad.dtype)
            for cell in tile_cells(dx, self.kernel, (oh, ow)):
                cell[...] = g
            return _restore(dx, self.swapped)
        dwin = xp.broadcast_to(g[:, :, None, None], (n, c, kh, kw, oh, ow))
        dx = crop(scatter_windows(dwin, self.padded_shape, self.stride), self.padding)
        return _restore(dx, self.swapped)


def adaptive_bins(n: int, out: int) -> list[tuple[int, int]]:
    """PyTorch's adaptive bins along one axis: cell i covers [⌊i·n/out⌋, ⌈(i + 1)·n/out⌉)."""
    return [((i * n) // out, -(-((i + 1) * n) // out)) for i in range(out)]


def tiling_kernel(in_hw: Pair, out_hw: Pair) -> Pair | None:
    """(H/OH, W/OW) when the adaptive bins are plain tiles of that size, else None."""
    return (in_hw[0] // out_hw[0], in_hw[1] // out_hw[1]) if divides(in_hw, out_hw) else None


def divides(in_hw: Pair, out_hw: Pair) -> bool:
    """True when the adaptive bins are the plain tiles of an f×f, stride-f pooling."""
    return in_hw[0] % out_hw[0] == 0 and in_hw[1] % out_hw[1] == 0


def _averaging_matrix(n: int, out: int, dtype: Any) -> Any:
    """A (out, n): row i holds 1/|bin i| on the bin's cells, so A·v averages v per bin."""
    a = backend.xp.zeros((out, n), dtype=dtype)
    for i, (lo, hi) in enumerate(adaptive_bins(n, out)):
        a[i, lo:hi] = 1.0 / (hi - lo)
    return a


class AdaptiveAvgPool2d(AvgPool2d):
    """a[r, c] = mean of x over the bin rows(r) × cols(c), with PyTorch's adaptive bins.

    When OH divides H and OW divides W the bins are the tiles of an average pool with
    kernel = stride = (H/OH, W/OW) (that path is used). Otherwise the mean over a rectangle
    is separable: with averaging matrices A_h (OH, H) and A_w (OW, W) (row i: 1/|bin i| on
    bin i),

        a = A_h · x · A_wᵀ         (per sample and channel),
        ∂L/∂x = A_hᵀ · G · A_w     (the transpose of the same linear map).
    """

    def forward(self, x: Any, output_size: Pair = (1, 1)) -> Any:  # type: ignore[override]
        self.matrices, in_hw = None, x.shape[2:]
        if (kernel := tiling_kernel(in_hw, output_size)) is not None:
            return super().forward(x, kernel, kernel)
        xp = backend.xp
        a_h, a_w = (_averaging_matrix(n, o, x.dtype) for n, o in zip(in_hw, output_size))
        self.matrices = a_h, a_w
        rows = xp.tensordot(x, a_w, axes=([3], [1]))                      # (N, C, H, OW)
        return xp.ascontiguousarray(xp.tensordot(a_h, rows, axes=([1], [2])).transpose(1, 2, 0, 3))

    def backward(self, grad: Any) -> Any:
        if self.matrices is None:
            return super().backward(grad)
        xp = backend.xp
        a_h, a_w = self.matrices
        rows = xp.tensordot(grad, a_w, axes=([3], [0]))                  # (N, C, OH, W)
        return xp.ascontiguousarray(xp.tensordot(a_h, rows, axes=([0], [2])).transpose(1, 2, 0, 3))


class AdaptiveMaxPool2d(MaxPool2d):
    """a[r, c] = max of x over the bin rows(r) × cols(c), with PyTorch's adaptive bins.

    When the bins tile the input this is a max pool with kernel = stride = (H/OH, W/OW).
    Otherwise the max over a rectangle is taken in two separable steps, first over each
    column bin of every row, then over each row bin of those maxima; ∂L/∂x routes each
    output's gradient to its arg-max, the first in row-major order on ties (the row step
    keeps the first row reaching the max, the column step the first column in that row),
    and overlapping bins add up there.
    """

    def forward(self, x: Any, output_size: Pair = (1, 1)) -> Any:  # type: ignore[override]
        self.flat_index = None
        if (kernel := tiling_kernel(x.shape[2:], output_size)) is not None:
            return super().forward(x, kernel, kernel)
        xp = backend.xp
        n, c, h, w = x.shape
        oh, ow = output_size
        col_max = xp.empty((n, c, h, ow), dtype=x.dtype)
        col_arg = xp.empty((n, c, h, ow), dtype=xp.int64)
        for j, (lo, hi) in enumerate(adaptive_bins(w, ow)):
            col_max[..., j] = x[..., lo:hi].max(axis=3)
            col_arg[..., j] = x[..., lo:hi].argmax(axis=3) + lo
        out = xp.empty((n, c, oh, ow), dtype=x.dtype)
        row_arg = xp.empty((n, c, oh, ow), dtype=xp.int64)
        for i, (lo, hi) in enumerate(adaptive_bins(h, oh)):
            out[:, :, i] = col_max[:, :, lo:hi].max(axis=2)
            row_arg[:, :, i] = col_max[:, :, lo:hi].argmax(axis=2) + lo
        best_col = xp.take_along_axis(col_arg, row_arg, axis=2)
        plane = xp.arange(n * c).reshape(n, c, 1, 1) * (h * w)
        self.flat_index = (plane + row_arg * w + best_col).reshape(-1)
        self.in_shape = x.shape
        return out

    def backward(self, grad: Any) -> Any:
        if self.flat_index is None:
            return super().backward(grad)
        xp = backend.xp
        size = 1
        for d in self.in_shape:
            size *= d
        dx = xp.bincount(self.flat_index, weights=grad.reshape(-1), minlength=size)
        return dx.astype(grad.dtype, copy=False).reshape(self.in_shape)


__all__ = ["MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "adaptive_bins",
           "pool_output_size", "pool_geometry", "window_counts"]

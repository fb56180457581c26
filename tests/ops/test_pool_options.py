"""Pooling options of PyTorch: ceil_mode, count_include_pad, adaptive average and max pooling
for output sizes that do not divide the input. Forward against explicit loops written from
PyTorch's definitions, gradients by central differences (fixed and hypothesis shapes)."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassbox as gb
from glassbox.ops.pooling import (AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, MaxPool2d,
                                  adaptive_bins, pool_output_size)
from helpers import t64


def out_len(n, k, s, p, ceil_mode):
    o = (math.ceil if ceil_mode else math.floor)((n + 2 * p - k) / s) + 1
    if ceil_mode and (o - 1) * s >= n + p:
        o -= 1
    return o


def loop_pool(x, k, s, p, ceil_mode, kind, count_include_pad=True):
    """PyTorch's pooling, one output cell at a time."""
    n, c, h, w = x.shape
    oh, ow = out_len(h, k[0], s[0], p[0], ceil_mode), out_len(w, k[1], s[1], p[1], ceil_mode)
    out = np.zeros((n, c, oh, ow))
    for r in range(oh):
        for q in range(ow):
            h0, w0 = r * s[0] - p[0], q * s[1] - p[1]
            h1, w1 = min(h0 + k[0], h + p[0]), min(w0 + k[1], w + p[1])
            size = (h1 - h0) * (w1 - w0)
            h0, w0, h1, w1 = max(h0, 0), max(w0, 0), min(h1, h), min(w1, w)
            win = x[:, :, h0:h1, w0:w1]
            if kind == "max":
                out[:, :, r, q] = win.max(axis=(2, 3))
            else:
                div = size if count_include_pad else (h1 - h0) * (w1 - w0)
                out[:, :, r, q] = win.sum(axis=(2, 3)) / div
    return out


def loop_adaptive(x, out_hw, reduce):
    n, c, h, w = x.shape
    out = np.zeros((n, c) + tuple(out_hw))
    for r in range(out_hw[0]):
        h0, h1 = math.floor(r * h / out_hw[0]), math.ceil((r + 1) * h / out_hw[0])
        for q in range(out_hw[1]):
            w0, w1 = math.floor(q * w / out_hw[1]), math.ceil((q + 1) * w / out_hw[1])
            out[:, :, r, q] = reduce(x[:, :, h0:h1, w0:w1], axis=(2, 3))
    return out


def distinct(shape, seed):
    """Values far apart (no ties), so max is differentiable for finite differences."""
    rng = np.random.default_rng(seed)
    return rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1



def pool(kind, x, k, s, p, ceil_mode, count_include_pad=True):
    pads = ((p[0], p[0]), (p[1], p[1]))
    if kind == "max":
        return MaxPool2d.apply(x, kernel=k, stride=s, padding=pads, ceil_mode=ceil_mode)
    return AvgPool2d.apply(x, kernel=k, stride=s, padding=pads, ceil_mode=ceil_mode,
                           count_include_pad=count_include_pad)


CASES = [  # input shape, kernel, stride, padding
    ((2, 2, 7, 7), (2, 2), (2, 2), (0, 0)),     # ceil: a last 1-wide window
    ((1, 2, 11, 9), (3, 3), (2, 2), (1, 1)),
    ((1, 2, 10, 8), (4, 4), (3, 3), (2, 2)),    # ceil: last window would start in padding
    ((2, 1, 6, 9), (3, 2), (2, 3), (1, 0)),
]


@pytest.mark.parametrize("shape, k, s, p", CASES)
@pytest.mark.parametrize("ceil_mode", [False, True])
@pytest.mark.parametrize("kind, cip", [("max", True), ("avg", True), ("avg", False)])
def test_forward_matches_loops_and_gradcheck(shape, k, s, p, ceil_mode, kind, cip):
    x = distinct(shape, 0)
    fn = lambda a: pool(kind, a, k, s, p, ceil_mode, cip)
    np.testing.assert_allclose(fn(t64(x, False)).numpy(), loop_pool(x, k, s, p, ceil_mode, kind, cip),
                               atol=1e-12)
    assert gb.gradcheck(fn, t64(x))


def test_ceil_mode_output_sizes():
    assert pool_output_size(7, 2, (0, 0), 2) == 3
    assert pool_output_size(7, 2, (0, 0), 2, ceil_mode=True) == 4
    # ⌈(10 + 4 − 4)/3⌉ + 1 = 5, but window 4 would start at 12 ≥ 10 + 2: dropped
    assert pool_output_size(10, 4, (2, 2), 3, ceil_mode=True) == 4
    assert pool_output_size(6, 2, (0, 0), 2, ceil_mode=True) == 3  # exact: no extra window


def test_count_include_pad_false_averages_real_cells_only():
    x = np.ones((1, 1, 3, 3))
    pads = ((1, 1), (1, 1))
    with_pad = AvgPool2d.apply(t64(x, False), kernel=(3, 3), stride=(1, 1), padding=pads).numpy()
    without = AvgPool2d.apply(t64(x, False), kernel=(3, 3), stride=(1, 1), padding=pads,
                              count_include_pad=False).numpy()
    assert with_pad[0, 0, 0, 0] == pytest.approx(4 / 9)   # 4 ones, 5 zero-padding cells
    np.testing.assert_allclose(without, 1.0)


@settings(max_examples=30, deadline=None)
@given(h=st.integers(1, 9), w=st.integers(1, 9), kh=st.integers(1, 4), kw=st.integers(1, 4),
       sh=st.integers(1, 3), sw=st.integers(1, 3), ph=st.integers(0, 2), pw=st.integers(0, 2),
       ceil_mode=st.booleans(), kind=st.sampled_from(["max", "avg", "avg-nopad"]))
def test_random_shapes(h, w, kh, kw, sh, sw, ph, pw, ceil_mode, kind):
    ph, pw = min(ph, kh // 2), min(pw, kw // 2)  # PyTorch: padding at most half the kernel
    if kh > h + 2 * ph or kw > w + 2 * pw:
        return
    x = distinct((1, 2, h, w), h * 10 + w)
    base, cip = kind.split("-")[0], kind != "avg-nopad"
    fn = lambda a: pool(base, a, (kh, kw), (sh, sw), (ph, pw), ceil_mode, cip)
    ref = loop_pool(x, (kh, kw), (sh, sw), (ph, pw), ceil_mode, base, cip)
    np.testing.assert_allclose(fn(t64(x, False)).numpy(), ref, atol=1e-12)
    assert gb.gradcheck(fn, t64(x))


ADAPTIVE = [((2, 3, 7, 7), (3, 3)), ((1, 2, 10, 7), (4, 5)), ((1, 2, 5, 6), (5, 4)),
            ((1, 1, 6, 6), (3, 2)), ((2, 2, 5, 5), (1, 1)), ((1, 1, 3, 4), (6, 7))]


@pytest.mark.parametrize("shape, out_hw", ADAPTIVE)
@pytest.mark.parametrize("kind", ["avg", "max"])
def test_adaptive_forward_matches_bins_and_gradcheck(shape, out_hw, kind):
    x = distinct(shape, 1)
    op = AdaptiveAvgPool2d if kind == "avg" else AdaptiveMaxPool2d
    fn = lambda a: op.apply(a, output_size=out_hw)
    ref = loop_adaptive(x, out_hw, np.mean if kind == "avg" else np.max)
    np.testing.assert_allclose(fn(t64(x, False)).numpy(), ref, atol=1e-12)
    assert gb.gradcheck(fn, t64(x))


@settings(max_examples=30, deadline=None)
@given(h=st.integers(1, 9), w=st.integers(1, 9), oh=st.integers(1, 9), ow=st.integers(1, 9),
       kind=st.sampled_from(["avg", "max"]))
def test_adaptive_random_sizes(h, w, oh, ow, kind):
    x = distinct((2, 1, h, w), oh * 10 + ow)
    op = AdaptiveAvgPool2d if kind == "avg" else AdaptiveMaxPool2d
    fn = lambda a: op.apply(a, output_size=(oh, ow))
    ref = loop_adaptive(x, (oh, ow), np.mean if kind == "avg" else np.max)
    np.testing.assert_allclose(fn(t64(x, False)).numpy(), ref, atol=1e-12)
    assert gb.gradcheck(fn, t64(x))


def test_adaptive_bins_are_pytorchs():
    assert adaptive_bins(7, 3) == [(0, 3), (2, 5), (4, 7)]   # overlapping
    assert adaptive_bins(10, 4) == [(0, 3), (2, 5), (5, 8), (7, 10)]
    assert adaptive_bins(6, 3) == [(0, 2), (2, 4), (4, 6)]   # dividing: plain tiles


def test_adaptive_max_ties_go_to_first_in_row_major_order():
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 0] = x[0, 0, 0, 2] = 5.0       # 3 → 2 bins: rows/cols [0, 2) and [1, 3)
    t = t64(x)
    AdaptiveMaxPool2d.apply(t, output_size=(2, 2)).sum().backward()
    # bin (0, 0) = rows 0-1, cols 0-1 holds only (1, 0); bin (0, 1) = rows 0-1, cols 1-2
    # holds only (0, 2); bins (1, ·) = rows 1-2: (1, 0) for (1, 0), and for (1, 1) (cols 1-2)
    # all zeros: the first cell (1, 1) gets it
    expected = np.zeros((3, 3))
    expected[1, 0], expected[0, 2], expected[1, 1] = 2.0, 1.0, 1.0
    np.testing.assert_array_equal(t.grad.numpy()[0, 0], expected)

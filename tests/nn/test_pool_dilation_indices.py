"""Max-pool ``dilation`` and ``return_indices``, avg-pool ``divisor_override`` (PyTorch's
semantics): against loops over the windows, by central differences, and their errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassbox as gb
from glassbox import nn
from glassbox.nn import functional as F
from helpers import t64


def loop_max_pool(x, k, s, p, d, ceil_mode=False):
    """(values, flat indices) by visiting every window; padding never wins (−∞)."""
    n, c, h, w = x.shape
    size = []
    for dim, kk, ss, pp, dd in zip((h, w), k, s, p, d):
        span = dim + 2 * pp - dd * (kk - 1) - 1
        o = (-(-span // ss) if ceil_mode else span // ss) + 1
        if ceil_mode and (o - 1) * ss >= dim + pp:
            o -= 1
        size.append(o)
    out = np.full((n, c) + tuple(size), -np.inf)
    idx = np.zeros((n, c) + tuple(size), np.int64)
    for r in range(size[0]):
        for q in range(size[1]):
            for i in range(k[0]):
                for j in range(k[1]):
                    y, z = r * s[0] + i * d[0] - p[0], q * s[1] + j * d[1] - p[1]
                    if 0 <= y < h and 0 <= z < w:
                        v = x[:, :, y, z]
                        better = v > out[:, :, r, q]
                        out[:, :, r, q] = np.where(better, v, out[:, :, r, q])
                        idx[:, :, r, q] = np.where(better, y * w + z, idx[:, :, r, q])
    return out, idx


@settings(max_examples=30, deadline=None)
@given(k=st.integers(1, 3), s=st.integers(1, 3), d=st.integers(1, 3), p=st.integers(0, 1),
       h=st.integers(4, 9), w=st.integers(4, 9), ceil=st.booleans(), seed=st.integers(0, 1000))
def test_dilated_max_pool_and_indices_match_the_loop(k, s, d, p, h, w, ceil, seed):
    if p > k // 2 or d * (k - 1) + 1 > min(h, w) + 2 * p:
        return
    x = np.random.default_rng(seed).standard_normal((2, 3, h, w))
    out, idx = F.max_pool2d(t64(x, False), k, s, p, dilation=d, ceil_mode=ceil, return_indices=True)
    want, want_idx = loop_max_pool(x, (k, k), (s, s), (p, p), (d, d), ceil)
    np.testing.assert_array_equal(out.numpy(), want)
    np.testing.assert_array_equal(idx.numpy(), want_idx)
    assert idx.dtype == np.int64
    # the output is the input gathered at the indices
    np.testing.assert_array_equal(np.take_along_axis(x.reshape(2, 3, -1), idx.numpy().reshape(2, 3, -1), 2),
                                  out.numpy().reshape(2, 3, -1))


@pytest.mark.parametrize("k, s, p, d", [(3, 1, 1, 2), (2, 2, 0, 2), (3, 2, 1, 3)])
def test_dilated_max_pool_gradcheck(k, s, p, d):
    x = t64(np.random.default_rng(1).permutation(2 * 2 * 9 * 9).reshape(2, 2, 9, 9) / 10.0)  # no ties
    assert gb.gradcheck(lambda t: F.max_pool2d(t, k, s, p, dilation=d), x)


def test_ties_index_the_first_in_row_major_order():
    x = np.zeros((1, 1, 2, 2))
    _, idx = F.max_pool2d(t64(x, False), 2, return_indices=True)
    assert int(idx.numpy().ravel()[0]) == 0
    x[0, 0] = [[0, 1], [1, 0]]
    _, idx = F.max_pool2d(t64(x, False), 2, return_indices=True)
    assert int(idx.numpy().ravel()[0]) == 1


def test_module_returns_output_and_indices():
    pool = nn.MaxPool2d(2, return_indices=True)
    out, idx = pool(t64(np.arange(16.0).reshape(1, 1, 4, 4), False))
    np.testing.assert_array_equal(idx.numpy().ravel(), [5, 7, 13, 15])
    np.testing.assert_array_equal(out.numpy().ravel(), [5, 7, 13, 15])


@pytest.mark.parametrize("count_include_pad", [True, False])
def test_divisor_override_divides_every_window_by_it(count_include_pad):
    x = np.arange(1.0, 17.0).reshape(1, 1, 4, 4)
    out = F.avg_pool2d(t64(x, False), 3, 2, 1, count_include_pad=count_include_pad, divisor_override=5)
    padded = np.pad(x[0, 0], 1)
    want = [[padded[r:r + 3, c:c + 3].sum() / 5 for c in (0, 2)] for r in (0, 2)]
    np.testing.assert_allclose(out.numpy()[0, 0], want)
    xt = t64(np.random.default_rng(2).standard_normal((2, 2, 5, 5)))
    assert gb.gradcheck(lambda t: F.avg_pool2d(t, 2, divisor_override=3, ceil_mode=True), xt)


@pytest.mark.parametrize("call, message", [
    (lambda x: F.avg_pool2d(x, 2, divisor_override=0), "divisor_override"),
    (lambda x: F.max_pool2d(x, 2, dilation=0), "dilation"),
    (lambda x: F.max_pool2d(x, 3, dilation=4), "larger than the padded input"),
    (lambda x: F.max_pool2d(x, 2, return_indices="yes"), "return_indices"),
])
def test_bad_options_are_named(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call(t64(np.zeros((1, 1, 6, 6)), False))

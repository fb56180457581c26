"""Pooling ops: forward against explicit loops, arg-max routing, gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassbox as gb
from glassbox.nn import functional as F
from helpers import t64


def naive_pool(x, k, s, p, reduce):
    fill = -np.inf if reduce is np.max else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=fill)
    oh, ow = (xp.shape[2] - k[0]) // s[0] + 1, (xp.shape[3] - k[1]) // s[1] + 1
    out = np.zeros(x.shape[:2] + (oh, ow))
    for r in range(oh):
        for c in range(ow):
            win = xp[:, :, r * s[0]:r * s[0] + k[0], c * s[1]:c * s[1] + k[1]]
            out[:, :, r, c] = reduce(win, axis=(2, 3))
    return out


def distinct(shape, seed):
    """Values far apart (no ties, so max is differentiable for finite differences)."""
    rng = np.random.default_rng(seed)
    return rng.permutation(np.prod(shape)).reshape(shape) * 0.1



POOL_CASES = [  # kernel, stride, padding, input shape
    (2, None, 0, (2, 3, 6, 6)),     # tiled fast path
    (2, None, 0, (1, 2, 7, 5)),     # tiled with a leftover edge
    (3, 2, 0, (1, 2, 7, 7)),        # overlapping windows
    (3, 1, 1, (2, 2, 5, 5)),        # Inception's pool branch
    ((2, 3), (1, 2), (1, 1), (1, 2, 5, 7)),
]


def _pair(v):
    return v if isinstance(v, tuple) else (v, v)


@pytest.mark.parametrize("k, s, p, shape", POOL_CASES)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_forward_matches_loops_and_gradcheck(k, s, p, shape, kind):
    x = distinct(shape, 0)
    fn = (lambda a: F.max_pool2d(a, k, s, p)) if kind == "max" else (lambda a: F.avg_pool2d(a, k, s, p))
    ks, ss = _pair(k), _pair(s if s is not None else k)
    ref = naive_pool(x, ks, ss, _pair(p)[0], np.max if kind == "max" else np.mean)
    np.testing.assert_allclose(fn(t64(x, False)).numpy(), ref, atol=1e-12)
    assert gb.gradcheck(fn, t64(x))


def test_max_pool_gradient_only_at_argmax():
    x = t64(distinct((1, 1, 4, 4), 3))
    out = F.max_pool2d(x, 2)
    out.sum().backward()
    g = x.grad.numpy()[0, 0]
    xv = x.numpy()[0, 0]
    for r in range(2):
        for c in range(2):
            block, gblock = xv[2 * r:2 * r + 2, 2 * c:2 * c + 2], g[2 * r:2 * r + 2, 2 * c:2 * c + 2]
            expected = (block == block.max()).astype(float)
            np.testing.assert_array_equal(gblock, expected)


@pytest.mark.parametrize("k, s", [(2, 2), (2, 1)])
def test_max_pool_ties_route_to_one_position_per_window(k, s):
    x = t64(np.ones((1, 1, 4, 4)))
    out = F.max_pool2d(x, k, s)
    out.backward(np.ones(out.shape))
    # every window sends its gradient 1 to exactly one cell: the total equals #windows
    assert x.grad.numpy().sum() == out.numpy().size
    assert set(np.unique(x.grad.numpy())) <= set(range(out.numpy().size + 1))


def test_avg_pool_counts_zero_padding():
    x = gb.Tensor(np.ones((1, 1, 2, 2)))
    out = F.avg_pool2d(x, 3, 1, 1).numpy()[0, 0]
    np.testing.assert_allclose(out, np.full((2, 2), 4 / 9), rtol=1e-6)


def test_avg_pool_gradient_spreads_evenly():
    x = t64(np.zeros((1, 1, 4, 4)))
    F.avg_pool2d(x, 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((1, 1, 4, 4), 0.25))


@pytest.mark.parametrize("size, shape", [(1, (2, 3, 5, 7)), (2, (1, 2, 4, 6)), ((1, 3), (1, 2, 4, 6))])
def test_adaptive_avg_pool(size, shape):
    x = distinct(shape, 1)
    out = F.adaptive_avg_pool2d(t64(x, False), size)
    oh, ow = _pair(size)
    assert out.shape == shape[:2] + (oh, ow)
    kh, kw = shape[2] // oh, shape[3] // ow
    ref = x.reshape(shape[0], shape[1], oh, kh, ow, kw).mean(axis=(3, 5))
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-12)
    assert gb.gradcheck(lambda a: F.adaptive_avg_pool2d(a, size), t64(x))


def test_adaptive_pools_take_uneven_sizes_with_pytorchs_bins():
    # 5×7 → 2×2: rows [0, 3) and [2, 5), columns [0, 4) and [3, 7) (⌊r·n/o⌋ … ⌈(r + 1)·n/o⌉)
    x = np.arange(35, dtype=np.float64).reshape(1, 1, 5, 7)
    bins = [(slice(0, 3), slice(0, 4)), (slice(0, 3), slice(3, 7)),
            (slice(2, 5), slice(0, 4)), (slice(2, 5), slice(3, 7))]
    avg = F.adaptive_avg_pool2d(gb.Tensor(x, dtype=np.float64), 2).numpy().ravel()
    top = F.adaptive_max_pool2d(gb.Tensor(x, dtype=np.float64), 2).numpy().ravel()
    np.testing.assert_allclose(avg, [x[0, 0][r, c].mean() for r, c in bins])
    np.testing.assert_allclose(top, [x[0, 0][r, c].max() for r, c in bins])


def test_pool_errors():
    with pytest.raises(ValueError, match=r"max_pool2d.*4-D.*\(2, 8\)"):
        F.max_pool2d(gb.Tensor(np.zeros((2, 8))), 2)
    with pytest.raises(ValueError, match="at most half the kernel"):
        F.max_pool2d(gb.Tensor(np.zeros((1, 1, 8, 8))), 2, padding=2)
    with pytest.raises(ValueError, match="larger than the padded input"):
        F.avg_pool2d(gb.Tensor(np.zeros((1, 1, 2, 2))), 3)


@settings(max_examples=10, deadline=None)
@given(n=st.integers(1, 2), c=st.integers(1, 2), h=st.integers(2, 6), w=st.integers(2, 6),
       k=st.integers(1, 3), s=st.integers(1, 3), p=st.integers(0, 1), kind=st.sampled_from(["max", "avg"]))
def test_random_shapes(n, c, h, w, k, s, p, kind):
    p = min(p, k // 2)
    if k > min(h, w) + 2 * p:
        return
    x = distinct((n, c, h, w), h * w + k)
    fn = (lambda a: F.max_pool2d(a, k, s, p)) if kind == "max" else (lambda a: F.avg_pool2d(a, k, s, p))
    ref = naive_pool(x, (k, k), (s, s), p, np.max if kind == "max" else np.mean)
    np.testing.assert_allclose(fn(t64(x, False)).numpy(), ref, atol=1e-12)
    assert gb.gradcheck(fn, t64(x))


def test_max_pool_inference_path_matches_training_forward():
    """Without gradients the tiled max-pool computes only the max (no arg-max index)."""
    import glassbox as gb
    from glassbox.ops.pooling import MaxPool2d

    x = np.random.default_rng(7).standard_normal((3, 2, 7, 9))
    for kernel in ((2, 2), (3, 3), (1, 1), (2, 3)):
        with_grad = MaxPool2d.apply(gb.Tensor(x, requires_grad=True), kernel=kernel, stride=kernel)
        with gb.no_grad():
            without = MaxPool2d.apply(gb.Tensor(x, requires_grad=True), kernel=kernel, stride=kernel)
        np.testing.assert_array_equal(without.numpy(), with_grad.numpy())

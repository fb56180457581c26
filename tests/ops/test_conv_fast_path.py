"""The fast convolution path ("gemm": whole-batch GEMMs, channel-major, in cache-sized
chunks) against the plain per-sample im2col path, on random shapes with stride, padding,
dilation and groups; gradients by central differences; chunk boundaries forced small."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassbox as gb
from glassbox import parallel
from glassbox.ops import conv as conv_ops
from glassbox.ops.conv import Conv2d
from helpers import t64



def run(algorithm, x, w, b, grad_out, **kw):
    xt, wt = t64(x), t64(w)
    inputs = (xt, wt) if b is None else (xt, wt, t64(b))
    out = Conv2d.apply(*inputs, algorithm=algorithm, **kw)
    out.backward(grad_out)
    return out.numpy(), [t.grad.numpy() for t in inputs]


def assert_fast_matches_plain(x, w, b, grad_out, chunk, **kw):
    """The gemm path, with CHUNK_BYTES = chunk, gives the plain path's output and gradients."""
    saved = conv_ops.CHUNK_BYTES
    conv_ops.CHUNK_BYTES = chunk
    try:
        fast_out, fast_grads = run("gemm", x, w, b, grad_out, **kw)
    finally:
        conv_ops.CHUNK_BYTES = saved
    plain_out, plain_grads = run("im2col", x, w, b, grad_out, **kw)
    np.testing.assert_allclose(fast_out, plain_out, atol=1e-10)
    for fast, plain in zip(fast_grads, plain_grads):
        np.testing.assert_allclose(fast, plain, atol=1e-10)


@pytest.fixture
def tiny_chunks(monkeypatch):
    """A chunk of one or two samples, so every batch is cut (the last chunk often shorter)."""
    monkeypatch.setattr(conv_ops, "CHUNK_BYTES", 1)
    yield
    monkeypatch.undo()


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 5), groups=st.integers(1, 2), cg=st.integers(1, 3), og=st.integers(1, 3),
       kh=st.integers(1, 3), kw=st.integers(1, 3), sh=st.integers(1, 2), sw=st.integers(1, 3),
       dh=st.integers(1, 2), dw=st.integers(1, 2), ph=st.integers(0, 2), pw=st.integers(0, 2),
       h=st.integers(2, 9), w=st.integers(2, 9), bias=st.booleans(), chunk=st.sampled_from([1, 200, 2**21]),
       seed=st.integers(0, 2**16))
def test_fast_path_matches_plain_im2col(n, groups, cg, og, kh, kw, sh, sw, dh, dw, ph, pw, h, w,
                                        bias, chunk, seed):
    if dh * (kh - 1) + 1 > h + 2 * ph or dw * (kw - 1) + 1 > w + 2 * pw:
        return
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, groups * cg, h, w))
    wt = rng.standard_normal((groups * og, cg, kh, kw))
    b = rng.standard_normal(groups * og) if bias else None
    kw_args = dict(stride=(sh, sw), padding=((ph, ph), (pw, pw)), dilation=(dh, dw), groups=groups)
    out_shape = Conv2d.apply(t64(x, False), t64(wt, False), **kw_args).shape
    g = rng.standard_normal(out_shape)
    assert_fast_matches_plain(x, wt, b, g, chunk, **kw_args)


CASES = [  # x shape, C_out, kernel, stride, pads, dilation, groups
    ((5, 3, 7, 7), 4, (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1),   # the common 3×3 "same"
    ((3, 2, 8, 9), 3, (3, 3), (2, 2), ((1, 1), (1, 1)), (1, 1), 1),   # strided
    ((4, 2, 9, 9), 3, (2, 3), (1, 2), ((0, 1), (2, 0)), (2, 1), 1),   # dilated, asymmetric pad
    ((3, 4, 6, 6), 4, (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 2),   # grouped
    ((3, 4, 6, 6), 6, (1, 1), (2, 2), ((0, 0), (0, 0)), (1, 1), 1),   # 1×1 projection
]


@pytest.mark.parametrize("xs, oc, k, stride, pads, dil, groups", CASES)
def test_fast_path_gradcheck_across_chunks(tiny_chunks, xs, oc, k, stride, pads, dil, groups):
    rng = np.random.default_rng(2)
    x, w = t64(rng.standard_normal(xs)), t64(rng.standard_normal((oc, xs[1] // groups) + k))
    b = t64(rng.standard_normal(oc))
    fn = lambda *t: Conv2d.apply(*t, stride=stride, padding=pads, dilation=dil, groups=groups,
                                 algorithm="gemm")
    assert gb.gradcheck(fn, x, w, b)


def test_fast_path_output_is_a_channel_major_view():
    x = gb.Tensor(np.ones((2, 3, 5, 5), np.float32))
    w = gb.Tensor(np.ones((4, 3, 3, 3), np.float32))
    out = Conv2d.apply(x, w, padding=((1, 1), (1, 1)), algorithm="gemm").data
    assert out.shape == (2, 4, 5, 5)
    assert out.transpose(1, 0, 2, 3).flags.c_contiguous   # stored (C, N, H, W)
    np.testing.assert_allclose(out[:, :, 2, 2], 27.0)
    np.testing.assert_allclose(out[:, :, 0, 0], 12.0)


def test_chunks_cover_the_batch_once(monkeypatch):
    monkeypatch.setattr(parallel, "worker_pool", lambda: None)   # one thread
    assert conv_ops.batch_chunks(10, 100, 4) == [(0, 10)]
    saved = conv_ops.CHUNK_BYTES
    try:
        conv_ops.CHUNK_BYTES = 1200
        assert conv_ops.batch_chunks(10, 100, 4) == [(0, 3), (3, 6), (6, 9), (9, 10)]
        conv_ops.CHUNK_BYTES = 1
        assert conv_ops.batch_chunks(3, 100, 4) == [(0, 1), (1, 2), (2, 3)]
    finally:
        conv_ops.CHUNK_BYTES = saved


@pytest.mark.parametrize("xs, oc, k, stride, pads, dil, groups", CASES)
@pytest.mark.parametrize("chunk", [1, 2**21])
def test_fast_path_on_two_threads_matches_plain(two_workers, monkeypatch, chunk, xs, oc, k, stride,
                                                pads, dil, groups):
    monkeypatch.setattr(conv_ops, "CHUNK_BYTES", chunk)
    assert len(conv_ops.batch_chunks(xs[0], 10, 4)) >= 2           # every worker gets a chunk
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal(xs), rng.standard_normal((oc, xs[1] // groups) + k)
    kw_args = dict(stride=stride, padding=pads, dilation=dil, groups=groups)
    g = rng.standard_normal(Conv2d.apply(t64(x, False), t64(w, False), **kw_args).shape)
    fast_out, fast_grads = run("gemm", x, w, None, g, **kw_args)
    plain_out, plain_grads = run("im2col", x, w, None, g, **kw_args)
    np.testing.assert_allclose(fast_out, plain_out, atol=1e-10)
    for fast, plain in zip(fast_grads, plain_grads):
        np.testing.assert_allclose(fast, plain, atol=1e-10)


# The stride-1 path: widened columns, and ∂L/∂X as the full convolution with the flipped kernel.
@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 4), c=st.integers(1, 3), oc=st.integers(1, 3), kh=st.integers(2, 4),
       kw=st.integers(2, 4), d=st.integers(1, 2), pads=st.tuples(*[st.integers(0, 3)] * 4),
       h=st.integers(3, 9), w=st.integers(3, 9), chunk=st.sampled_from([1, 300, 2**21]),
       seed=st.integers(0, 2**16))
def test_stride1_wide_path_matches_plain_with_asymmetric_padding(n, c, oc, kh, kw, d, pads, h, w,
                                                                  chunk, seed):
    padding = ((pads[0], pads[1]), (pads[2], pads[3]))
    if d * (kh - 1) + 1 > h + pads[0] + pads[1] or d * (kw - 1) + 1 > w + pads[2] + pads[3]:
        return
    rng = np.random.default_rng(seed)
    x, wt = rng.standard_normal((n, c, h, w)), rng.standard_normal((oc, c, kh, kw))
    kw_args = dict(padding=padding, dilation=(d, d))
    g = rng.standard_normal(Conv2d.apply(t64(x, False), t64(wt, False), **kw_args).shape)
    assert_fast_matches_plain(x, wt, None, g, chunk, **kw_args)


def test_full_padding_is_kernel_reach_minus_padding():
    assert conv_ops.full_padding((3, 3), ((1, 1), (1, 1)), (1, 1)) == ((1, 1), (1, 1))
    assert conv_ops.full_padding((5, 3), ((0, 2), (1, 0)), (1, 2)) == ((4, 2), (3, 4))
    assert conv_ops.full_padding((3, 3), ((2, 1), (1, 1)), (1, 1)) == ((0, 1), (1, 1))  # p = d·(f − 1)
    assert conv_ops.full_padding((3, 3), ((3, 1), (1, 1)), (1, 1)) is None   # p > d·(f − 1)


def test_flipped_kernel_swaps_channels_and_rotates():
    w = np.arange(2 * 3 * 2 * 2, dtype=float).reshape(2, 3, 2, 2)
    f = conv_ops.flipped_kernel(w)
    assert f.shape == (3, 2, 2, 2)
    assert f[1, 0, 0, 0] == w[0, 1, 1, 1] and f[2, 1, 1, 0] == w[1, 2, 0, 1]


def test_wide_columns_match_the_plain_window_copy():
    rng = np.random.default_rng(4)
    xc = rng.standard_normal((2, 3, 5, 6))                  # (C, N, H, W), channel-major
    pad, (kh, kw) = ((1, 0), (2, 1)), (2, 3)
    cols = conv_ops.wide_columns(xc, 1, 3, 2, (kh, kw), pad, (1, 1))
    hp, wp = 5 + 1, 6 + 3
    oh, ow = hp - kh + 1, wp - kw + 1
    wide = cols.reshape(2, kh, kw, 2, oh, wp)
    padded = np.pad(xc[:, 1:3], ((0, 0), (0, 0), pad[0], pad[1]))
    for i in range(kh):
        for j in range(kw):
            np.testing.assert_array_equal(wide[:, i, j, :, :, :ow], padded[:, :, i:i + oh, j:j + ow])


def test_padding_beyond_the_kernel_reach_falls_back_to_col2im(tiny_chunks):
    rng = np.random.default_rng(5)
    x, w = t64(rng.standard_normal((2, 2, 4, 4))), t64(rng.standard_normal((3, 2, 2, 2)))
    fn = lambda *t: Conv2d.apply(*t, padding=((2, 2), (0, 1)), algorithm="gemm")
    assert gb.gradcheck(fn, x, w)


def test_full_convolution_only_where_it_pays():
    same, valid = ((1, 1), (1, 1)), ((0, 0), (0, 0))
    assert conv_ops.worth_full_conv(conv_ops.full_padding((3, 3), same, (1, 1)), same)
    assert not conv_ops.worth_full_conv(conv_ops.full_padding((5, 5), valid, (1, 1)), valid)
    assert not conv_ops.worth_full_conv(None, same)


def test_chunks_are_a_multiple_of_the_workers_and_even(two_workers, monkeypatch):
    monkeypatch.setattr(conv_ops, "CHUNK_BYTES", 28 * 100 * 4)     # 28 samples of 100 floats fit
    chunks = conv_ops.batch_chunks(128, 100, 4)
    sizes = [n1 - n0 for n0, n1 in chunks]
    assert len(chunks) % 2 == 0 and max(sizes) <= 28 and max(sizes) - min(sizes) <= len(chunks)
    assert chunks[0][0] == 0 and chunks[-1][1] == 128
    assert all(a[1] == b[0] for a, b in zip(chunks, chunks[1:]))


def test_a_short_chunk_never_reads_an_earlier_batch():
    """A worker's scratch keeps the samples of its last chunk; a later, shorter chunk's last
    widened run reads d·(kw − 1) cells past its sample, which must then be 0, not those stale
    (here non-finite) values — they would meet zero gradients as 0·∞ = NaN in ∂L/∂W."""
    pad = ((0, 0), (0, 0))                       # a 'valid' conv: no zero border to read instead
    conv_ops.wide_columns(np.full((2, 2, 6, 6), np.inf), 0, 2, 2, (3, 3), pad, (1, 1))
    x = np.random.default_rng(1).standard_normal((2, 1, 6, 6))
    cols = conv_ops.wide_columns(x, 0, 1, 2, (3, 3), pad, (1, 1))
    assert np.isfinite(cols).all()


@pytest.mark.parametrize("c, out, k, wide", [(1, 32, 3, False), (16, 16, 3, True), (1, 6, 5, True)])
def test_widened_columns_only_where_they_pay(c, out, k, wide):
    x = gb.Tensor(np.zeros((2, c, 8, 8), np.float32))
    w = gb.Tensor(np.zeros((out, c, k, k), np.float32), requires_grad=True)
    y = Conv2d.apply(x, w, padding=((1, 1), (1, 1)))
    assert y.grad_fn.wide is wide

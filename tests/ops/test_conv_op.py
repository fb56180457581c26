"""Conv2d op: forward against explicit loops, the output-size formula, gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassbox as gb
from glassbox.nn import functional as F
from glassbox.ops.conv import output_size, same_padding
from helpers import t64


def naive_conv(x, w, b, stride, pads):
    """Textbook convolution: one dot product per (sample, filter, output pixel)."""
    (pt, pb), (pl, pr) = pads
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    n, _, hp, wp = xp.shape
    o, _, kh, kw = w.shape
    oh, ow = (hp - kh) // stride[0] + 1, (wp - kw) // stride[1] + 1
    out = np.zeros((n, o, oh, ow))
    for i in range(n):
        for f in range(o):
            for r in range(oh):
                for c in range(ow):
                    r0, c0 = r * stride[0], c * stride[1]
                    out[i, f, r, c] = np.sum(xp[i, :, r0:r0 + kh, c0:c0 + kw] * w[f])
                    if b is not None:
                        out[i, f, r, c] += b[f]
    return out



CASES = [  # (x shape, w shape, stride, padding, resolved pads)
    ((2, 3, 7, 7), (4, 3, 3, 3), 1, 0, ((0, 0), (0, 0))),
    ((2, 3, 7, 7), (4, 3, 3, 3), 1, "same", ((1, 1), (1, 1))),
    ((2, 3, 7, 7), (4, 3, 3, 3), 2, 1, ((1, 1), (1, 1))),
    ((1, 2, 9, 8), (3, 2, 5, 5), 1, "valid", ((0, 0), (0, 0))),
    ((1, 2, 9, 8), (3, 2, 5, 5), 2, 2, ((2, 2), (2, 2))),
    ((2, 3, 5, 6), (5, 3, 1, 1), 1, 0, ((0, 0), (0, 0))),
    ((2, 3, 5, 6), (5, 3, 1, 1), 2, 0, ((0, 0), (0, 0))),
    ((2, 2, 6, 7), (3, 2, 2, 3), (2, 1), (1, 0), ((1, 1), (0, 0))),
    ((1, 2, 8, 7), (2, 2, 3, 3), 2, "same", ((0, 1), (1, 1))),
    ((1, 1, 6, 6), (2, 1, 4, 4), 1, "same", ((1, 2), (1, 2))),
]


@pytest.mark.parametrize("xs, ws, stride, padding, pads", CASES)
def test_forward_matches_explicit_loops(xs, ws, stride, padding, pads):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    s = stride if isinstance(stride, tuple) else (stride, stride)
    out = F.conv2d(t64(x, False), t64(w, False), t64(b, False), stride=stride, padding=padding)
    np.testing.assert_allclose(out.numpy(), naive_conv(x, w, b, s, pads), atol=1e-10)
    # the course's output size, ⌊(n + 2p − f)/s⌋ + 1
    assert out.shape[2] == (xs[2] + sum(pads[0]) - ws[2]) // s[0] + 1
    assert out.shape[3] == (xs[3] + sum(pads[1]) - ws[3]) // s[1] + 1


@pytest.mark.parametrize("xs, ws, stride, padding, pads", CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_gradcheck(xs, ws, stride, padding, pads, bias):
    rng = np.random.default_rng(1)
    x, w = t64(rng.standard_normal(xs)), t64(rng.standard_normal(ws))
    inputs = [x, w] + ([t64(rng.standard_normal(ws[0]))] if bias else [])
    fn = lambda *t: F.conv2d(t[0], t[1], t[2] if bias else None, stride=stride, padding=padding)
    assert gb.gradcheck(fn, *inputs)


def test_output_size_formula_and_same_padding():
    assert output_size(32, 5, 0, 1) == 28              # LeNet-5 conv1, valid
    assert output_size(227, 11, 0, 4) == 55            # AlexNet conv1
    assert output_size(7, 3, 2, 2) == 4                # ⌊(7 + 2 − 3)/2⌋ + 1
    for n in range(1, 12):
        for f in (1, 2, 3, 5):
            for s in (1, 2, 3):
                lo, hi = same_padding(n, f, s)
                assert output_size(n, f, lo + hi, s) == -(-n // s)
                assert hi - lo in (0, 1)


def test_one_by_one_conv_is_a_dense_layer_over_channels():
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal((2, 5, 3, 4)), rng.standard_normal((7, 5, 1, 1)), rng.standard_normal(7)
    out = F.conv2d(t64(x, False), t64(w, False), t64(b, False)).numpy()
    per_pixel = F.linear(t64(x.transpose(0, 2, 3, 1), False), t64(w[:, :, 0, 0], False), t64(b, False))
    np.testing.assert_allclose(out, per_pixel.numpy().transpose(0, 3, 1, 2), atol=1e-12)


def test_float32_in_float32_out_and_no_input_grad_needed():
    x = gb.Tensor(np.random.default_rng(3).standard_normal((2, 1, 6, 6)))
    w = gb.Tensor(np.random.default_rng(4).standard_normal((3, 1, 3, 3)), requires_grad=True)
    out = F.conv2d(x, w, padding=1)
    assert out.dtype == np.float32
    out.sum().backward()
    assert w.grad.dtype == np.float32 and x.grad is None


@settings(max_examples=10, deadline=None)
@given(n=st.integers(1, 2), c=st.integers(1, 3), o=st.integers(1, 3), h=st.integers(3, 7),
       w=st.integers(3, 7), kh=st.integers(1, 3), kw=st.integers(1, 3), sh=st.integers(1, 2),
       sw=st.integers(1, 2), ph=st.integers(0, 1), pw=st.integers(0, 1), seed=st.integers(0, 99))
def test_random_shapes(n, c, o, h, w, kh, kw, sh, sw, ph, pw, seed):
    rng = np.random.default_rng(seed)
    x, wt, b = rng.standard_normal((n, c, h, w)), rng.standard_normal((o, c, kh, kw)), rng.standard_normal(o)
    fn = lambda a, k, bb: F.conv2d(a, k, bb, stride=(sh, sw), padding=(ph, pw))
    out = fn(t64(x, False), t64(wt, False), t64(b, False))
    np.testing.assert_allclose(out.numpy(), naive_conv(x, wt, b, (sh, sw), ((ph, ph), (pw, pw))), atol=1e-10)
    assert gb.gradcheck(fn, t64(x), t64(wt), t64(b))

"""Conv2d op with dilation and groups (PyTorch semantics): forward against an explicit loop,
gradients by central differences, on fixed and random (hypothesis) shapes."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassbox as gb
from glassbox.errors import InvalidArgumentError, ShapeError
from glassbox.ops.conv import Conv2d, check_fits, check_groups, conv_out_hw, resolve_padding
from helpers import t64


def loop_conv(x, w, b, stride, pads, dilation, groups):
    """One dot product per (sample, filter, output pixel), over the filter's group of input
    channels, with the kernel's cells d apart."""
    (pt, pb), (pl, pr) = pads
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    n, c, hp, wp = xp.shape
    o, cg, kh, kw = w.shape
    (sh, sw), (dh, dw) = stride, dilation
    oh, ow = (hp - dh * (kh - 1) - 1) // sh + 1, (wp - dw * (kw - 1) - 1) // sw + 1
    og = o // groups
    out = np.zeros((n, o, oh, ow))
    for i in range(n):
        for f in range(o):
            g = f // og
            chans = xp[i, g * cg:(g + 1) * cg]
            for r in range(oh):
                for q in range(ow):
                    r0, q0 = r * sh, q * sw
                    win = chans[:, r0:r0 + dh * (kh - 1) + 1:dh, q0:q0 + dw * (kw - 1) + 1:dw]
                    out[i, f, r, q] = np.sum(win * w[f]) + (0.0 if b is None else b[f])
    return out



def conv(x, w, b=None, stride=(1, 1), pads=((0, 0), (0, 0)), dilation=(1, 1), groups=1,
         algorithm=None):
    inputs = (x, w) if b is None else (x, w, b)
    return Conv2d.apply(*inputs, stride=stride, padding=pads, dilation=dilation, groups=groups,
                        algorithm=algorithm)


ALGORITHMS = ["gemm", "im2col"]  # the fast path and the plain per-sample im2col


CASES = [  # x shape, C_out, kernel, stride, pads, dilation, groups
    ((2, 4, 9, 9), 6, (3, 3), (1, 1), ((0, 0), (0, 0)), (2, 2), 1),
    ((2, 4, 9, 9), 6, (3, 3), (1, 1), ((2, 2), (2, 2)), (2, 2), 2),
    ((1, 4, 8, 10), 4, (3, 2), (2, 1), ((1, 1), (0, 2)), (1, 3), 4),   # depthwise
    ((2, 6, 7, 7), 9, (3, 3), (2, 2), ((1, 1), (1, 1)), (1, 1), 3),
    ((2, 6, 7, 7), 4, (1, 1), (1, 1), ((0, 0), (0, 0)), (1, 1), 2),   # grouped 1×1
    ((2, 6, 7, 7), 6, (1, 1), (2, 2), ((1, 1), (1, 1)), (1, 1), 3),   # strided grouped 1×1
    ((1, 2, 11, 11), 2, (3, 3), (3, 2), ((0, 1), (1, 0)), (3, 2), 1),
    ((1, 8, 6, 6), 8, (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 8),   # depthwise, stride 1
]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("xs, oc, k, stride, pads, dil, groups", CASES)
def test_forward_matches_explicit_loop(xs, oc, k, stride, pads, dil, groups, algorithm):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(xs)
    w = rng.standard_normal((oc, xs[1] // groups) + k)
    b = rng.standard_normal(oc)
    out = conv(t64(x, False), t64(w, False), t64(b, False), stride, pads, dil, groups, algorithm)
    ref = loop_conv(x, w, b, stride, pads, dil, groups)
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-10)
    assert out.shape[2:] == conv_out_hw(xs[2:], k, stride, pads, dil)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("xs, oc, k, stride, pads, dil, groups", CASES)
def test_gradcheck(xs, oc, k, stride, pads, dil, groups, algorithm):
    rng = np.random.default_rng(1)
    x = t64(rng.standard_normal(xs))
    w = t64(rng.standard_normal((oc, xs[1] // groups) + k))
    b = t64(rng.standard_normal(oc))
    assert gb.gradcheck(lambda *t: conv(*t, stride=stride, pads=pads, dilation=dil, groups=groups,
                                        algorithm=algorithm), x, w, b)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 2), groups=st.integers(1, 3), cg=st.integers(1, 2), og=st.integers(1, 2),
       kh=st.integers(1, 3), kw=st.integers(1, 3), sh=st.integers(1, 3), sw=st.integers(1, 2),
       dh=st.integers(1, 3), dw=st.integers(1, 2), ph=st.integers(0, 2), pw=st.integers(0, 2),
       h=st.integers(1, 8), w=st.integers(1, 8), seed=st.integers(0, 2**16))
def test_random_shapes_forward_and_gradcheck(n, groups, cg, og, kh, kw, sh, sw, dh, dw, ph, pw,
                                             h, w, seed):
    pads = ((ph, ph), (pw, pw))
    if dh * (kh - 1) + 1 > h + 2 * ph or dw * (kw - 1) + 1 > w + 2 * pw:
        with pytest.raises(ShapeError, match="larger than the padded input"):
            check_fits((h, w), (kh, kw), pads, "conv2d", (dh, dw))
        return
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, groups * cg, h, w))
    wt = rng.standard_normal((groups * og, cg, kh, kw))
    args = dict(stride=(sh, sw), pads=pads, dilation=(dh, dw), groups=groups)
    out = conv(t64(x, False), t64(wt, False), **args)
    np.testing.assert_allclose(out.numpy(), loop_conv(x, wt, None, **{
        "stride": (sh, sw), "pads": pads, "dilation": (dh, dw), "groups": groups}), atol=1e-10)
    assert gb.gradcheck(lambda a, b: conv(a, b, **args), t64(x), t64(wt))


def test_same_padding_accounts_for_dilation():
    # PyTorch's "same" at stride 1: d·(f − 1) in all, the odd one after
    assert resolve_padding("same", (9, 9), (3, 3), (1, 1), "conv2d", (2, 2)) == ((2, 2), (2, 2))
    assert resolve_padding("same", (9, 9), (2, 2), (1, 1), "conv2d", (3, 3)) == ((1, 2), (1, 2))


def test_groups_must_divide_channels():
    assert check_groups(6, 9, 3, "Conv2d") == 3
    with pytest.raises(InvalidArgumentError, match="in_channels=6 must be divisible by groups=4"):
        check_groups(6, 8, 4, "Conv2d")
    with pytest.raises(InvalidArgumentError, match="out_channels=9 must be divisible by groups=2"):
        check_groups(6, 9, 2, "Conv2d")
    with pytest.raises(InvalidArgumentError, match="positive int"):
        check_groups(6, 9, 0, "Conv2d")
    with pytest.raises(ValueError):  # the shared hierarchy keeps ValueError
        check_groups(6, 9, True, "Conv2d")


def test_dilated_kernel_larger_than_input_is_a_clear_error():
    with pytest.raises(ShapeError, match=r"kernel 3×3 \(dilated by \(3, 3\) to 7×7\)"):
        check_fits((5, 5), (3, 3), ((0, 0), (0, 0)), "conv2d", (3, 3))

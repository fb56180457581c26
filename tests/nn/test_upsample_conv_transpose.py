"""ConvTranspose2d: forward against the definition (scatter loops), the adjoint identity with
Conv2d, the output-size formula, gradients (fixed and random shapes), errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassbox as gb
from glassbox import nn
from glassbox.nn import functional as F
from helpers import t64


def naive_conv_transpose(x, w, b, stride, pad, out_pad):
    """Definition: input pixel (i, j) of channel c adds x·W[c] onto the output at (i·s, j·s)."""
    n, c_in, h, wd = x.shape
    _, c_out, kh, kw = w.shape
    (sh, sw), (ph, pw), (oph, opw) = stride, pad, out_pad
    full = np.zeros((n, c_out, (h - 1) * sh + kh + oph, (wd - 1) * sw + kw + opw))
    for a in range(n):
        for c in range(c_in):
            for i in range(h):
                for j in range(wd):
                    full[a, :, i * sh:i * sh + kh, j * sw:j * sw + kw] += x[a, c, i, j] * w[c]
    out = full[:, :, ph:full.shape[2] - ph, pw:full.shape[3] - pw]
    return out if b is None else out + b.reshape(1, -1, 1, 1)



def as_pair(v):
    return v if isinstance(v, tuple) else (v, v)


CASES = [  # (x shape, w shape (in, out, kh, kw), stride, padding, output_padding)
    ((2, 3, 4, 4), (3, 2, 3, 3), 1, 0, 0),
    ((2, 3, 4, 5), (3, 2, 3, 3), 1, 1, 0),
    ((2, 3, 4, 4), (3, 2, 3, 3), 2, 1, 1),
    ((1, 2, 3, 3), (2, 4, 4, 4), 2, 1, 0),
    ((2, 2, 3, 4), (2, 3, 2, 2), 2, 0, 0),
    ((1, 2, 3, 3), (2, 1, 3, 3), 3, 0, 2),
    ((2, 3, 4, 3), (3, 2, 1, 1), 1, 0, 0),
    ((2, 3, 3, 3), (3, 2, 1, 1), 2, 0, 1),
    ((1, 2, 3, 4), (2, 3, 2, 3), (2, 1), (1, 0), (1, 0)),
    ((1, 1, 5, 5), (1, 2, 5, 5), 1, 2, 0),
]


@pytest.mark.parametrize("xs, ws, stride, padding, out_pad", CASES)
def test_forward_matches_definition(xs, ws, stride, padding, out_pad):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[1])
    out = F.conv_transpose2d(t64(x, False), t64(w, False), t64(b, False), stride, padding, out_pad)
    s, p, op = as_pair(stride), as_pair(padding), as_pair(out_pad)
    np.testing.assert_allclose(out.numpy(), naive_conv_transpose(x, w, b, s, p, op), atol=1e-10)
    for axis in (0, 1):  # (n − 1)·s − 2p + f + output_padding
        n_in, f = xs[2 + axis], ws[2 + axis]
        assert out.shape[2 + axis] == (n_in - 1) * s[axis] - 2 * p[axis] + f + op[axis]


@pytest.mark.parametrize("xs, ws, stride, padding, out_pad", CASES)
def test_adjoint_of_conv2d(xs, ws, stride, padding, out_pad):
    """⟨conv(x), y⟩ = ⟨x, conv_transpose(y)⟩ with the same weight, stride and padding."""
    rng = np.random.default_rng(2)
    w = t64(rng.standard_normal(ws), False)
    y = t64(rng.standard_normal(xs), False)
    ty = F.conv_transpose2d(y, w, None, stride, padding, out_pad)
    x = t64(rng.standard_normal(ty.shape), False)
    cx = F.conv2d(x, w, None, stride, padding)
    assert cx.shape == y.shape  # the conv maps the big map back to y's size
    lhs = float((cx.numpy() * y.numpy()).sum())
    rhs = float((x.numpy() * ty.numpy()).sum())
    assert lhs == pytest.approx(rhs, rel=1e-10, abs=1e-10)


@pytest.mark.parametrize("xs, ws, stride, padding, out_pad", CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_gradcheck(xs, ws, stride, padding, out_pad, bias):
    rng = np.random.default_rng(1)
    inputs = [t64(rng.standard_normal(xs)), t64(rng.standard_normal(ws))]
    if bias:
        inputs.append(t64(rng.standard_normal(ws[1])))
    fn = lambda *t: F.conv_transpose2d(t[0], t[1], t[2] if bias else None, stride, padding, out_pad)
    assert gb.gradcheck(fn, *inputs)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 2), c_in=st.integers(1, 3), c_out=st.integers(1, 3),
       h=st.integers(1, 4), w=st.integers(1, 4), k=st.integers(1, 4), s=st.integers(1, 3),
       p=st.integers(0, 2), op=st.integers(0, 2), seed=st.integers(0, 2**16))
def test_gradcheck_random_shapes(n, c_in, c_out, h, w, k, s, p, op, seed):
    op = min(op, s - 1)
    out_h, out_w = (h - 1) * s - 2 * p + k + op, (w - 1) * s - 2 * p + k + op
    if min(out_h, out_w) < 1:
        with pytest.raises(ValueError, match="empty"):
            F.conv_transpose2d(t64(np.zeros((n, c_in, h, w))), t64(np.zeros((c_in, c_out, k, k))),
                               stride=s, padding=p, output_padding=op)
        return
    rng = np.random.default_rng(seed)
    x, wt, b = (t64(rng.standard_normal(shape)) for shape in
                ((n, c_in, h, w), (c_in, c_out, k, k), (c_out,)))
    out = F.conv_transpose2d(x, wt, b, s, p, op)
    assert out.shape == (n, c_out, out_h, out_w)
    np.testing.assert_allclose(out.numpy(), naive_conv_transpose(
        x.numpy(), wt.numpy(), b.numpy(), (s, s), (p, p), (op, op)), atol=1e-10)
    assert gb.gradcheck(lambda *t: F.conv_transpose2d(*t, stride=s, padding=p, output_padding=op),
                        x, wt, b)


def test_layer_doubles_and_undoes_stride2_conv_shape():
    gb.manual_seed(0)
    down = nn.Conv2d(4, 8, 3, stride=2, padding=1)
    up = nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1)
    x = gb.Tensor(np.random.default_rng(0).standard_normal((2, 4, 14, 14)))
    z = down(x)
    assert z.shape == (2, 8, 7, 7)
    y = up(z)
    assert y.shape == x.shape and y.dtype == np.float32
    assert up.output_shape((7, 7)) == (14, 14)
    assert up.weight.shape == (8, 4, 3, 3) and up.bias.shape == (4,)
    y.sum().backward()
    assert up.weight.grad.shape == up.weight.shape and up.bias.grad.shape == (4,)
    # each output pixel adds its channel's bias once: dL/db = number of pixels per channel
    np.testing.assert_allclose(up.bias.grad.numpy(), np.full(4, 2 * 14 * 14))


def test_layer_gradcheck_float64_no_bias():
    gb.manual_seed(3)
    layer = nn.ConvTranspose2d(2, 3, (2, 3), stride=(2, 1), padding=(0, 1), bias=False,
                               dtype=np.float64)
    x = t64(np.random.default_rng(4).standard_normal((2, 2, 3, 3)))
    assert layer.bias is None and "bias=False" in repr(layer)
    assert gb.gradcheck(lambda a, w: F.conv_transpose2d(a, w, None, (2, 1), (0, 1)), x, layer.weight)
    np.testing.assert_allclose(layer(x).numpy(), naive_conv_transpose(
        x.numpy(), layer.weight.numpy(), None, (2, 1), (0, 1), (0, 0)), atol=1e-12)


def test_errors_name_layer_and_values():
    with pytest.raises(ValueError, match="output_padding .* smaller than the stride"):
        nn.ConvTranspose2d(2, 2, 3, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="in_channels"):
        nn.ConvTranspose2d(0, 2, 3)
    with pytest.raises(ValueError, match="padding"):
        nn.ConvTranspose2d(2, 2, 3, padding=-1)
    layer = nn.ConvTranspose2d(3, 2, 3)
    with pytest.raises(ValueError, match=r"ConvTranspose2d\(3, 2.*3 channels.*\(1, 2, 4, 4\)"):
        layer(gb.Tensor(np.zeros((1, 2, 4, 4))))
    with pytest.raises(ValueError, match="4-D"):
        layer(gb.Tensor(np.zeros((3, 4, 4))))
    with pytest.raises(ValueError, match=r"= \(-1, -1\) is empty"):
        nn.ConvTranspose2d(1, 1, 1, padding=1)(gb.Tensor(np.zeros((1, 1, 1, 1))))
    with pytest.raises(ValueError, match=r"expected bias of shape \(2,\), got shape \(3,\)"):
        F.conv_transpose2d(gb.Tensor(np.zeros((1, 1, 2, 2))), gb.Tensor(np.zeros((1, 2, 2, 2))),
                           gb.Tensor(np.zeros(3)))

"""ConvTranspose2d's ``dilation`` and ``groups`` (PyTorch's semantics): forward against a plain
NumPy scatter loop, the adjoint identity with a dilated/grouped Conv2d, the output-size
formula, gradients on fixed and random shapes, the layer and its errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassbox as gb
from glassbox import nn
from glassbox.nn import functional as F
from helpers import t64


def pair(v):
    return v if isinstance(v, tuple) else (v, v)


def naive(x, w, b, stride, pad, out_pad, dilation, groups):
    """Definition: input pixel (i, j) of channel c (group k = c // (C_in/g)) adds x·W[c], its
    cells d apart, onto output channels k·C_out/g … at (i·s, j·s)."""
    n, c_in, h, wd = x.shape
    _, c_out_g, kh, kw = w.shape
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = map(pair, (stride, pad, out_pad, dilation))
    full = np.zeros((n, c_out_g * groups, (h - 1) * sh + dh * (kh - 1) + 1 + oph,
                     (wd - 1) * sw + dw * (kw - 1) + 1 + opw))
    per_group = c_in // groups
    for a in range(n):
        for c in range(c_in):
            k = c // per_group
            for i in range(h):
                for j in range(wd):
                    for u in range(kh):
                        for v in range(kw):
                            full[a, k * c_out_g:(k + 1) * c_out_g, i * sh + u * dh, j * sw + v * dw] += \
                                x[a, c, i, j] * w[c, :, u, v]
    out = full[:, :, ph:full.shape[2] - ph, pw:full.shape[3] - pw]
    return out if b is None else out + b.reshape(1, -1, 1, 1)


CASES = [  # x shape, w shape (in, out/g, kh, kw), stride, padding, output_padding, dilation, groups
    ((2, 2, 3, 3), (2, 2, 3, 3), 1, 0, 0, 2, 1),
    ((1, 3, 4, 3), (3, 2, 2, 3), 2, 1, 1, (2, 3), 1),
    ((2, 4, 3, 3), (4, 1, 3, 3), 2, 1, 1, 1, 2),
    ((1, 4, 3, 4), (4, 3, 2, 2), 1, 0, 0, 1, 4),
    ((2, 6, 3, 3), (6, 2, 3, 2), 2, (1, 0), (0, 1), 2, 3),
    ((1, 2, 4, 4), (2, 1, 3, 3), 1, 1, 1, 2, 2),  # output_padding 1 < dilation 2 with stride 1
    ((1, 4, 2, 2), (4, 2, 1, 1), 3, 0, 2, 1, 2),
]


@pytest.mark.parametrize("xs, ws, s, p, op, d, g", CASES)
def test_forward_matches_definition_and_size_formula(xs, ws, s, p, op, d, g):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[1] * g)
    out = F.conv_transpose2d(t64(x, False), t64(w, False), t64(b, False), s, p, op, g, d)
    np.testing.assert_allclose(out.numpy(), naive(x, w, b, s, p, op, d, g), atol=1e-10)
    for axis in (0, 1):  # (n − 1)·s − 2p + d·(f − 1) + 1 + output_padding
        n_in, f = xs[2 + axis], ws[2 + axis]
        sa, pa, opa, da = (pair(v)[axis] for v in (s, p, op, d))
        assert out.shape[2 + axis] == (n_in - 1) * sa - 2 * pa + da * (f - 1) + 1 + opa
    assert out.shape[1] == ws[1] * g


@pytest.mark.parametrize("xs, ws, s, p, op, d, g", CASES)
def test_adjoint_of_dilated_grouped_conv2d(xs, ws, s, p, op, d, g):
    """⟨conv(x), y⟩ = ⟨x, conv_transpose(y)⟩ with the same weight, stride, padding, dilation, groups."""
    rng = np.random.default_rng(2)
    w = t64(rng.standard_normal(ws), False)
    y = t64(rng.standard_normal(xs), False)
    ty = F.conv_transpose2d(y, w, None, s, p, op, g, d)
    x = t64(rng.standard_normal(ty.shape), False)
    cx = F.conv2d(x, w, None, s, p, d, g).numpy()
    # with stride 1 an output_padding row is one the conv slides onto too: y is 0 there
    assert cx.shape[2:] == tuple(m + (pair(op)[i] if pair(s)[i] == 1 else 0) for i, m in enumerate(xs[2:]))
    cx = cx[:, :, :xs[2], :xs[3]]
    assert float((cx * y.numpy()).sum()) == pytest.approx(
        float((x.numpy() * ty.numpy()).sum()), rel=1e-10, abs=1e-10)


@pytest.mark.parametrize("xs, ws, s, p, op, d, g", CASES)
def test_gradcheck(xs, ws, s, p, op, d, g):
    rng = np.random.default_rng(1)
    inputs = [t64(rng.standard_normal(shape)) for shape in (xs, ws, (ws[1] * g,))]
    assert gb.gradcheck(lambda *t: F.conv_transpose2d(*t, s, p, op, g, d), *inputs)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 2), g=st.integers(1, 3), cin_g=st.integers(1, 2), cout_g=st.integers(1, 2),
       h=st.integers(1, 3), w=st.integers(1, 3), k=st.integers(1, 3), s=st.integers(1, 3),
       p=st.integers(0, 2), op=st.integers(0, 2), d=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_gradcheck_random_shapes(n, g, cin_g, cout_g, h, w, k, s, p, op, d, seed):
    op = min(op, max(s, d) - 1)
    c_in, c_out = cin_g * g, cout_g * g
    size = [(m - 1) * s - 2 * p + d * (k - 1) + 1 + op for m in (h, w)]
    if min(size) < 1:
        with pytest.raises(ValueError, match="empty"):
            F.conv_transpose2d(t64(np.zeros((n, c_in, h, w))), t64(np.zeros((c_in, cout_g, k, k))),
                               stride=s, padding=p, output_padding=op, groups=g, dilation=d)
        return
    rng = np.random.default_rng(seed)
    x, wt, b = (t64(rng.standard_normal(shape)) for shape in
                ((n, c_in, h, w), (c_in, cout_g, k, k), (c_out,)))
    out = F.conv_transpose2d(x, wt, b, s, p, op, g, d)
    assert out.shape == (n, c_out, *size)
    np.testing.assert_allclose(out.numpy(), naive(x.numpy(), wt.numpy(), b.numpy(), s, p, op, d, g),
                               atol=1e-10)
    assert gb.gradcheck(lambda *t: F.conv_transpose2d(*t, s, p, op, g, d), x, wt, b)


def test_layer_with_dilation_and_groups():
    gb.manual_seed(0)
    layer = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2,
                               dilation=2, dtype=np.float64)
    assert layer.weight.shape == (4, 3, 3, 3) and layer.bias.shape == (6,)
    assert (layer.groups, layer.dilation) == (2, (2, 2))
    assert repr(layer) == ("ConvTranspose2d(4, 6, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), "
                           "output_padding=(1, 1), dilation=(2, 2), groups=2)")
    x = t64(np.random.default_rng(3).standard_normal((2, 4, 3, 3)))
    y = layer(x)
    assert y.shape == (2, 6) + layer.output_shape((3, 3)) == (2, 6, 8, 8)
    np.testing.assert_allclose(y.numpy(), naive(x.numpy(), layer.weight.numpy(), layer.bias.numpy(),
                                                2, 1, 1, 2, 2), atol=1e-12)
    # He-uniform (bound √(6/fan_in)) with the transposed layout's fan_in = out/g·kh·kw = 27,
    # not in·kh·kw = 36: some weights exceed √(6/36)
    assert np.sqrt(6 / 36) < np.abs(layer.weight.numpy()).max() <= np.sqrt(6 / 27)


def test_defaults_and_positional_order_are_pytorchs():
    layer = nn.ConvTranspose2d(2, 4, 3, 1, 0, 0, 2, False, 3)  # ..., groups, bias, dilation
    assert (layer.groups, layer.bias, layer.dilation) == (2, None, (3, 3))
    plain = nn.ConvTranspose2d(2, 4, 3)
    assert (plain.groups, plain.dilation, plain.output_padding) == (1, (1, 1), (0, 0))
    assert "dilation" not in repr(plain) and "groups" not in repr(plain)


def test_errors_name_layer_and_values():
    with pytest.raises(ValueError, match=r"ConvTranspose2d: in_channels=3 .*divisible by groups=2"):
        nn.ConvTranspose2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match=r"output_padding \(2, 2\) must be smaller than the stride "
                                         r"\(2, 2\) or the dilation \(2, 2\)"):
        nn.ConvTranspose2d(2, 2, 3, stride=2, dilation=2, output_padding=2)
    nn.ConvTranspose2d(2, 2, 3, stride=1, dilation=2, output_padding=1)  # < dilation: allowed
    with pytest.raises(ValueError, match="dilation"):
        nn.ConvTranspose2d(2, 2, 3, dilation=0)
    with pytest.raises(ValueError, match="padding_mode"):
        nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match=r"conv_transpose2d: .*divisible by groups=4"):
        F.conv_transpose2d(gb.Tensor(np.zeros((1, 2, 3, 3))), gb.Tensor(np.zeros((2, 1, 2, 2))), groups=4)
    with pytest.raises(ValueError, match=r"expected bias of shape \(4,\)"):
        F.conv_transpose2d(gb.Tensor(np.zeros((1, 2, 3, 3))), gb.Tensor(np.zeros((2, 2, 2, 2))),
                           gb.Tensor(np.zeros(2)), groups=2)

"""PyTorch names added from docs/pytorch.md's missing list: Conv1d/F.conv1d, L1Loss/F.l1_loss,
F.one_hot, Tensor.masked_fill/contiguous/neg — forward against NumPy, gradients checked."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassbox as gb
from glassbox import nn
from glassbox.errors import DataError, GlassboxTypeError, ShapeError
from glassbox.nn import functional as F
from helpers import away_from_kinks, t64


def naive_conv1d(x, w, b, s, p, d, g):
    n, c, length = x.shape
    out_c, c_g, k = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p)))
    out_len = (length + 2 * p - d * (k - 1) - 1) // s + 1
    out = np.zeros((n, out_c, out_len))
    per_group = out_c // g
    for o in range(out_c):
        grp = o // per_group
        for t in range(out_len):
            for ci in range(c_g):
                for j in range(k):
                    out[:, o, t] += w[o, ci, j] * xp[:, grp * c_g + ci, t * s + j * d]
    return out + (0 if b is None else b[None, :, None])


CONV1D = [  # x shape, w shape, stride, padding, dilation, groups
    ((2, 3, 7), (4, 3, 3), 1, 0, 1, 1),
    ((1, 2, 9), (3, 2, 2), 2, 1, 1, 1),
    ((2, 4, 8), (6, 2, 3), 1, 2, 2, 2),
    ((1, 3, 5), (3, 1, 1), 3, 0, 1, 3),
]


@pytest.mark.parametrize("xs, ws, s, p, d, g", CONV1D)
def test_conv1d_matches_the_definition_and_gradchecks(xs, ws, s, p, d, g):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    out = F.conv1d(t64(x), t64(w), t64(b), s, p, d, g)
    np.testing.assert_allclose(out.numpy(), naive_conv1d(x, w, b, s, p, d, g), atol=1e-10)
    assert gb.gradcheck(lambda *t: F.conv1d(*t, s, p, d, g), t64(x), t64(w), t64(b))


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 2), g=st.integers(1, 2), c_g=st.integers(1, 2), o_g=st.integers(1, 2),
       length=st.integers(1, 8), k=st.integers(1, 3), s=st.integers(1, 3), p=st.integers(0, 2),
       d=st.integers(1, 2), seed=st.integers(0, 2**16))
def test_conv1d_random_shapes(n, g, c_g, o_g, length, k, s, p, d, seed):
    if length + 2 * p < d * (k - 1) + 1:
        with pytest.raises(ShapeError):
            F.conv1d(t64(np.zeros((n, c_g * g, length))), t64(np.zeros((o_g * g, c_g, k))),
                     None, s, p, d, g)
        return
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal((n, c_g * g, length)), rng.standard_normal((o_g * g, c_g, k))
    out = F.conv1d(t64(x), t64(w), None, s, p, d, g)
    np.testing.assert_allclose(out.numpy(), naive_conv1d(x, w, None, s, p, d, g), atol=1e-10)
    assert gb.gradcheck(lambda a, b: F.conv1d(a, b, None, s, p, d, g), t64(x), t64(w))


def test_conv1d_layer():
    gb.manual_seed(0)
    layer = nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2, dtype=np.float64)
    assert layer.weight.shape == (6, 2, 3) and list(layer.state_dict()) == ["weight", "bias"]
    assert repr(layer) == "Conv1d(4, 6, kernel_size=(3,), stride=(2,), padding=(1,), groups=2)"
    x = np.random.default_rng(1).standard_normal((2, 4, 10))
    np.testing.assert_allclose(layer(t64(x)).numpy(), naive_conv1d(
        x, layer.weight.numpy(), layer.bias.numpy(), 2, 1, 1, 2), atol=1e-12)
    assert np.abs(layer.weight.numpy()).max() <= np.sqrt(6 / 6)  # He-uniform, fan_in = 2·3
    same = nn.Conv1d(2, 3, 3, padding="same", dilation=2, bias=False)
    assert same(gb.randn(1, 2, 7)).shape == (1, 3, 7) and "bias=False" in repr(same)
    with pytest.raises(ShapeError, match=r"Conv1d\(2, 3.*expected input of a 3-D shape \(N, C, L\)"):
        same(gb.randn(2, 7))
    with pytest.raises(ValueError, match=r"Conv1d: .*`kernel_size`.*kernel_size=0"):
        nn.Conv1d(2, 3, 0)
    with pytest.raises(ValueError, match="padding"):
        nn.Conv1d(2, 3, 3, padding=-1)


def test_l1_loss_values_gradient_and_module():
    pred = away_from_kinks((4, 3), seed=2)
    target = np.zeros((4, 3))
    p = t64(pred)
    loss = F.l1_loss(p, t64(target, False))
    assert loss.item() == pytest.approx(np.abs(pred).mean(), rel=1e-12)
    loss.backward()
    np.testing.assert_array_equal(p.grad.numpy(), np.sign(pred) / 12)  # sign(ŷ − y)/n
    assert gb.gradcheck(lambda a, b: F.l1_loss(a, b, reduction="sum"), t64(pred), t64(target + 0.05))
    none = F.l1_loss(t64(pred), t64(target), reduction="none").numpy()
    np.testing.assert_allclose(none, np.abs(pred))
    at_zero = t64([1.0, 2.0])
    F.l1_loss(at_zero, t64([1.0, 0.0], False)).backward()
    np.testing.assert_array_equal(at_zero.grad.numpy(), [0.0, 0.5])  # subgradient 0 at ŷ = y
    assert repr(nn.L1Loss(reduction="sum")) == "L1Loss(reduction='sum')"
    assert nn.L1Loss()(gb.tensor([1.0, 2.0, 3.0]), gb.tensor([0.0, 2.0, 5.0])).item() == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"L1Loss"):
        nn.L1Loss()(gb.zeros(3), gb.zeros(2))
    with pytest.raises(ValueError, match="reduction"):
        nn.L1Loss(reduction="avg")


def test_one_hot():
    out = F.one_hot(np.array([[0, 2], [1, 2]]))
    assert out.dtype == np.int64 and out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out.numpy()[0], [[1, 0, 0], [0, 0, 1]])
    assert F.one_hot(gb.tensor([1]), 4).tolist() == [[0, 1, 0, 0]]
    with pytest.raises(DataError, match=r"one_hot: class label 4 is out of range for num_classes=3"):
        F.one_hot(np.array([4]), 3)
    with pytest.raises(DataError, match=">= 0"):
        F.one_hot(np.array([-1, 0]))
    with pytest.raises(GlassboxTypeError, match="integer class labels"):
        F.one_hot(np.array([0.5]))
    with pytest.raises(DataError, match="empty"):
        F.one_hot(np.array([], dtype=np.int64))


def test_masked_fill_contiguous_and_neg():
    x = t64([[1.0, -2.0], [3.0, 4.0]])
    mask = np.array([[True, False], [False, True]])
    y = x.masked_fill(mask, -9.0)
    np.testing.assert_array_equal(y.numpy(), [[-9.0, -2.0], [3.0, -9.0]])
    (y * t64([[1.0, 2.0], [3.0, 4.0]], False)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 2.0], [3.0, 0.0]])
    row = x.masked_fill(np.array([True, False]), gb.tensor(0.0))  # broadcast over rows
    np.testing.assert_array_equal(row.numpy(), [[0.0, -2.0], [0.0, 4.0]])
    assert gb.tensor([1.0, 2.0]).masked_fill(gb.tensor([True, False]), 5).dtype == np.float32
    with pytest.raises(GlassboxTypeError, match="bool mask"):
        x.masked_fill(np.array([1, 0]), 0.0)
    with pytest.raises(ShapeError, match=r"mask of shape \(3,\) does not broadcast"):
        x.masked_fill(np.array([True, False, True]), 0.0)
    t = x.t()
    assert not t.data.flags.c_contiguous and t.contiguous().data.flags.c_contiguous
    assert x.contiguous() is x
    np.testing.assert_array_equal(t.contiguous().numpy(), t.numpy())
    assert gb.gradcheck(lambda a: a.t().contiguous() * 2.0, t64([[1.0, 2.0], [3.0, 4.0]]))
    assert gb.gradcheck(lambda a: a.neg(), t64([0.5, -1.5]))
    assert x.neg().tolist() == [[-1.0, 2.0], [-3.0, -4.0]]

"""Gradient checks and values of the fused losses: softmax cross-entropy (int labels and
probability targets), binary cross-entropy with logits, and the plain losses beside them."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glassbox import Tensor, gradcheck
from glassbox.nn import functional as F
from glassbox.ops.loss import (
    BinaryCrossEntropy, BinaryCrossEntropyWithLogits, MeanSquaredError, NegativeLogLikelihood,
    SoftmaxCrossEntropy,
)
from helpers import t64

REDUCTIONS = ["mean", "sum", "none"]



def ref_log_softmax(z):
    s = z - z.max(axis=1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=1, keepdims=True))


def ref_reduce(losses, reduction):
    return {"mean": losses.mean(), "sum": losses.sum(), "none": losses}[reduction]


def ce(z, y, reduction="mean"):
    return SoftmaxCrossEntropy.apply(z, y, reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_int_labels(reduction):
    rng = np.random.default_rng(0)
    z = t64(rng.standard_normal((5, 4)) * 2)
    y = Tensor(rng.integers(0, 4, 5))
    out = ce(z, y, reduction)
    expected = -ref_log_softmax(z.numpy())[np.arange(5), y.numpy()]
    np.testing.assert_allclose(out.numpy(), ref_reduce(expected, reduction), rtol=1e-12)
    assert gradcheck(lambda t: ce(t, y, reduction), z)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kind", ["onehot", "probs"])
def test_cross_entropy_probability_targets(reduction, kind):
    rng = np.random.default_rng(1)
    z = t64(rng.standard_normal((5, 4)) * 2)
    if kind == "onehot":
        target = np.eye(4)[rng.integers(0, 4, 5)]
    else:
        target = rng.random((5, 4))
        target /= target.sum(axis=1, keepdims=True)
    y = Tensor(target, dtype=np.float64)
    out = ce(z, y, reduction)
    expected = -(target * ref_log_softmax(z.numpy())).sum(axis=1)
    np.testing.assert_allclose(out.numpy(), ref_reduce(expected, reduction), rtol=1e-12)
    assert gradcheck(lambda t: ce(t, y, reduction), z)


def test_cross_entropy_onehot_equals_int_labels():
    rng = np.random.default_rng(2)
    z = rng.standard_normal((6, 3))
    labels = rng.integers(0, 3, 6)
    a = ce(Tensor(z, dtype=np.float64), Tensor(labels)).item()
    b = ce(Tensor(z, dtype=np.float64), Tensor(np.eye(3)[labels], dtype=np.float64)).item()
    assert a == pytest.approx(b, rel=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_fused_gradient_is_softmax_minus_onehot_over_m(dtype):
    rng = np.random.default_rng(3)
    m, c = 8, 5
    z = Tensor(rng.standard_normal((m, c)) * 3, requires_grad=True, dtype=dtype)
    y = rng.integers(0, c, m)
    ce(z, Tensor(y)).backward()
    zz = z.numpy().astype(np.float64)
    p = np.exp(zz - zz.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    expected = (p - np.eye(c)[y]) / m
    assert z.grad.dtype == dtype
    tol = np.finfo(dtype).eps * 4
    np.testing.assert_allclose(z.grad.numpy(), expected, rtol=0, atol=tol)


@settings(max_examples=10, deadline=None)
@given(m=st.integers(1, 5), c=st.integers(1, 5), reduction=st.sampled_from(REDUCTIONS),
       probs=st.booleans(), seed=st.integers(0, 2**31 - 1))
def test_cross_entropy_random(m, c, reduction, probs, seed):
    rng = np.random.default_rng(seed)
    z = t64(rng.standard_normal((m, c)) * 2)
    if probs:
        t = rng.random((m, c)) + 0.01
        y = Tensor(t / t.sum(axis=1, keepdims=True), dtype=np.float64)
    else:
        y = Tensor(rng.integers(0, c, m))
    assert gradcheck(lambda u: ce(u, y, reduction), z)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_at_plus_minus_1000(strict, dtype):
    z = Tensor([[1000.0, -1000.0, 0.0], [1000.0, 1000.0, -1000.0], [-1000.0, 1000.0, -1000.0]],
               requires_grad=True, dtype=dtype)
    y = Tensor(np.array([0, 1, 0]))
    losses = ce(z, y, "none")
    np.testing.assert_allclose(losses.numpy(), [0.0, np.log(2), 2000.0], rtol=1e-6)
    loss = ce(z, y)
    assert np.isfinite(loss.item())
    loss.backward()
    np.testing.assert_allclose(z.grad.numpy(), np.array([[0, 0, 0], [0.5, -0.5, 0], [-1, 1, 0]]) / 3,
                               atol=1e-7)
    probs = Tensor(np.eye(3)[[0, 1, 0]], dtype=dtype)
    np.testing.assert_allclose(ce(z, probs, "none").numpy(), [0.0, np.log(2), 2000.0], rtol=1e-6)


@pytest.mark.parametrize("labels,bad", [([0, 3, 1], 3), ([0, -1, 1], -1), ([7, 0, 0], 7)])
def test_cross_entropy_label_out_of_range_names_label(labels, bad):
    z = Tensor(np.zeros((3, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=rf"label {bad}\b.*\[0, 3\)"):
        F.cross_entropy(z, Tensor(np.array(labels)))


def test_cross_entropy_shape_errors():
    z = Tensor(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"cross_entropy: .*\(3,\).*\(2,\)"):
        F.cross_entropy(z, Tensor(np.array([0, 1])))
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(3, 3\)"):
        F.cross_entropy(z, Tensor(np.zeros((3, 3))))
    with pytest.raises(ValueError, match="batch, classes"):
        F.cross_entropy(Tensor(np.zeros(4)), Tensor(np.array([0])))
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(3,\)"):  # float targets are probabilities
        F.cross_entropy(z, Tensor(np.array([0.0, 1.0, 2.0])))
    with pytest.raises(TypeError, match="integers"):
        F.cross_entropy(z, Tensor(np.array([0.0, 1.0, 2.0]), dtype=np.float64).astype(np.complex64))
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(z, Tensor(np.array([0, 1, 2])), reduction="avg")
    with pytest.raises(ValueError, match="at least one row"):
        F.cross_entropy(Tensor(np.zeros((0, 4))), Tensor(np.zeros(0, dtype=np.int64)))


def bce_ref(z, y):
    p = 1 / (1 + np.exp(-z))
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(6,), (4, 3)])
def test_bce_with_logits(reduction, shape):
    rng = np.random.default_rng(4)
    z = t64(rng.standard_normal(shape) * 3)
    y = Tensor(rng.random(shape), dtype=np.float64)
    out = BinaryCrossEntropyWithLogits.apply(z, y, reduction=reduction)
    np.testing.assert_allclose(out.numpy(), ref_reduce(bce_ref(z.numpy(), y.numpy()), reduction), rtol=1e-10)
    assert gradcheck(lambda t: BinaryCrossEntropyWithLogits.apply(t, y, reduction=reduction), z)


@settings(max_examples=10, deadline=None)
@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=2), reduction=st.sampled_from(REDUCTIONS),
       seed=st.integers(0, 2**31 - 1))
def test_bce_with_logits_random(shape, reduction, seed):
    rng = np.random.default_rng(seed)
    z = t64(rng.standard_normal(shape) * 3)
    y = Tensor((rng.random(shape) > 0.5).astype(np.float64), dtype=np.float64)
    assert gradcheck(lambda t: BinaryCrossEntropyWithLogits.apply(t, y, reduction=reduction), z)


def test_bce_with_logits_at_plus_minus_1000_and_int_targets(strict):
    z = Tensor([-1000.0, 1000.0, -1000.0, 1000.0], requires_grad=True)
    y = Tensor(np.array([0, 1, 1, 0]))  # integer labels
    loss = BinaryCrossEntropyWithLogits.apply(z, y, reduction="none")
    assert loss.dtype == np.float32
    np.testing.assert_allclose(loss.numpy(), [0, 0, 1000, 1000])
    BinaryCrossEntropyWithLogits.apply(z, y).backward()
    assert z.grad.dtype == np.float32
    np.testing.assert_allclose(z.grad.numpy(), np.array([0, 0, -1, 1]) / 4)


def test_bce_with_logits_shape_mismatch():
    with pytest.raises(ValueError, match=r"\(4,\).*\(3,\)"):
        F.binary_cross_entropy_with_logits(Tensor(np.zeros(4)), Tensor(np.zeros(3)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_other_losses_gradcheck(reduction):
    rng = np.random.default_rng(5)
    p = t64(rng.uniform(0.1, 0.9, (4, 3)))
    y01 = Tensor((rng.random((4, 3)) > 0.5).astype(float), dtype=np.float64)
    assert gradcheck(lambda t: BinaryCrossEntropy.apply(t, y01, reduction=reduction), p)
    pred, target = t64(rng.standard_normal((4, 3))), t64(rng.standard_normal((4, 3)))
    for half in (False, True):
        assert gradcheck(lambda a, b: MeanSquaredError.apply(a, b, reduction=reduction, half=half), pred, target)
    logp = t64(ref_log_softmax(rng.standard_normal((4, 3))))
    labels = Tensor(rng.integers(0, 3, 4))
    assert gradcheck(lambda t: NegativeLogLikelihood.apply(t, labels, reduction=reduction), logp)

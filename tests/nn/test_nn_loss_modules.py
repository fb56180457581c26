"""Loss modules against values worked out by hand on tiny inputs, plus gradients and errors."""
import math

import numpy as np
import pytest

import glassbox as gb
from glassbox import nn
from helpers import t64



def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


# ------------------------------------------------------------------------- MSE
def test_mse_reductions_by_hand():
    # ŷ − y = [0, 2, −2] → squares [0, 4, 4]
    pred, target = [1.0, 2.0, 3.0], [1.0, 0.0, 5.0]
    assert nn.MSELoss()(t64(pred), target).item() == pytest.approx(8.0 / 3.0)
    assert nn.MSELoss("sum")(t64(pred), target).item() == pytest.approx(8.0)
    np.testing.assert_allclose(nn.MSELoss("none")(t64(pred), target).numpy(), [0.0, 4.0, 4.0])
    assert nn.MSELoss(half=True)(t64(pred), target).item() == pytest.approx(4.0 / 3.0)
    np.testing.assert_allclose(nn.MSELoss("none", half=True)(t64(pred), target).numpy(),
                               [0.0, 2.0, 2.0])


def test_mse_gradients_by_hand():
    pred, target = [1.0, 2.0, 3.0], [1.0, 0.0, 5.0]
    p = t64(pred)
    nn.MSELoss("sum", half=True)(p, target).backward()
    np.testing.assert_allclose(p.grad.numpy(), [0.0, 2.0, -2.0])  # ½(y − ŷ)²: gradient ŷ − y
    p = t64(pred)
    nn.MSELoss()(p, target).backward()
    np.testing.assert_allclose(p.grad.numpy(), [0.0, 4.0 / 3.0, -4.0 / 3.0])  # 2(ŷ − y)/n
    p, y = t64(pred), t64(target)
    nn.MSELoss("sum")(p, y).backward()
    np.testing.assert_allclose(y.grad.numpy(), -p.grad.numpy())
    rng = np.random.default_rng(0)
    assert gb.gradcheck(lambda a, b: nn.MSELoss(half=True)(a, b), t64(rng.standard_normal((3, 2))),
                        t64(rng.standard_normal((3, 2))))


# ------------------------------------------------------------------------- BCE
def test_bce_by_hand():
    # p = [0.8, 0.3], y = [1, 0] → losses [−ln 0.8, −ln 0.7]
    p, y = [0.8, 0.3], [1.0, 0.0]
    l0, l1 = -math.log(0.8), -math.log(0.7)
    assert nn.BCELoss()(t64(p), y).item() == pytest.approx((l0 + l1) / 2)
    assert nn.BCELoss("sum")(t64(p), y).item() == pytest.approx(l0 + l1)
    np.testing.assert_allclose(nn.BCELoss("none")(t64(p), y).numpy(), [l0, l1])
    pt = t64(p)
    nn.BCELoss("sum")(pt, y).backward()
    # ∂/∂p of −[y ln p + (1 − y) ln(1 − p)] = (p − y)/(p(1 − p))
    np.testing.assert_allclose(pt.grad.numpy(), [-1 / 0.8, 1 / 0.7])


def test_bce_rejects_non_probabilities():
    with pytest.raises(ValueError, match=r"BCELoss\(.*expected probabilities in \[0, 1\]"):
        nn.BCELoss()(t64([1.5, 0.2]), [1.0, 0.0])


def test_bce_with_logits_by_hand_and_equal_to_bce_of_sigmoid():
    # z = [2, −1], y = [1, 0]: −ln σ(2) = ln(1 + e⁻²), −ln(1 − σ(−1)) = ln(1 + e⁻¹)
    z, y = [2.0, -1.0], [1.0, 0.0]
    expected = [math.log(1 + math.exp(-2)), math.log(1 + math.exp(-1))]
    np.testing.assert_allclose(nn.BCEWithLogitsLoss("none")(t64(z), y).numpy(), expected)
    probs = t64([sigmoid(2.0), sigmoid(-1.0)])
    for reduction in ("mean", "sum", "none"):
        np.testing.assert_allclose(nn.BCEWithLogitsLoss(reduction)(t64(z), y).numpy(),
                                   nn.BCELoss(reduction)(probs, y).numpy(), rtol=1e-12)
    zt = t64(z)
    nn.BCEWithLogitsLoss()(zt, y).backward()
    np.testing.assert_allclose(zt.grad.numpy(), [(sigmoid(2.0) - 1) / 2, sigmoid(-1.0) / 2])


def test_bce_with_logits_is_stable_at_extremes():
    z = t64([100.0, -100.0, 100.0, -100.0])
    y = [0.0, 1.0, 1.0, 0.0]
    loss = nn.BCEWithLogitsLoss("none")(z, y).numpy()
    # wrong by 100 logits → loss 100 (+ ln(1 + e⁻¹⁰⁰)); right → e⁻¹⁰⁰ ≈ 0
    np.testing.assert_allclose(loss, [100.0, 100.0, 0.0, 0.0], atol=1e-40)
    assert loss[2] > 0.0  # log1p keeps the tiny positive value instead of rounding to 0
    nn.BCEWithLogitsLoss("sum")(z, y).backward()
    np.testing.assert_allclose(z.grad.numpy(), [1.0, -1.0, 0.0, 0.0], atol=1e-40)
    z32 = gb.Tensor([100.0, -100.0], requires_grad=True)
    l32 = nn.BCEWithLogitsLoss("none")(z32, [0.0, 1.0])
    assert np.isfinite(l32.numpy()).all()


# ----------------------------------------------------------------- cross-entropy
def test_cross_entropy_by_hand():
    # row 0: logits [2, 1, 0], label 0 → ln(e² + e + 1) − 2
    # row 1: logits [0, 0, 0], label 2 → ln 3
    logits = [[2.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
    labels = np.array([0, 2])
    l0 = math.log(math.e**2 + math.e + 1) - 2
    l1 = math.log(3.0)
    np.testing.assert_allclose(nn.CrossEntropyLoss("none")(t64(logits), labels).numpy(), [l0, l1])
    assert nn.CrossEntropyLoss()(t64(logits), labels).item() == pytest.approx((l0 + l1) / 2)
    assert nn.CrossEntropyLoss("sum")(t64(logits), labels).item() == pytest.approx(l0 + l1)


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_m():
    logits = np.array([[2.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    labels = np.array([0, 2])
    s = math.e**2 + math.e + 1
    yhat = np.array([[math.e**2 / s, math.e / s, 1 / s], [1 / 3, 1 / 3, 1 / 3]])
    onehot = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    z = t64(logits)
    nn.CrossEntropyLoss()(z, labels).backward()
    np.testing.assert_allclose(z.grad.numpy(), (yhat - onehot) / 2, rtol=1e-12, atol=1e-15)
    z1 = t64(logits)
    nn.CrossEntropyLoss()(z1, onehot).backward()
    np.testing.assert_allclose(z1.grad.numpy(), z.grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_int_labels_equal_one_hot(reduction):
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((5, 4))
    labels = rng.integers(0, 4, 5)
    onehot = np.eye(4)[labels]
    a = nn.CrossEntropyLoss(reduction)(t64(logits), labels).numpy()
    b = nn.CrossEntropyLoss(reduction)(t64(logits), onehot).numpy()
    np.testing.assert_allclose(a, b, rtol=1e-12)
    assert gb.gradcheck(lambda z: nn.CrossEntropyLoss(reduction)(z, labels), t64(logits))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_of_log_softmax_equals_cross_entropy(reduction):
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((4, 3)) * 3
    labels = np.array([2, 0, 1, 1])
    za, zb = t64(logits), t64(logits)
    ce = nn.CrossEntropyLoss(reduction)(za, labels)
    nll = nn.NLLLoss(reduction=reduction)(nn.LogSoftmax(dim=1)(zb), labels)
    np.testing.assert_allclose(nll.numpy(), ce.numpy(), rtol=1e-12)
    ce.sum().backward()
    nll.sum().backward()
    np.testing.assert_allclose(zb.grad.numpy(), za.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_nll_by_hand():
    log_probs = t64([[-0.5, -1.0], [-2.0, -0.25]])
    loss = nn.NLLLoss()(log_probs, np.array([1, 0]))
    assert loss.item() == pytest.approx((1.0 + 2.0) / 2)
    loss.backward()
    np.testing.assert_allclose(log_probs.grad.numpy(), [[0.0, -0.5], [-0.5, 0.0]])


@pytest.mark.parametrize("cls", [nn.MSELoss, nn.BCELoss, nn.BCEWithLogitsLoss,
                                 nn.CrossEntropyLoss, nn.NLLLoss])
def test_invalid_reduction_rejected(cls):
    with pytest.raises(ValueError, match="'average'"):
        cls(reduction="average")
    assert repr(cls("sum")) == f"{cls.__name__}(reduction='sum')"


@pytest.mark.parametrize("bad", [3, -1, 7])
def test_labels_outside_range_rejected_naming_the_label(bad):
    logits = t64(np.zeros((2, 3)))
    labels = np.array([0, bad])
    with pytest.raises(ValueError, match=rf"CrossEntropyLoss\(.*\): label {bad} is outside \[0, 3\)"):
        nn.CrossEntropyLoss()(logits, labels)
    with pytest.raises(ValueError, match=rf"NLLLoss\(.*\): label {bad} is outside \[0, 3\)"):
        nn.NLLLoss()(logits, labels)


def test_shape_errors_name_both_shapes():
    with pytest.raises(ValueError, match=r"MSELoss\(.*\(3,\).*\(2,\)"):
        nn.MSELoss()(t64([1.0, 2.0, 3.0]), [1.0, 2.0])
    with pytest.raises(ValueError, match=r"CrossEntropyLoss.*shape \(3,\).*got shape \(2,\)"):
        nn.CrossEntropyLoss()(t64(np.zeros((3, 2))), np.array([0, 1]))

"""F.supervised_contrastive_loss (SupCon / NT-Xent): against a loop over the formula, gradcheck
on fixed and random shapes, and its errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassbox as gb
from glassbox import Tensor
from glassbox.errors import DataError, ShapeError
from glassbox.nn import functional as F
from helpers import t64

supervised_contrastive_loss = F.supervised_contrastive_loss


def _supcon_reference(z, y, tau):
    """ℓᵢ = −mean over positives p of log softmax_{a≠i}(zᵢ·z_a/τ)_p, averaged over rows."""
    losses = []
    for i in range(len(y)):
        others = [a for a in range(len(y)) if a != i]
        s = np.array([z[i] @ z[a] / tau for a in others])
        log_p = s - np.log(np.exp(s).sum())
        pos = [k for k, a in enumerate(others) if y[a] == y[i]]
        if pos:
            losses.append(-log_p[pos].mean())
    return np.mean(losses)


def test_supcon_matches_loop_reference_and_gradcheck():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((7, 3))
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    y = np.array([0, 0, 1, 1, 1, 2, 3])  # rows 5 and 6 have no positive: left out of the mean
    got = supervised_contrastive_loss(Tensor(z, dtype=np.float64), y, temperature=0.5).item()
    np.testing.assert_allclose(got, _supcon_reference(z, y, 0.5), rtol=1e-10)
    assert gb.gradcheck(lambda t: supervised_contrastive_loss(t, y, 0.5),
                 Tensor(z, requires_grad=True, dtype=np.float64))


@settings(max_examples=15, deadline=None)
@given(m=st.integers(2, 9), d=st.integers(1, 4), seed=st.integers(0, 1000))
def test_supcon_gradcheck_random_shapes(m, d, seed):
    rng = np.random.default_rng(seed)
    y = np.r_[0, 0, rng.integers(0, 3, m - 2)]  # at least one positive pair
    z = rng.standard_normal((m, d))
    np.testing.assert_allclose(supervised_contrastive_loss(Tensor(z, dtype=np.float64), y, 0.7).item(),
                               _supcon_reference(z, y, 0.7), rtol=1e-9, atol=1e-12)
    assert gb.gradcheck(lambda t: supervised_contrastive_loss(t, y, 0.7),
                 Tensor(z, requires_grad=True, dtype=np.float64))


def test_supcon_prefers_clustered_embeddings_and_errors():
    y = np.array([0, 0, 1, 1])
    good = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    bad = good[[0, 2, 1, 3]]  # same points, labels mixed up
    assert (supervised_contrastive_loss(Tensor(good), y, 0.1).item()
            < supervised_contrastive_loss(Tensor(bad), y, 0.1).item())
    with pytest.raises(DataError, match="supervised_contrastive_loss: no row has a positive"):
        supervised_contrastive_loss(Tensor(good), np.arange(4))
    with pytest.raises(ShapeError, match=r"one label per embedding, shape \(4,\), got shape \(3,\)"):
        supervised_contrastive_loss(Tensor(good), y[:3])
    with pytest.raises(ShapeError, match=r"expected embeddings of \(M, d\), got shape \(4,\)"):
        supervised_contrastive_loss(Tensor(good[:, 0]), y)
    for bad in (0.0, -1.0, "0.1"):
        with pytest.raises(ValueError, match=r"`temperature`, expected a number > 0"):
            supervised_contrastive_loss(Tensor(good), y, bad)
    with pytest.raises(ValueError, match=r"^SupCon: "):
        supervised_contrastive_loss(Tensor(good), y, -1.0, where="SupCon")

def test_supcon_gradient_matches_hand_formula_on_two_pairs():
    """Two rows per class, τ = 1: ℓᵢ = −log(e^{zᵢ·z_p}/Σ_{a≠i} e^{zᵢ·z_a}); dℓ/dz by hand."""
    z = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0], [-0.8, 0.6]])
    y = np.array([0, 0, 1, 1])
    zt = t64(z)
    F.supervised_contrastive_loss(zt, y, 1.0).backward()
    s = z @ z.T
    np.fill_diagonal(s, -np.inf)
    p = np.exp(s - s.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    target = np.array([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]], dtype=float)
    coef = (p - target) / 4  # ∂(mean ℓ)/∂sᵢₐ
    np.testing.assert_allclose(zt.grad.numpy(), coef @ z + coef.T @ z, rtol=1e-12, atol=1e-14)

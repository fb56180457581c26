"""Metric-learning ops: L2 normalization, pairwise squared distances, contrastive loss —
values against direct formulas and gradient checks (fixed and random shapes)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glassbox import Tensor, gradcheck
from glassbox.ops.metric import l2_normalize, pairwise_squared_distances, squared_distance_matrix
from helpers import t64



def test_l2_normalize_values_unit_norm_and_zero_row():
    x = np.array([[3.0, 4.0], [0.0, 0.0], [-1.0, 0.0]], dtype=np.float32)
    y = l2_normalize(Tensor(x), axis=1)
    np.testing.assert_allclose(y.numpy(), [[0.6, 0.8], [0.0, 0.0], [-1.0, 0.0]])
    assert y.dtype == np.float32
    big = np.random.default_rng(0).standard_normal((50, 7)).astype(np.float32) * 100
    np.testing.assert_allclose(np.linalg.norm(l2_normalize(Tensor(big)).numpy(), axis=1), 1, rtol=1e-6)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_l2_normalize_gradcheck_fixed(axis):
    x = t64(np.random.default_rng(1).standard_normal((4, 5)))
    assert gradcheck(lambda t: l2_normalize(t, axis=axis), x)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 5), d=st.integers(1, 5), seed=st.integers(0, 10_000))
def test_l2_normalize_gradcheck_random_shapes(n, d, seed):
    x = np.random.default_rng(seed).standard_normal((n, d))
    if np.linalg.norm(x, axis=1).min() < 1e-2:
        return
    assert gradcheck(lambda t: l2_normalize(t, axis=1), t64(x))


def test_l2_normalize_gradient_is_orthogonal_to_output():
    """Scaling x does not move x/‖x‖, so the gradient has no component along x."""
    x = t64(np.random.default_rng(2).standard_normal((3, 4)))
    g = np.random.default_rng(3).standard_normal((3, 4))
    (l2_normalize(x) * Tensor(g, dtype=np.float64)).sum().backward()
    np.testing.assert_allclose((x.grad.numpy() * x.numpy()).sum(1), 0, atol=1e-12)


def test_pairwise_distances_match_definition():
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((5, 3)), rng.standard_normal((4, 3))
    ref = ((a[:, None] - b[None]) ** 2).sum(-1)
    np.testing.assert_allclose(pairwise_squared_distances(t64(a), t64(b)).numpy(), ref, rtol=1e-10)
    np.testing.assert_allclose(squared_distance_matrix(a, b), ref, rtol=1e-10)
    self_d = squared_distance_matrix(a, a)
    assert np.all(self_d >= 0) and np.allclose(np.diag(self_d), 0, atol=1e-12)
    with pytest.raises(ValueError, match=r"\(5, 3\) and \(4, 2\)"):
        squared_distance_matrix(a, b[:, :2])


def test_pairwise_distances_gradcheck_two_inputs_and_self():
    rng = np.random.default_rng(5)
    a, b = t64(rng.standard_normal((4, 3))), t64(rng.standard_normal((6, 3)))
    assert gradcheck(pairwise_squared_distances, a, b)
    # the same tensor on both sides: the engine adds both contributions
    assert gradcheck(lambda t: pairwise_squared_distances(t), a)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 5), m=st.integers(1, 5), d=st.integers(1, 4), seed=st.integers(0, 10_000))
def test_pairwise_distances_gradcheck_random_shapes(n, m, d, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal((n, d)), rng.standard_normal((m, d))
    assert gradcheck(pairwise_squared_distances, t64(a), t64(b))

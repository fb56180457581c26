"""Embedding's max_norm / norm_type and scale_grad_by_freq with PyTorch's semantics: the
in-place renorm against a NumPy loop, the gradient (gradcheck where no row is rescaled, the
plain lookup's gradient of the rescaled table where rows are), the version bump, errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassbox as gb
from glassbox import nn
from glassbox.nn import functional as F
from helpers import t64


def renorm_reference(w, idx, c, p):
    """Each used row k with ‖W[k]‖ₚ > c becomes W[k]·c/(‖W[k]‖ₚ + 1e−7); the others stay."""
    w = w.copy()
    for k in sorted(set(np.asarray(idx).reshape(-1).tolist())):
        norm = np.sum(np.abs(w[k]) ** p) ** (1 / p) if np.isfinite(p) else np.abs(w[k]).max()
        if norm > c:
            w[k] = w[k] * (c / (norm + 1e-7))
    return w


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, float("inf")])
def test_max_norm_rescales_the_used_rows_in_place(p):
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((6, 4)) * 2
    idx = np.array([[0, 3], [3, 5]])
    w = t64(w0.copy())
    out = F.embedding(idx, w, max_norm=1.0, norm_type=p)
    want = renorm_reference(w0, idx, 1.0, p)
    np.testing.assert_allclose(w.numpy(), want, rtol=1e-12)  # the table itself changed
    np.testing.assert_allclose(out.numpy(), want[idx], rtol=1e-12)
    np.testing.assert_array_equal(w.numpy()[[1, 2, 4]], w0[[1, 2, 4]])  # unused rows untouched
    used = np.linalg.norm(w.numpy()[[0, 3, 5]], ord=p, axis=1)
    assert np.all(used <= 1.0)


def test_gradient_is_the_lookup_of_the_rescaled_table_and_version_bumps():
    w = t64(np.array([[3.0, 4.0], [0.3, 0.4], [1.0, 0.0]]))
    v0 = w._version
    out = F.embedding(np.array([0, 0, 1]), w, max_norm=1.0)
    assert w._version == v0 + 1  # row 0 (norm 5) was rescaled
    np.testing.assert_allclose(out.numpy()[0], np.array([0.6, 0.8]) * 5 / (5 + 1e-7), rtol=1e-12)
    (out * t64([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], False)).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [[4.0, 6.0], [5.0, 6.0], [0.0, 0.0]])
    F.embedding(np.array([1, 2]), w, max_norm=1.0)  # norms 0.5 and 1: nothing rescaled
    assert w._version == v0 + 1
    layer = nn.Embedding(3, 2, max_norm=1.0, dtype=np.float64, _weight=[[3.0, 4.0], [0.3, 0.4], [1.0, 0.0]])
    layer(np.array([0]))
    assert np.linalg.norm(layer.weight.numpy()[0]) == pytest.approx(1.0, abs=1e-6)
    assert repr(layer) == "Embedding(3, 2, max_norm=1.0)"


@settings(max_examples=15, deadline=None)
@given(num=st.integers(1, 6), d=st.integers(1, 4), n=st.integers(1, 6), c=st.floats(0.1, 3.0),
       p=st.sampled_from([1.0, 2.0, 3.0]), seed=st.integers(0, 2**16))
def test_random_shapes_forward_and_gradcheck(num, d, n, c, p, seed):
    rng = np.random.default_rng(seed)
    w0 = rng.standard_normal((num, d))
    idx = rng.integers(0, num, n)
    w = t64(w0.copy())
    out = F.embedding(idx, w, max_norm=c, norm_type=p)
    np.testing.assert_allclose(out.numpy(), renorm_reference(w0, idx, c, p)[idx], rtol=1e-12)
    # a rescaled row sits at the norm c, where the clamp has a kink: as in PyTorch its gradient
    # is the plain lookup's (the test above), not the clamp's. Rows inside the ball of radius c
    # are a smooth region: there gradcheck applies, and nothing is rescaled.
    inside = w0 * (0.9 * c / np.maximum(np.linalg.norm(w0, ord=p, axis=1), 0.9 * c))[:, None]
    t = t64(inside)
    assert gb.gradcheck(lambda u: F.embedding(idx, u, max_norm=c, norm_type=p), t)
    np.testing.assert_array_equal(t.numpy(), inside)


def test_scale_grad_by_freq_divides_by_the_count_in_the_batch():
    w = t64(np.arange(8.0).reshape(4, 2))
    idx = np.array([[0, 2, 2], [2, 3, 0]])
    out = F.embedding(idx, w, scale_grad_by_freq=True)
    np.testing.assert_array_equal(out.numpy(), w.numpy()[idx])
    out.sum().backward()  # row k gets n_k·1 / n_k = 1 where used
    np.testing.assert_allclose(w.grad.numpy(), [[1, 1], [0, 0], [1, 1], [1, 1]])
    layer = nn.Embedding(4, 2, padding_idx=3, scale_grad_by_freq=True, dtype=np.float64)
    g = t64(np.arange(12.0).reshape(2, 3, 2), False)
    (layer(idx) * g).sum().backward()
    expect = np.zeros((4, 2))
    np.add.at(expect, idx.reshape(-1), g.numpy().reshape(-1, 2))
    expect /= np.maximum(np.bincount(idx.reshape(-1), minlength=4), 1)[:, None]
    expect[3] = 0  # padding_idx gets no gradient
    np.testing.assert_allclose(layer.weight.grad.numpy(), expect)


def test_errors_name_the_layer_and_value():
    with pytest.raises(ValueError, match=r"Embedding\(4, 2, max_norm=-1\).*`max_norm`.*max_norm=-1"):
        nn.Embedding(4, 2, max_norm=-1)(np.array([0]))
    with pytest.raises(ValueError, match=r"embedding: .*`norm_type`, expected a number > 0"):
        F.embedding(np.array([0]), t64(np.ones((2, 2))), max_norm=1.0, norm_type=0)
    with pytest.raises(ValueError, match=r"embedding: `sparse` gradients are not implemented"):
        F.embedding(np.array([0]), t64(np.ones((2, 2))), sparse=True)
    with pytest.raises(TypeError, match="scale_grad_by_freq"):
        F.embedding(np.array([0]), t64(np.ones((2, 2))), scale_grad_by_freq="yes")

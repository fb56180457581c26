"""Activation modules: outputs against NumPy formulas, gradients in float64 (away from kinks)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassbox as gb
from glassbox import nn
from helpers import t64



def away_from_zero(shape, seed):
    """Normal samples pushed at least 0.1 away from 0 (the ReLU/LeakyReLU kink)."""
    z = np.random.default_rng(seed).standard_normal(shape)
    return np.where(z >= 0, z + 0.1, z - 0.1)


def np_softmax(z, axis):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


CASES = [
    (nn.Sigmoid(), lambda z: 1.0 / (1.0 + np.exp(-z))),
    (nn.Tanh(), lambda z: (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))),
    (nn.ReLU(), lambda z: np.maximum(z, 0.0)),
    (nn.LeakyReLU(), lambda z: np.where(z > 0, z, 0.01 * z)),
    (nn.LeakyReLU(0.2), lambda z: np.where(z > 0, z, 0.2 * z)),
    (nn.Softmax(dim=-1), lambda z: np_softmax(z, -1)),
    (nn.Softmax(axis=0), lambda z: np_softmax(z, 0)),
    (nn.LogSoftmax(dim=-1), lambda z: z - np.log(np.exp(z).sum(axis=-1, keepdims=True))),
    (nn.LogSoftmax(axis=0), lambda z: z - np.log(np.exp(z).sum(axis=0, keepdims=True))),
]
IDS = [repr(m) for m, _ in CASES]


@pytest.mark.parametrize("module, formula", CASES, ids=IDS)
def test_output_equals_formula(module, formula):
    z = away_from_zero((4, 5), 0) * 2
    out = module(t64(z, grad=False))
    assert out.shape == z.shape
    np.testing.assert_allclose(out.numpy(), formula(z), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("module, formula", CASES, ids=IDS)
def test_gradcheck_fixed_shape(module, formula):
    assert gb.gradcheck(module, t64(away_from_zero((3, 4), 1)),
                        eps=1e-6, atol=1e-5, rtol=1e-3)


@settings(max_examples=15, deadline=None)
@given(idx=st.integers(0, len(CASES) - 1), rows=st.integers(1, 4), cols=st.integers(1, 5),
       seed=st.integers(0, 2**16))
def test_gradcheck_random_shapes(idx, rows, cols, seed):
    module, formula = CASES[idx]
    x = t64(away_from_zero((rows, cols), seed))
    np.testing.assert_allclose(module(x).numpy(), formula(x.numpy()), rtol=1e-10, atol=1e-12)
    assert gb.gradcheck(module, x, eps=1e-6, atol=1e-5, rtol=1e-3)


def test_softmax_rows_sum_to_one_and_survive_large_logits():
    z = t64([[1000.0, 1000.0, -1000.0], [0.0, 1.0, 2.0]], grad=False)
    p = nn.Softmax(dim=-1)(z).numpy()
    np.testing.assert_allclose(p.sum(axis=1), [1.0, 1.0])
    np.testing.assert_allclose(p[0], [0.5, 0.5, 0.0])
    assert np.isfinite(nn.LogSoftmax(dim=-1)(z).numpy()[0, :2]).all()


def test_activation_layers_have_no_parameters_and_readable_repr():
    for module, _ in CASES:
        assert list(module.parameters()) == []
    assert repr(nn.Softmax(axis=0)) == "Softmax(dim=0)"
    assert repr(nn.ReLU()) == "ReLU()"

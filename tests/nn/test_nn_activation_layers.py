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


def test_repr_lists_constants_as_pytorch_prints_them():
    """The default extra_repr shows ``__constants__`` as name=value; inplace only when True."""
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    assert repr(nn.SiLU()) == "SiLU()"
    assert repr(nn.ELU(0.5, inplace=True)) == "ELU(alpha=0.5, inplace=True)"
    assert repr(nn.GELU("tanh")) == "GELU(approximate='tanh')"
    assert repr(nn.Softplus(2.0)) == "Softplus(beta=2.0, threshold=20.0)"
    assert repr(nn.Flatten(0, 2)) == "Flatten(start_dim=0, end_dim=2)"
    assert repr(nn.AdaptiveMaxPool2d((2, 3))) == "AdaptiveMaxPool2d(output_size=(2, 3))"
    assert repr(nn.GlobalAvgPool2d()) == "GlobalAvgPool2d()"
    assert repr(nn.Dropout(0.25)) == "Dropout(p=0.25)"
    assert repr(nn.ConstantPad2d(1, 2)) == "ConstantPad2d(padding=(1, 1, 1, 1), value=2.0)"
    assert repr(nn.TripletLoss(0.5)) == "TripletLoss(margin=0.5, mining='none', reduction='mean')"


def test_formulas_are_filled_in_with_the_layers_hyperparameters():
    assert nn.LeakyReLU(0.2).formula == "g(z) = max(0.2·z, z)"
    assert nn.LeakyReLU(0.2).derivative == "g'(z) = 1 if z > 0 else 0.2"
    assert nn.ELU(0.5).derivative == "g'(z) = 1 if z > 0 else 0.5·eᶻ = A + 0.5"
    assert nn.Softplus(3).formula == "g(z) = (1/3)·log(1 + e^(3z))"
    assert "tanh u" in nn.GELU("tanh").formula and "erf" in nn.GELU().formula
    assert nn.ReLU().formula == "g(z) = max(0, z)" and nn.Sigmoid().derivative.startswith("g'(z) = σ(z)")

"""Linear: forward formula, gradients (fixed and random shapes), errors, default init."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassbox as gb
from glassbox import nn
from helpers import t64



def check_layer_grads(layer, x):
    params = list(layer.parameters())
    assert gb.gradcheck(lambda inp, *_: layer(inp), x, *params,
                        eps=1e-6, atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("shape, out, bias", [((4, 3), 5, True), ((2, 3, 4), 2, True),
                                              ((3, 6), 1, False), ((2, 2, 3), 4, False)])
def test_forward_is_x_wT_plus_b_and_gradients_match(shape, out, bias):
    gb.manual_seed(0)
    layer = nn.Linear(shape[-1], out, bias=bias, dtype=np.float64)
    assert layer.weight.dtype == np.float64
    if bias:
        layer.bias.data[...] = np.random.default_rng(1).standard_normal(out)
    x = t64(np.random.default_rng(2).standard_normal(shape))
    y = layer(x)
    expected = x.numpy() @ layer.weight.numpy().T + (layer.bias.numpy() if bias else 0.0)
    assert y.shape == shape[:-1] + (out,)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12, atol=1e-12)
    check_layer_grads(layer, x)


@settings(max_examples=15, deadline=None)
@given(lead=st.lists(st.integers(1, 3), min_size=1, max_size=2), n_in=st.integers(1, 5),
       n_out=st.integers(1, 5), bias=st.booleans(), seed=st.integers(0, 2**16))
def test_gradcheck_random_shapes(lead, n_in, n_out, bias, seed):
    gb.manual_seed(seed)
    layer = nn.Linear(n_in, n_out, bias=bias, dtype=np.float64)
    x = t64(np.random.default_rng(seed).standard_normal((*lead, n_in)))
    assert layer(x).shape == (*lead, n_out)
    check_layer_grads(layer, x)


def test_float32_by_default():
    layer = nn.Linear(3, 2)
    assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    assert layer(gb.Tensor(np.ones((1, 3)))).dtype == np.float32


def test_wrong_input_width_names_layer_and_both_shapes():
    layer = nn.Linear(4, 2)
    with pytest.raises(ValueError) as info:
        layer(gb.Tensor(np.ones((3, 5), dtype=np.float32)))
    msg = str(info.value)
    assert "Linear(in_features=4, out_features=2" in msg
    assert "(batch, 4)" in msg and "(3, 5)" in msg


@pytest.mark.parametrize("bad", [0, -3, 2.5, "4"])
@pytest.mark.parametrize("which", ["in_features", "out_features"])
def test_invalid_feature_counts_are_rejected_with_the_value(bad, which):
    args = {"in_features": 3, "out_features": 3, which: bad}
    with pytest.raises(ValueError) as info:
        nn.Linear(**args)
    assert which in str(info.value) and repr(bad) in str(info.value)


def test_default_init_is_he_uniform_and_zero_bias():
    gb.manual_seed(0)
    fan_in = 400
    layer = nn.Linear(fan_in, 500)
    w = layer.weight.numpy().astype(np.float64)
    var = w.var()
    assert abs(var - 2.0 / fan_in) < 0.1 * (2.0 / fan_in)
    bound = np.sqrt(6.0 / fan_in)  # U(−b, b) with Var = b²/3 = 2/fan_in
    assert np.abs(w).max() <= bound + 1e-6
    assert np.abs(w).max() > 0.95 * bound  # uniform, not normal: fills its whole range
    assert abs(w.mean()) < 0.05 * np.sqrt(var)
    np.testing.assert_array_equal(layer.bias.numpy(), np.zeros(500))


def test_identity_returns_its_input():
    x = gb.Tensor(np.arange(6.0).reshape(2, 3))
    assert nn.Identity()(x) is x

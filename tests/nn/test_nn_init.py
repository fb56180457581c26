"""Initializers: moments, variance formulas (Xavier, He), fans of conv weights, gains, errors,
reproducibility."""
import math

import numpy as np
import pytest

import glassbox as gb
from glassbox import nn
from glassbox.nn import init


def weight(*shape):
    return nn.Parameter(np.empty(shape, dtype=np.float32))


def var(t):
    return t.numpy().astype(np.float64).var()


def close(actual, expected, rel=0.1):
    assert abs(actual - expected) <= rel * abs(expected), (actual, expected)


def test_normal_and_uniform_moments():
    gb.manual_seed(0)
    w = init.normal_(weight(300, 300), mean=2.0, std=0.5)
    close(w.numpy().mean(), 2.0, 0.01)
    close(var(w), 0.25, 0.05)
    u = init.uniform_(weight(300, 300), -1.0, 3.0)
    assert u.numpy().min() >= -1.0 and u.numpy().max() <= 3.0
    close(u.numpy().mean(), 1.0, 0.02)
    close(var(u), 4.0**2 / 12, 0.05)  # Var U(a, b) = (b − a)²/12


def test_initializers_fill_in_place_and_return_the_tensor():
    w = weight(3, 4)
    data = w.data
    assert init.zeros_(w) is w and w.data is data
    np.testing.assert_array_equal(w.numpy(), np.zeros((3, 4)))
    assert init.constant_(w, 0.25) is w
    np.testing.assert_array_equal(w.numpy(), np.full((3, 4), 0.25))
    init.ones_(w)
    np.testing.assert_array_equal(w.numpy(), np.ones((3, 4)))
    assert init.normal_(w) is w and w.data is data and w.dtype == np.float32


@pytest.mark.parametrize("shape", [(200, 300), (64, 32, 3, 3)])
@pytest.mark.parametrize("gain", [1.0, 5.0 / 3.0])
def test_xavier_variance(shape, gain):
    gb.manual_seed(1)
    fan_in, fan_out = init.fan_in_and_fan_out(weight(*shape))
    expected = gain**2 * 2.0 / (fan_in + fan_out)
    u = init.xavier_uniform_(weight(*shape), gain=gain)
    close(var(u), expected)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    assert np.abs(u.numpy()).max() <= bound * (1 + 1e-6)
    close(var(init.xavier_normal_(weight(*shape), gain=gain)), expected)


@pytest.mark.parametrize("shape", [(200, 300), (64, 32, 3, 3)])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_kaiming_variance(shape, mode):
    gb.manual_seed(2)
    fan_in, fan_out = init.fan_in_and_fan_out(weight(*shape))
    fan = fan_in if mode == "fan_in" else fan_out
    close(var(init.kaiming_uniform_(weight(*shape), mode=mode)), 2.0 / fan)
    close(var(init.kaiming_normal_(weight(*shape), mode=mode)), 2.0 / fan)
    # leaky ReLU with slope a: Var = 2/((1 + a²)·fan)
    close(var(init.kaiming_normal_(weight(*shape), a=0.5, mode=mode, nonlinearity="leaky_relu")),
          2.0 / ((1 + 0.25) * fan))


def test_he_and_glorot_aliases():
    assert init.he_normal_ is init.kaiming_normal_ and init.he_uniform_ is init.kaiming_uniform_
    assert init.glorot_uniform_ is init.xavier_uniform_
    assert init.glorot_normal_ is init.xavier_normal_


def test_fans_dense_and_conv():
    assert init.fan_in_and_fan_out(weight(10, 20)) == (20, 10)  # (out, in)
    assert init.fan_in_and_fan_out(weight(16, 8, 3, 5)) == (8 * 15, 16 * 15)


def test_calculate_gain_values():
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2.0))
    assert init.calculate_gain("tanh") == pytest.approx(5.0 / 3.0)
    assert init.calculate_gain("linear") == 1.0 and init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2.0 / (1 + 0.01**2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2.0 / 1.04))
    assert init.calculate_gain("leaky_relu", 1.0) == pytest.approx(1.0)  # slope 1 is linear


def test_errors():
    with pytest.raises(ValueError, match=r"at least 2 axes.*\(5,\)"):
        init.xavier_uniform_(weight(5))
    with pytest.raises(ValueError, match="at least 2 axes"):
        init.kaiming_normal_(weight(5))
    with pytest.raises(ValueError, match="'swish'"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="'swish'"):
        init.kaiming_uniform_(weight(3, 3), nonlinearity="swish")
    with pytest.raises(ValueError, match="'fan_avg'"):
        init.kaiming_uniform_(weight(3, 3), mode="fan_avg")


def test_reproducible_with_manual_seed():
    gb.manual_seed(42)
    a = init.kaiming_uniform_(weight(5, 4)).numpy().copy()
    la = nn.Linear(4, 3).weight.numpy().copy()
    gb.manual_seed(42)
    b = init.kaiming_uniform_(weight(5, 4)).numpy().copy()
    lb = nn.Linear(4, 3).weight.numpy().copy()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(la, lb)
    gb.manual_seed(43)
    assert not np.array_equal(init.kaiming_uniform_(weight(5, 4)).numpy(), a)

"""Gradient checks and values of sigmoid, tanh, relu, leaky_relu, softmax, log_softmax,
including stability at logits of ±1000."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from glassbox import Tensor, gradcheck
from helpers import t64



def away_from_zero(rng, shape, gap=0.1):
    x = rng.uniform(-3, 3, shape)
    return np.where(np.abs(x) < gap, np.where(x >= 0, 2 * gap, -2 * gap), x)


def ref_softmax(z, axis):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


ACTS = {
    "sigmoid": (lambda t: t.sigmoid(), lambda z: 1 / (1 + np.exp(-z))),
    "tanh": (lambda t: t.tanh(), np.tanh),
    "relu": (lambda t: t.relu(), lambda z: np.maximum(z, 0)),
    "leaky_relu": (lambda t: t.leaky_relu(), lambda z: np.where(z > 0, z, 0.01 * z)),
    "leaky_relu_0.2": (lambda t: t.leaky_relu(0.2), lambda z: np.where(z > 0, z, 0.2 * z)),
}


@pytest.mark.parametrize("name", sorted(ACTS))
@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 2, 3)])
def test_activation_fixed(name, shape):
    fn, ref = ACTS[name]
    x = t64(away_from_zero(np.random.default_rng(0), shape))
    np.testing.assert_allclose(fn(x).numpy(), ref(x.numpy()), rtol=1e-12, atol=1e-15)
    assert gradcheck(fn, x)


@settings(max_examples=10, deadline=None)
@given(name=st.sampled_from(sorted(ACTS)), shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=5),
       seed=st.integers(0, 2**31 - 1))
def test_activation_random(name, shape, seed):
    fn, ref = ACTS[name]
    x = t64(away_from_zero(np.random.default_rng(seed), shape))
    np.testing.assert_allclose(fn(x).numpy(), ref(x.numpy()), rtol=1e-12, atol=1e-15)
    assert gradcheck(lambda t: fn(t) * t, x)


def test_relu_and_leaky_gradients_are_step_functions():
    x = t64([-2.0, -0.5, 0.5, 2.0])
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 1, 1])
    x.grad = None
    x.leaky_relu(0.1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.1, 0.1, 1, 1])


def test_sigmoid_derivative_is_at_most_a_quarter():
    x = t64(np.linspace(-6, 6, 101))
    x.sigmoid().sum().backward()
    assert x.grad.numpy().max() == pytest.approx(0.25)
    assert np.all(x.grad.numpy() <= 0.25)


@pytest.mark.parametrize("axis", [-1, 0, 1, 2])
@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_family(op, axis):
    x = t64(np.random.default_rng(1).standard_normal((2, 3, 4)) * 2)
    out = getattr(x, op)(axis=axis)
    p = ref_softmax(x.numpy(), axis)
    np.testing.assert_allclose(out.numpy(), p if op == "softmax" else np.log(p), rtol=1e-12, atol=1e-14)
    assert gradcheck(lambda t: getattr(t, op)(axis=axis), x)
    if op == "softmax":
        np.testing.assert_allclose(out.numpy().sum(axis=axis), 1.0, rtol=1e-12)


@settings(max_examples=10, deadline=None)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=5), seed=st.integers(0, 2**31 - 1),
       op=st.sampled_from(["softmax", "log_softmax"]), data=st.data())
def test_softmax_family_random(shape, seed, op, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = t64(np.random.default_rng(seed).standard_normal(shape) * 3)
    p = ref_softmax(x.numpy(), axis)
    out = getattr(x, op)(axis=axis)
    np.testing.assert_allclose(out.numpy(), p if op == "softmax" else np.log(p), rtol=1e-10, atol=1e-12)
    assert gradcheck(lambda t: getattr(t, op)(axis=axis), x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_log_softmax_at_plus_minus_1000(strict, dtype):
    z = Tensor([[1000.0, -1000.0, 0.0], [1000.0, 1000.0, -1000.0], [-1000.0, -1000.0, -1000.0]],
               requires_grad=True, dtype=dtype)
    p = z.softmax(axis=1)
    lp = z.log_softmax(axis=1)
    assert p.dtype == dtype and lp.dtype == dtype
    np.testing.assert_allclose(p.numpy(), [[1, 0, 0], [0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-7)
    np.testing.assert_allclose(lp.numpy(), [[0, -2000, -1000], [-np.log(2), -np.log(2), -2000 - np.log(2)],
                                            [-np.log(3)] * 3], rtol=1e-6)
    (p[:, 0].sum() + lp.sum()).backward()
    assert np.all(np.isfinite(z.grad.numpy()))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_tanh_at_plus_minus_1000(strict, dtype):
    z = Tensor([-1000.0, -50.0, 0.0, 50.0, 1000.0], requires_grad=True, dtype=dtype)
    s = z.sigmoid()
    np.testing.assert_allclose(s.numpy(), [0, 1 / (1 + np.exp(50.0)), 0.5, 1 / (1 + np.exp(-50.0)), 1])
    s.sum().backward()
    assert np.all(np.isfinite(z.grad.numpy()))
    np.testing.assert_allclose(z.tanh().numpy(), [-1, -1, 0, 1, 1])

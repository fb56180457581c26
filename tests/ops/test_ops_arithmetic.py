"""Gradient checks and values of + − * / neg pow, with broadcasting and reused inputs."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from glassbox import Tensor, gradcheck
from helpers import t64



def away_from_zero(rng, shape, low=0.5, high=2.0):
    return rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], size=shape)


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 1, 4), (5, 4)), ((4,), (2, 3, 4)), ((), (2, 3))])
def test_binary_gradcheck_fixed_and_broadcast(name, shapes):
    rng = np.random.default_rng(0)
    a, b = t64(rng.standard_normal(shapes[0])), t64(away_from_zero(rng, shapes[1]))
    assert gradcheck(BINARY[name], a, b)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_values_match_numpy(name):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((3, 1, 4)), away_from_zero(rng, (5, 4))
    out = BINARY[name](Tensor(a, dtype=np.float64), Tensor(b, dtype=np.float64))
    np.testing.assert_allclose(out.numpy(), BINARY[name](a, b), rtol=1e-12)
    assert out.shape == (3, 5, 4)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_with_python_scalars_both_sides(name):
    rng = np.random.default_rng(2)
    x = t64(away_from_zero(rng, (2, 3)))
    assert gradcheck(lambda t: BINARY[name](t, 1.7), x)
    assert gradcheck(lambda t: BINARY[name](-2.5, t), x)
    np.testing.assert_allclose(BINARY[name](-2.5, x).numpy(), BINARY[name](-2.5, x.numpy()))


@settings(max_examples=10, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4),
       name=st.sampled_from(sorted(BINARY)), seed=st.integers(0, 2**31 - 1))
def test_binary_gradcheck_random_broadcast(shapes, name, seed):
    rng = np.random.default_rng(seed)
    a = t64(rng.standard_normal(shapes.input_shapes[0]))
    b = t64(away_from_zero(rng, shapes.input_shapes[1]))
    out = BINARY[name](a, b)
    assert out.shape == shapes.result_shape
    assert gradcheck(BINARY[name], a, b)


def test_neg():
    rng = np.random.default_rng(3)
    x = t64(rng.standard_normal((3, 4)))
    assert gradcheck(lambda t: -t, x)
    np.testing.assert_array_equal((-x).numpy(), -x.numpy())


@pytest.mark.parametrize("p", [2, 3, -1, 0.5, -1.5, 2.7])
def test_pow_scalar_exponent(p):
    rng = np.random.default_rng(4)
    x = t64(rng.uniform(0.5, 2.0, (3, 4)))
    assert gradcheck(lambda t: t**p, x)
    np.testing.assert_allclose((x**p).numpy(), x.numpy() ** p, rtol=1e-12)


def test_pow_integer_exponent_negative_base():
    x = t64([-1.5, -0.7, 0.9, 2.0])
    assert gradcheck(lambda t: t**3, x)
    assert gradcheck(lambda t: t**2, x)


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3), ())])
def test_pow_tensor_exponent_positive_base(shapes):
    rng = np.random.default_rng(5)
    a = t64(rng.uniform(0.5, 2.0, shapes[0]))
    b = t64(rng.uniform(-2.0, 2.0, shapes[1]))
    assert gradcheck(lambda u, v: u**v, a, b)
    np.testing.assert_allclose((a**b).numpy(), a.numpy() ** b.numpy(), rtol=1e-12)


def test_rpow_number_base():
    x = t64([-1.0, 0.3, 2.0])
    assert gradcheck(lambda t: 2.0**t, x)
    np.testing.assert_allclose((3**x).numpy(), 3.0 ** x.numpy())


@settings(max_examples=10, deadline=None)
@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=5), seed=st.integers(0, 2**31 - 1),
       p=st.sampled_from([2, 3, 0.5, -1.0, 1.5]))
def test_pow_random_shapes(shape, seed, p):
    rng = np.random.default_rng(seed)
    x = t64(rng.uniform(0.5, 2.0, shape))
    e = t64(rng.uniform(-1.5, 1.5, shape))
    assert gradcheck(lambda t: t**p, x)
    assert gradcheck(lambda u, v: u**v, x, e)


def test_input_used_twice():
    rng = np.random.default_rng(6)
    x = t64(rng.standard_normal((3, 4)))
    assert gradcheck(lambda t: t * t + t, x)
    x.grad = None  # gradcheck leaves its own backward's gradient behind
    (x * x + x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy() + 1, rtol=1e-12)


def test_reused_non_leaf():
    rng = np.random.default_rng(7)
    x = t64(rng.standard_normal((2, 5)))

    def f(t):
        y = t.exp()
        return y * y + y

    assert gradcheck(f, x)
    x.grad = None
    f(x).sum().backward()
    e = np.exp(x.numpy())
    np.testing.assert_allclose(x.grad.numpy(), 2 * e * e + e, rtol=1e-12)


@settings(max_examples=10, deadline=None)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=5), seed=st.integers(0, 2**31 - 1))
def test_reuse_random_shapes(shape, seed):
    rng = np.random.default_rng(seed)
    x = t64(rng.standard_normal(shape))

    def f(t):
        y = t.exp()
        return y * y + y - t * t / (y + 1.0)

    assert gradcheck(f, x)


def test_constant_operand_gets_no_grad():
    a = t64([1.0, 2.0])
    c = Tensor([3.0, 4.0], dtype=np.float64)
    (a * c).sum().backward()
    assert c.grad is None
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 4.0])

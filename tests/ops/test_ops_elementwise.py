"""Gradient checks and values of exp, log, sqrt, abs, clip, where, maximum, minimum, cast."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import glassbox as gb
from glassbox import Tensor, gradcheck
from helpers import t64



def away_from(rng, shape, points, gap=0.1, low=-3.0, high=3.0):
    """Uniform samples moved at least ``gap`` away from every kink in ``points``."""
    x = rng.uniform(low, high, shape)
    for p in points:
        close = np.abs(x - p) < gap
        x = np.where(close, p + np.where(x >= p, gap, -gap) * 2, x)
    return x


UNARY = {
    # name: (glassbox fn, numpy fn, sampler)
    "exp": (lambda t: t.exp(), np.exp, lambda r, s: r.uniform(-3, 3, s)),
    "log": (lambda t: t.log(), np.log, lambda r, s: r.uniform(0.2, 5, s)),
    "sqrt": (lambda t: t.sqrt(), np.sqrt, lambda r, s: r.uniform(0.2, 5, s)),
    "abs": (lambda t: t.abs(), np.abs, lambda r, s: away_from(r, s, [0.0])),
    "clip": (lambda t: t.clip(-1.0, 0.5), lambda a: np.clip(a, -1.0, 0.5), lambda r, s: away_from(r, s, [-1.0, 0.5])),
    "clip_low": (lambda t: t.clip(low=-0.5), lambda a: np.maximum(a, -0.5), lambda r, s: away_from(r, s, [-0.5])),
    "clamp_high": (lambda t: t.clamp(high=1.0), lambda a: np.minimum(a, 1.0), lambda r, s: away_from(r, s, [1.0])),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 2), ()])
def test_unary_fixed(name, shape):
    fn, ref, sample = UNARY[name]
    x = t64(sample(np.random.default_rng(0), shape))
    np.testing.assert_allclose(fn(x).numpy(), ref(x.numpy()), rtol=1e-12)
    assert gradcheck(fn, x)


@settings(max_examples=10, deadline=None)
@given(name=st.sampled_from(sorted(UNARY)), shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=5),
       seed=st.integers(0, 2**31 - 1))
def test_unary_random(name, shape, seed):
    fn, ref, sample = UNARY[name]
    x = t64(sample(np.random.default_rng(seed), shape))
    np.testing.assert_allclose(fn(x).numpy(), ref(x.numpy()), rtol=1e-12)
    assert gradcheck(lambda t: fn(t) * t, x)


def test_clip_gradient_is_zero_outside():
    x = t64([-3.0, -0.5, 0.2, 2.0])
    x.clip(-1.0, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 1.0, 0.0])


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4), (3, 4)), ((3, 1), (1, 4), (3, 4)), ((4,), (3, 4), (1, 4))])
def test_where(shapes):
    rng = np.random.default_rng(1)
    a, b = t64(rng.standard_normal(shapes[0])), t64(rng.standard_normal(shapes[1]))
    cond = rng.random(shapes[2]) > 0.5
    out = gb.where(cond, a, b)
    np.testing.assert_array_equal(out.numpy(), np.where(cond, a.numpy(), b.numpy()))
    assert gradcheck(lambda u, v: gb.where(cond, u, v), a, b)
    assert gradcheck(lambda u: gb.where(Tensor(cond), u, 0.0), a)
    assert gradcheck(lambda v: gb.where(cond, 2.0, v), b)


def test_where_gradient_routes_by_condition():
    a, b = t64([1.0, 2.0, 3.0]), t64([4.0, 5.0, 6.0])
    gb.where(np.array([True, False, True]), a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1, 0, 1])
    np.testing.assert_array_equal(b.grad.numpy(), [0, 1, 0])


def distinct_pair(rng, shape_a, shape_b, gap=0.05):
    """Operands whose broadcast pairs all differ by more than ``gap`` (max/min have no kink there)."""
    for _ in range(1000):
        a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
        if np.all(np.abs(np.subtract(a, b)) > gap):
            return a, b
    raise AssertionError("could not draw distinct operands")


@pytest.mark.parametrize("op,ref", [(gb.maximum, np.maximum), (gb.minimum, np.minimum)])
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 1), (4,)), ((2, 3), ())])
def test_maximum_minimum(op, ref, shapes):
    a, b = distinct_pair(np.random.default_rng(2), *shapes)
    a, b = t64(a), t64(b)
    np.testing.assert_array_equal(op(a, b).numpy(), ref(a.numpy(), b.numpy()))
    assert gradcheck(op, a, b)
    c = t64(away_from(np.random.default_rng(3), (3, 4), [0.05]))
    assert gradcheck(lambda u: op(u, 0.05), c)
    assert gradcheck(lambda u: op(0.05, u), c)


@pytest.mark.parametrize("op", [gb.maximum, gb.minimum])
def test_maximum_minimum_ties_split(op):
    a, b = t64([1.0, 2.0, 3.0]), t64([1.0, 0.0, 5.0])
    op(a, b).sum().backward()
    big = op is gb.maximum
    np.testing.assert_array_equal(a.grad.numpy(), [0.5, 1.0 if big else 0.0, 0.0 if big else 1.0])
    np.testing.assert_array_equal(b.grad.numpy(), [0.5, 0.0 if big else 1.0, 1.0 if big else 0.0])


@settings(max_examples=10, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3, max_side=4),
       seed=st.integers(0, 2**31 - 1))
def test_where_maximum_random(shapes, seed):
    rng = np.random.default_rng(seed)
    sa, sb = shapes.input_shapes
    a, b = distinct_pair(rng, sa, sb)
    a, b = t64(a), t64(b)
    cond = rng.random(shapes.result_shape) > 0.5
    assert gradcheck(lambda u, v: gb.where(cond, u, v), a, b)
    assert gradcheck(gb.maximum, a, b)
    assert gradcheck(gb.minimum, a, b)


def test_cast_roundtrip_gradient():
    x = t64([1.5, -2.0])
    y = x.astype(np.float32)
    assert y.dtype == np.float32
    (y * 3).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    assert gradcheck(lambda t: t.double() * t, x)

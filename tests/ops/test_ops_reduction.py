"""Gradient checks and values of sum, mean, max, min over any axes, with and without keepdims."""
import numpy as np

import glassbox as gb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from glassbox import Tensor, gradcheck
from helpers import t64



def distinct(rng, shape):
    """Values that are all different (spaced ≥ 0.1 apart) so max/min have no ties."""
    n = int(np.prod(shape, dtype=int))
    return (rng.permutation(n) * 0.1 - 0.05 * n).reshape(shape) + rng.uniform(0, 0.01)


REDUCTIONS = ["sum", "mean", "max", "min"]
AXES = [None, 0, 1, 2, -1, -2, (0, 2), (-1, 0), (0, 1, 2)]


@pytest.mark.parametrize("op", REDUCTIONS)
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction_fixed_shape(op, axis, keepdims):
    rng = np.random.default_rng(0)
    x = t64(distinct(rng, (2, 3, 4)))
    out = getattr(x, op)(axis=axis, keepdims=keepdims)
    np_axis = tuple(axis) if isinstance(axis, tuple) else axis
    expected = getattr(np, op if op in ("sum", "mean") else "a" + op)(x.numpy(), axis=np_axis, keepdims=keepdims)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    assert gradcheck(lambda t: getattr(t, op)(axis=axis, keepdims=keepdims), x)


@settings(max_examples=10, deadline=None)
@given(data=st.data(), op=st.sampled_from(REDUCTIONS), keepdims=st.booleans(),
       shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=5), seed=st.integers(0, 2**31 - 1))
def test_reduction_random(data, op, keepdims, shape, seed):
    axis = data.draw(st.one_of(st.none(), hnp.valid_tuple_axes(len(shape), min_size=1),
                               st.integers(-len(shape), len(shape) - 1)))
    x = t64(distinct(np.random.default_rng(seed), shape))
    out = getattr(x, op)(axis=axis, keepdims=keepdims)
    ref = getattr(np, op if op in ("sum", "mean") else "a" + op)(x.numpy(), axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12)
    assert gradcheck(lambda t: getattr(t, op)(axis=axis, keepdims=keepdims), x)


@pytest.mark.parametrize("op", ["max", "min"])
def test_extremum_ties_split_gradient_equally(op):
    v = 5.0 if op == "max" else -5.0
    x = t64([[v, 1.0, v, v], [0.0, v, 2.0, 3.0]])
    getattr(x, op)().backward()
    expected = np.where(x.numpy() == v, 1 / 4, 0.0)
    np.testing.assert_allclose(x.grad.numpy(), expected)
    x.grad = None
    getattr(x, op)(axis=1).sum().backward()
    expected = np.array([[1 / 3, 0, 1 / 3, 1 / 3], [0, 1, 0, 0]])
    np.testing.assert_allclose(x.grad.numpy(), expected)


def test_mean_gradient_is_one_over_n():
    x = t64(np.ones((4, 5)))
    x.mean(axis=0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((4, 5), 1 / 4))


def test_reduction_of_0d_tensor():
    x = t64(3.0)
    assert gradcheck(lambda t: t.sum() * t.mean() + t.max(), x)


@pytest.mark.parametrize("reduce", ["sum", "mean", "max", "min"])
@pytest.mark.parametrize("axis", [2, -3, (0, 5)])
def test_out_of_range_axis_is_an_error_not_a_wrapped_axis(reduce, axis):
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    with pytest.raises(gb.AxisError, match=f"{reduce}: Dimension out of range"):
        getattr(x, reduce)(axis=axis)

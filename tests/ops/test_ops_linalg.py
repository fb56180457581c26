"""Gradient checks and values of matmul (2-D, batched, broadcast, vectors) and fused Linear."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glassbox import Tensor, gradcheck
from glassbox.ops.linalg import Linear
from helpers import t64



MATMUL_SHAPES = [
    ((3, 4), (4, 5)),          # 2-D
    ((2, 3, 4), (2, 4, 5)),    # batched 3-D
    ((2, 3, 4), (4, 5)),       # broadcast batch on the right operand
    ((3, 4), (2, 4, 5)),       # broadcast batch on the left operand
    ((2, 1, 3, 4), (5, 4, 2)), # broadcast batch axes on both
    ((4,), (4, 5)),            # vector on the left
    ((3, 4), (4,)),            # vector on the right
    ((2, 3, 4), (4,)),         # vector on the right of a batch
    ((4,), (2, 4, 5)),         # vector on the left of a batch
    ((4,), (4,)),              # dot product
]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
def test_matmul_gradcheck_and_values(sa, sb):
    rng = np.random.default_rng(0)
    a, b = t64(rng.standard_normal(sa)), t64(rng.standard_normal(sb))
    out = a @ b
    expected = np.matmul(a.numpy(), b.numpy())
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    assert gradcheck(lambda u, v: u @ v, a, b)


def test_matmul_with_ndarray_operand():
    rng = np.random.default_rng(1)
    a = t64(rng.standard_normal((3, 4)))
    w = rng.standard_normal((4, 2))
    assert gradcheck(lambda u: u @ w, a)
    assert gradcheck(lambda u: w.T @ u.T, a)


@settings(max_examples=10, deadline=None)
@given(batch=st.lists(st.integers(1, 3), min_size=0, max_size=2), m=st.integers(1, 5),
       k=st.integers(1, 5), n=st.integers(1, 5), bcast=st.booleans(), seed=st.integers(0, 2**31 - 1))
def test_matmul_random_shapes(batch, m, k, n, bcast, seed):
    rng = np.random.default_rng(seed)
    sb = ((1,) * len(batch) if bcast else tuple(batch)) + (k, n)
    a, b = t64(rng.standard_normal(tuple(batch) + (m, k))), t64(rng.standard_normal(sb))
    np.testing.assert_allclose((a @ b).numpy(), a.numpy() @ b.numpy(), rtol=1e-12)
    assert gradcheck(lambda u, v: u @ v, a, b)


@pytest.mark.parametrize("x_shape", [(4, 3), (2, 4, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradcheck_and_values(x_shape, bias):
    rng = np.random.default_rng(2)
    x = t64(rng.standard_normal(x_shape))
    w = t64(rng.standard_normal((5, 3)))
    b = t64(rng.standard_normal(5))
    args = (x, w, b) if bias else (x, w)
    out = Linear.apply(*args)
    expected = x.numpy() @ w.numpy().T + (b.numpy() if bias else 0)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    assert gradcheck(lambda *t: Linear.apply(*t), *args)


def test_linear_gradients_are_the_course_formulas():
    rng = np.random.default_rng(3)
    x, w, b = t64(rng.standard_normal((6, 3))), t64(rng.standard_normal((4, 3))), t64(rng.standard_normal(4))
    g = rng.standard_normal((6, 4))
    Linear.apply(x, w, b).backward(g)
    np.testing.assert_allclose(x.grad.numpy(), g @ w.numpy(), rtol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), g.T @ x.numpy(), rtol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), g.sum(axis=0), rtol=1e-12)


def test_linear_only_weight_requires_grad():
    rng = np.random.default_rng(4)
    x = Tensor(rng.standard_normal((3, 2)), dtype=np.float64)
    w, b = t64(rng.standard_normal((4, 2))), t64(rng.standard_normal(4))
    assert gradcheck(lambda u, v: Linear.apply(x, u, v), w, b)
    assert x.grad is None


@settings(max_examples=10, deadline=None)
@given(lead=st.lists(st.integers(1, 4), min_size=1, max_size=2), fin=st.integers(1, 5),
       fout=st.integers(1, 5), bias=st.booleans(), seed=st.integers(0, 2**31 - 1))
def test_linear_random_shapes(lead, fin, fout, bias, seed):
    rng = np.random.default_rng(seed)
    x = t64(rng.standard_normal(tuple(lead) + (fin,)))
    w, b = t64(rng.standard_normal((fout, fin))), t64(rng.standard_normal(fout))
    args = (x, w, b) if bias else (x, w)
    assert Linear.apply(*args).shape == tuple(lead) + (fout,)
    assert gradcheck(lambda *t: Linear.apply(*t), *args)

"""Gradient checks and values of reshape, transpose/permute, indexing, cat, stack, pad."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import glassbox as gb
from glassbox import Tensor, gradcheck
from helpers import t64



@pytest.fixture
def x():
    return t64(np.random.default_rng(0).standard_normal((2, 3, 4)))


@pytest.mark.parametrize("shape", [(6, 4), (-1,), (4, -1, 2), (24,), (1, 2, 12)])
def test_reshape(x, shape):
    out = x.reshape(*shape)
    np.testing.assert_array_equal(out.numpy(), x.numpy().reshape(shape))
    assert gradcheck(lambda t: t.reshape(shape), x)
    assert gradcheck(lambda t: t.view(shape) * 2, x)


def test_reshape_bad_shape_message(x):
    with pytest.raises(ValueError, match=r"reshape.*\(2, 3, 4\).*\(5, 5\)"):
        x.reshape(5, 5)


def test_flatten(x):
    assert x.flatten(1).shape == (2, 12)
    assert gradcheck(lambda t: t.flatten(), x)


@pytest.mark.parametrize("dims", [(0, 1), (1, 0), (0, 2), (-1, -2), (1, 2)])
def test_transpose_two_args_swaps_like_pytorch(x, dims):
    out = x.transpose(*dims)
    np.testing.assert_array_equal(out.numpy(), np.swapaxes(x.numpy(), *dims))
    assert gradcheck(lambda t: t.transpose(*dims), x)


def test_transpose_2d_two_args_swaps():
    m = t64(np.arange(6.0).reshape(2, 3))
    assert m.transpose(0, 1).shape == (3, 2)
    assert m.transpose(1, 0).shape == (3, 2)
    np.testing.assert_array_equal(m.transpose(0, 1).numpy(), m.numpy().T)
    np.testing.assert_array_equal(m.T.numpy(), m.numpy().T)
    assert gradcheck(lambda t: t.transpose(0, 1), m)


@pytest.mark.parametrize("perm", [(2, 0, 1), (1, 2, 0), (0, 2, 1), (2, 1, 0)])
def test_permute(x, perm):
    np.testing.assert_array_equal(x.permute(*perm).numpy(), x.numpy().transpose(perm))
    np.testing.assert_array_equal(x.permute(perm).numpy(), x.numpy().transpose(perm))
    assert gradcheck(lambda t: t.permute(*perm), x)
    assert gradcheck(lambda t: t.transpose(perm), x)


def test_T_reverses_axes(x):
    np.testing.assert_array_equal(x.T.numpy(), x.numpy().T)
    assert gradcheck(lambda t: t.T, x)


BASIC_INDICES = [
    0, -1, slice(1, None), (slice(None), 1), (Ellipsis, 2), (1, slice(0, 3, 2), slice(None, None, -1)),
    (None, 0), (slice(None), None, 2),
]


@pytest.mark.parametrize("index", BASIC_INDICES, ids=repr)
def test_getitem_basic(x, index):
    np.testing.assert_array_equal(x[index].numpy(), x.numpy()[index])
    assert gradcheck(lambda t: t[index], x)


def test_getitem_repeated_integer_indices_accumulate(x):
    idx = np.array([0, 2, 0, 0, 1])
    assert gradcheck(lambda t: t[:, idx], x)
    assert gradcheck(lambda t: t[np.array([1, 1, 0])], x)
    x.grad = None
    x[:, idx].sum().backward()
    counts = np.array([3, 1, 1])[None, :, None]
    np.testing.assert_array_equal(x.grad.numpy(), np.broadcast_to(counts, (2, 3, 4)))


def test_getitem_integer_arrays_pairs_and_tensor_index(x):
    rows, cols = np.array([0, 1, 1, 0]), np.array([2, 0, 2, 2])
    np.testing.assert_array_equal(x[rows, cols].numpy(), x.numpy()[rows, cols])
    assert gradcheck(lambda t: t[rows, cols], x)
    assert gradcheck(lambda t: t[Tensor(rows)], x)
    assert gradcheck(lambda t: t[[1, 0, 1]], x)


def test_getitem_boolean_mask(x):
    mask = x.numpy() > 0
    np.testing.assert_array_equal(x[mask].numpy(), x.numpy()[mask])
    assert gradcheck(lambda t: t[mask], x)
    assert gradcheck(lambda t: t[t.data > 0.3], x)
    row_mask = np.array([True, False, True])
    assert gradcheck(lambda t: t[:, row_mask], x)
    x.grad = None
    x[Tensor(mask)].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), mask.astype(float))


@settings(max_examples=10, deadline=None)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=5), seed=st.integers(0, 2**31 - 1))
def test_getitem_random_integer_index(shape, seed):
    rng = np.random.default_rng(seed)
    x = t64(rng.standard_normal(shape))
    idx = rng.integers(0, shape[0], size=rng.integers(1, 7))
    assert gradcheck(lambda t: t[idx], x)
    x.grad = None
    x[idx].sum().backward()
    counts = np.bincount(idx, minlength=shape[0]).reshape((-1,) + (1,) * (len(shape) - 1))
    np.testing.assert_array_equal(x.grad.numpy(), np.broadcast_to(counts, shape))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_cat(axis):
    rng = np.random.default_rng(1)
    shapes = [(2, 3, 4), (2, 3, 4), (2, 3, 4)]
    shapes = [tuple(n + i if d == axis % 3 else n for d, n in enumerate(s)) for i, s in enumerate(shapes)]
    ts = [t64(rng.standard_normal(s)) for s in shapes]
    out = gb.cat(ts, axis=axis)
    np.testing.assert_array_equal(out.numpy(), np.concatenate([t.numpy() for t in ts], axis=axis))
    assert gradcheck(lambda *t: gb.cat(list(t), axis=axis), *ts)
    assert gradcheck(lambda *t: gb.concatenate(list(t), axis=axis) ** 2, *ts)


def test_cat_with_constant_input():
    a, c = t64([[1.0, 2.0]]), Tensor([[3.0, 4.0]], dtype=np.float64)
    gb.cat([a, c, a]).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[2.0, 2.0]])
    assert c.grad is None


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_stack(axis):
    rng = np.random.default_rng(2)
    ts = [t64(rng.standard_normal((2, 3))) for _ in range(4)]
    out = gb.stack(ts, axis=axis)
    np.testing.assert_array_equal(out.numpy(), np.stack([t.numpy() for t in ts], axis=axis))
    assert gradcheck(lambda *t: gb.stack(list(t), axis=axis), *ts)


@pytest.mark.parametrize("width,value", [(((1, 2), (0, 3)), 0.0), (((0, 0), (2, 2)), -1.5), (((3, 1), (1, 1)), 7.0)])
def test_pad(width, value):
    x = t64(np.random.default_rng(3).standard_normal((2, 3)))
    out = gb.pad(x, width, value=value)
    np.testing.assert_array_equal(out.numpy(), np.pad(x.numpy(), width, constant_values=value))
    assert gradcheck(lambda t: gb.pad(t, width, value=value), x)


@settings(max_examples=10, deadline=None)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), seed=st.integers(0, 2**31 - 1),
       n=st.integers(1, 3))
def test_cat_stack_pad_random(shape, seed, n):
    rng = np.random.default_rng(seed)
    ts = [t64(rng.standard_normal(shape)) for _ in range(n)]
    axis = int(rng.integers(-len(shape), len(shape)))
    width = [tuple(int(v) for v in rng.integers(0, 3, 2)) for _ in shape]
    assert gradcheck(lambda *t: gb.cat(list(t), axis=axis), *ts)
    assert gradcheck(lambda *t: gb.stack(list(t), axis=axis), *ts)
    assert gradcheck(lambda t: gb.pad(t, width), ts[0])


@settings(max_examples=10, deadline=None)
@given(shape=hnp.array_shapes(min_dims=2, max_dims=4, max_side=4), seed=st.integers(0, 2**31 - 1))
def test_reshape_transpose_random(shape, seed):
    rng = np.random.default_rng(seed)
    x = t64(rng.standard_normal(shape))
    perm = tuple(int(p) for p in rng.permutation(len(shape)))
    d0, d1 = (int(d) for d in rng.choice(len(shape), 2, replace=False))
    np.testing.assert_array_equal(x.transpose(d0, d1).numpy(), np.swapaxes(x.numpy(), d0, d1))
    assert gradcheck(lambda t: t.permute(perm).reshape(-1, shape[0]) * t.sum(), x)
    assert gradcheck(lambda t: t.transpose(d0, d1), x)

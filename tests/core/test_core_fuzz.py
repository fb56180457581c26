"""Fuzzing the ops with random shapes, dims, dtypes, empty and 0-d inputs.

Every call either works or raises a glassbox error (``GlassboxError``) whose message names
the op; no bare IndexError/AxisError/ValueError/TypeError/ZeroDivisionError from NumPy or
our internals escapes. Where a call works, its result is checked against NumPy.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassbox as gb

DTYPES = (np.float32, np.float64, np.int64, np.bool_)
shapes = st.lists(st.integers(0, 3), min_size=0, max_size=4).map(tuple)
dims = st.integers(-6, 6)


def make(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return gb.tensor((rng.standard_normal(shape) * 3).astype(dtype), dtype=dtype)


def outcome(name, fn):
    """Run ``fn``; an error must be a GlassboxError whose message names ``name``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # log(-1) = nan is a value, not an error
        try:
            return fn()
        except gb.GlassboxError as exc:
            names = name if isinstance(name, tuple) else (name,)
            assert any(n.lower() in str(exc).lower() for n in names), (names, str(exc))
            return exc
        except Exception as exc:  # pragma: no cover - the failure being tested for
            pytest.fail(f"{name} raised a bare {type(exc).__name__}: {exc}")


UNARY = {
    "exp": lambda t: t.exp(), "log": lambda t: t.log(), "sqrt": lambda t: t.sqrt(),
    "abs": lambda t: t.abs(), "sign": lambda t: t.sign(), "neg": lambda t: -t,
    "relu": lambda t: t.relu(), "sigmoid": lambda t: t.sigmoid(), "tanh": lambda t: t.tanh(),
    "clamp": lambda t: t.clamp(-1, 1), "pow": lambda t: t ** 2, "clone": lambda t: t.clone(),
    "float": lambda t: t.float(), "long": lambda t: t.long(), "bool": lambda t: t.bool(),
}


@given(shape=shapes, dtype=st.sampled_from(DTYPES), op=st.sampled_from(sorted(UNARY)))
def test_unary_ops(shape, dtype, op):
    t = make(shape, dtype)
    out = outcome(("neg", "sub") if op == "neg" else op, lambda: UNARY[op](t))
    if isinstance(out, gb.Tensor):
        assert out.shape == shape


REDUCTIONS = ("sum", "mean", "max", "min", "var", "std", "norm", "argmax", "argmin", "amax", "amin")


@given(shape=shapes, dtype=st.sampled_from(DTYPES), op=st.sampled_from(REDUCTIONS),
       dim=st.one_of(st.none(), dims), keepdim=st.booleans())
def test_reductions(shape, dtype, op, dim, keepdim):
    t = make(shape, dtype)
    if op == "norm":
        call = lambda: t.norm(2, dim=dim, keepdim=keepdim)  # noqa: E731
    else:
        call = lambda: getattr(t, op)(dim, keepdim=keepdim)  # noqa: E731
    out = outcome((op, op.lstrip("a")), call)
    if isinstance(out, tuple):  # max(dim)/min(dim): (values, indices)
        out = out.values
    if isinstance(out, gb.Tensor) and op in ("sum", "max", "min") and dtype != np.bool_:
        ref = getattr(np, {"sum": "sum", "max": "max", "min": "min"}[op])(
            t.numpy(), axis=dim if dim is None or t.ndim else None, keepdims=keepdim)
        np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5)


@given(shape=shapes, dtype=st.sampled_from(DTYPES), d0=dims, d1=dims)
def test_shape_ops_with_random_dims(shape, dtype, d0, d1):
    t = make(shape, dtype)
    outcome("transpose", lambda: t.transpose(d0, d1))
    outcome("softmax", lambda: t.float().softmax(d0))
    outcome("log_softmax", lambda: t.float().log_softmax(dim=d1))
    outcome("unsqueeze", lambda: t.unsqueeze(d0))
    outcome("squeeze", lambda: t.squeeze(d0))
    outcome("flatten", lambda: t.flatten(d0, d1))
    outcome("size", lambda: t.size(d0))
    outcome("cat", lambda: gb.cat([t, t], dim=d0))
    outcome("stack", lambda: gb.stack([t, t], dim=d1))
    outcome("permute", lambda: t.permute(*[d0] * t.ndim))
    outcome(("getitem", "index"), lambda: t[d0])
    outcome("reshape", lambda: t.reshape(d0, -1))
    outcome("expand", lambda: t.expand(d0, *t.shape))
    outcome("repeat", lambda: t.repeat(*([2] * t.ndim), d1))


@given(a=shapes, b=shapes, dtype=st.sampled_from(DTYPES))
def test_binary_ops_with_random_shapes(a, b, dtype):
    x, y = make(a, dtype, 1), make(b, dtype, 2)
    for name, fn in {"add": lambda: x + y, "sub": lambda: x - y, "mul": lambda: x * y,
                     "div": lambda: x / y, "matmul": lambda: x @ y, "pow": lambda: x ** y,
                     "maximum": lambda: gb.maximum(x, y), "eq": lambda: x.eq(y),
                     "lt": lambda: x < y, "cat": lambda: gb.cat([x, y])}.items():
        out = outcome(name, fn)
        if isinstance(out, gb.Tensor) and name == "add":
            np.testing.assert_array_equal(out.numpy(), x.numpy() + y.numpy())


@given(shape=shapes, dtype=st.sampled_from(DTYPES), other=shapes, index=dims)
@settings(max_examples=25)
def test_in_place_ops_and_item_assignment(shape, dtype, other, index):
    t, v = make(shape, dtype), make(other, dtype, 3)
    outcome("add_", lambda: t.add_(v))
    outcome("mul_", lambda: t.mul_(v))
    outcome("div_", lambda: t.div_(v))
    outcome("copy_", lambda: t.copy_(v))
    outcome("clamp_", lambda: t.clamp_(-1, 1))
    outcome(("__setitem__", "item assignment", "index"), lambda: t.__setitem__(index, v))


@pytest.mark.parametrize("dtype", DTYPES)
def test_zero_d_and_empty_inputs_of_every_op(dtype):
    for shape in ((), (0,), (2, 0), (0, 3)):
        t = make(shape, dtype)
        for name, fn in UNARY.items():
            outcome(name if name != "neg" else ("neg", "sub"), lambda: fn(t))
        for op in REDUCTIONS:
            outcome((op, op.lstrip("a")), lambda: getattr(t, op)())
            outcome((op, op.lstrip("a")), lambda: getattr(t, op)(0))
        outcome("item", lambda: t.item())
        outcome("flatten", lambda: t.flatten())
        outcome("softmax", lambda: t.float().softmax(-1))

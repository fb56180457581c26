"""The stand-in must be as strict as CuPy, or the device tests prove nothing."""
from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

from glassbox import backend
from glassbox.testing import strict_xp as sx


@pytest.fixture(autouse=True)
def fresh_counts():
    sx.reset_transfers()


def test_refuses_implicit_conversion_to_numpy():
    a = sx.asarray(np.arange(4.0))
    for convert in (np.asarray, np.array, lambda v: np.exp(v), lambda v: np.zeros_like(v)):
        with pytest.raises(TypeError):
            convert(a)
    assert not hasattr(a, "__array_interface__")


@pytest.mark.parametrize("mix", [
    lambda a, h: a + h, lambda a, h: h * a, lambda a, h: sx.maximum(a, h),
    lambda a, h: sx.concatenate([a, h]), lambda a, h: a.__setitem__(slice(None), h),
])
def test_refuses_to_mix_with_host_arrays(mix):
    with pytest.raises(TypeError, match="Unsupported type|ufunc"):
        mix(sx.zeros(3), np.ones(3))


def test_lacks_what_cupy_lacks():
    for name in ("errstate", "seterr", "geterr", "matrix", "ma"):
        assert not hasattr(sx, name)
    a = sx.zeros((4, 4))
    with pytest.raises(TypeError):
        sx.lib.stride_tricks.as_strided(a, (2, 2), (8, 8), writeable=False)
    assert not hasattr(a.flags, "writeable") and not hasattr(a, "setflags")


def test_reductions_give_0d_arrays_and_scalar_conversions_are_counted():
    a = sx.asarray(np.arange(6.0).reshape(2, 3))
    assert sx.transfers == {"to_host": 0, "to_device": 1}
    total = a.sum()
    assert isinstance(total, sx.ndarray) and total.shape == ()
    assert float(total) == 15.0 and a.max().item() == 5.0 and bool(a.min() == 0)
    assert a.get().tolist() == np.arange(6.0).reshape(2, 3).tolist()
    assert sx.asnumpy(a).shape == (2, 3)
    assert sx.transfers["to_host"] == 5


def test_numpy_math_underneath():
    h = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    a = sx.asarray(h)
    np.testing.assert_array_equal(sx.asnumpy(sx.tanh(a) @ a.T + 1), np.tanh(h) @ h.T + 1)
    b = a.copy()
    b += 2
    b[0] = a[1]
    sx.add.at(b, sx.asarray(np.array([0, 0])), 1.0)
    ref = h + 2
    ref[0] = h[1]
    np.add.at(ref, [0, 0], 1.0)
    np.testing.assert_array_equal(sx.asnumpy(b), ref)
    assert isinstance(copy.deepcopy(a), sx.ndarray)
    assert isinstance(pickle.loads(pickle.dumps(a)), sx.ndarray)


def test_random_generator_draws_on_the_device_from_the_given_stream():
    g = sx.random.default_rng(np.random.default_rng(7))
    draws = g.random((2, 3), dtype=np.float32)
    assert isinstance(draws, sx.ndarray) and draws.dtype == np.float32
    np.testing.assert_array_equal(sx.asnumpy(draws),
                                  np.random.default_rng(7).random((2, 3), dtype=np.float32))


def test_backend_helpers_route_around_the_differences():
    backend.set_cuda_module("strict")
    try:
        a = sx.zeros((4, 4))
        with backend.using([a]):
            assert backend.xp is sx
            with backend.errstate(divide="ignore"):  # a no-op on the device
                pass
        view = backend.as_strided(a, (2, 2), a.strides)  # writeable= dropped on the device
        assert isinstance(view, sx.ndarray)
        host = backend.as_strided(np.zeros((4, 4)), (2, 2), (32, 8), writeable=False)
        assert not host.flags.writeable
        assert backend.xp is np
    finally:
        backend.reset()

"""Tensor basics and dtypes: float32 by default and kept through every op and gradient,
NumPy interoperability, item/repr/shape, comparisons, creation functions."""
import numpy as np
import pytest

import glassbox as gb
from glassbox import Tensor
from glassbox.ops.linalg import Linear
from glassbox.ops.loss import BinaryCrossEntropyWithLogits, SoftmaxCrossEntropy


def test_float64_data_becomes_float32_unless_asked():
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    assert Tensor(a).dtype == np.float32
    assert Tensor([1.0, 2.0]).dtype == np.float32
    assert gb.tensor(a).dtype == np.float32
    assert Tensor(a, dtype=np.float64).dtype == np.float64
    assert gb.tensor(a, dtype=np.float64).dtype == np.float64


def test_integer_and_bool_tensors_keep_their_type():
    i = Tensor(np.array([1, 2, 3]))
    assert i.dtype == np.int64
    assert (i + 1).dtype == np.int64
    assert (i * i).dtype == np.int64
    assert i.sum().dtype == np.int64
    assert Tensor([True, False]).dtype == np.bool_
    assert gb.arange(4).dtype == np.int64
    assert gb.arange(0, 1, 0.25).dtype == np.float32
    np.testing.assert_array_equal(gb.arange(0, 1, 0.25).numpy(), [0, 0.25, 0.5, 0.75])


def test_tensor_copies_but_Tensor_wraps():
    a = np.ones(3, dtype=np.float32)
    t = gb.tensor(a)
    a[0] = 5
    assert t.data[0] == 1.0
    assert gb.as_tensor(t) is t


def f32(shape, rng, low=0.5, high=2.0):
    return Tensor(rng.uniform(low, high, shape).astype(np.float32), requires_grad=True)


OPS = {
    "add_scalar": lambda a, b: a + 2.5 + a * b,
    "radd/rsub/rmul/rdiv": lambda a, b: (1.5 - a) * (2.0 / b) + 3 * a,
    "np_scalar": lambda a, b: a * np.float64(2.0) + np.float64(1.0) - b / np.float64(3.0),
    "np_array_f64": lambda a, b: a * np.full(a.shape, 0.5) + b,
    "pow": lambda a, b: a**2 + a**0.5 + a**np.float64(1.5) + a**b + 2.0**a,
    "matmul": lambda a, b: a @ b.T,
    "linear": lambda a, b: Linear.apply(a, b, b[0]),
    "reductions": lambda a, b: a.sum(0) + a.mean(1).sum() + a.max(1).values.sum() + a.min() + b.sum(axis=(0, 1)),
    "shape": lambda a, b: gb.cat([a.reshape(-1), b.T.reshape(-1)]) + gb.stack([a, b]).sum()
    + gb.pad(a, ((1, 1), (0, 0)))[1:-1].sum() + a[:, np.array([0, 0])].sum() + a.permute(1, 0)[0].sum(),
    "elementwise": lambda a, b: a.exp() + a.log() + a.sqrt() + (-a).abs() + a.clip(0.6, 1.9)
    + gb.where(a.data > 1, a, b) + gb.maximum(a, b) + gb.minimum(a, 1.0),
    "activation": lambda a, b: a.sigmoid() + a.tanh() + (a - 1).relu() + (a - 1).leaky_relu(0.1)
    + a.softmax(0) + a.log_softmax(1),
    "ce_int": lambda a, b: SoftmaxCrossEntropy.apply(a, Tensor(np.array([0, 2, 1]))),
    "ce_probs_f64": lambda a, b: SoftmaxCrossEntropy.apply(a, Tensor(np.full((3, 3), 1 / 3), dtype=np.float64)),
    "bce_int": lambda a, b: BinaryCrossEntropyWithLogits.apply(a, Tensor(np.eye(3, dtype=np.int64)), reduction="sum"),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_float32_in_float32_out_and_float32_grads(name):
    rng = np.random.default_rng(0)
    a, b = f32((3, 3), rng), f32((3, 3), rng)
    out = OPS[name](a, b)
    assert out.dtype == np.float32, f"{name} output is {out.dtype}"
    assert isinstance(out.data, np.ndarray)
    out.backward(np.ones(out.shape, dtype=np.float32))
    for t in (a, b):
        if t.grad is not None:
            assert t.grad.dtype == np.float32, f"{name} gradient is {t.grad.dtype}"
    assert a.grad is not None


def test_float64_constant_in_float32_graph_gives_float32_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    c = Tensor([3.0, 4.0], dtype=np.float64)
    (x * c).sum().backward()
    assert x.grad.dtype == np.float32
    y = Tensor([1.0, 2.0], requires_grad=True)
    (y * 2).backward(Tensor(np.ones(2), dtype=np.float64))
    assert y.grad.dtype == np.float32


def test_numpy_interop():
    t = Tensor([[1.0, 2.0], [3.0, 4.0]])
    a = np.asarray(t)
    assert isinstance(a, np.ndarray) and a.dtype == np.float32
    np.testing.assert_array_equal(a, [[1, 2], [3, 4]])
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    r = np.ones((2, 2)) + t  # ndarray on the left: Tensor's reflected op wins
    assert isinstance(r, Tensor) and r.dtype == np.float32
    np.testing.assert_array_equal(r.numpy(), [[2, 3], [4, 5]])
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = np.array([2.0, 3.0]) * x - np.array([1.0, 1.0])
    assert isinstance(y, Tensor) and y.requires_grad
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2, 3])
    m = np.eye(2) @ x
    assert isinstance(m, Tensor)
    assert t.numpy() is t.data


def test_item_repr_shape_dtype_ndim():
    t = Tensor(np.arange(6.0).reshape(2, 3))
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and t.size() == (2, 3) and t.numel() == 6 and len(t) == 2 and t.dtype == np.float32
    s = t.sum()
    assert s.item() == 15.0 and isinstance(s.item(), float) and float(s) == 15.0
    assert isinstance(Tensor(np.array([3])).item(), int)
    with pytest.raises(ValueError, match="6 elements"):
        t.item()
    assert repr(Tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert "requires_grad=True" in repr(Tensor([1.0], requires_grad=True))
    assert "grad_fn=<Mul>" in repr(Tensor([1.0], requires_grad=True) * 2)
    assert "dtype=float64" in repr(Tensor([1.0], dtype=np.float64))
    assert "dtype=int64" in repr(Tensor([1]))


def test_comparisons_return_bool_tensors_outside_graph():
    a = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = Tensor([3.0, 2.0, 1.0])
    cases = {
        a == b: [False, True, False], a != b: [True, False, True], a < b: [True, False, False],
        a <= b: [True, True, False], a > 2.0: [False, False, True], a >= 2: [False, True, True],
    }
    for out, expected in cases.items():
        assert isinstance(out, Tensor) and out.dtype == np.bool_ and not out.requires_grad
        np.testing.assert_array_equal(out.numpy(), expected)
    assert a.argmax().item() == 2 and b.argmin().item() == 2
    assert {a: 1}[a] == 1  # tensors stay hashable


def test_creation_functions():
    gb.manual_seed(0)
    r1 = gb.randn(2, 3)
    gb.manual_seed(0)
    r2 = gb.randn((2, 3))
    np.testing.assert_array_equal(r1.numpy(), r2.numpy())
    assert r1.dtype == np.float32 and gb.rand(4).dtype == np.float32
    assert np.all((gb.rand(100).numpy() >= 0) & (gb.rand(100).numpy() < 1))
    assert gb.zeros(2, 3).shape == (2, 3) and gb.ones((4,)).numpy().sum() == 4
    assert gb.full((2, 2), 7.0).numpy().tolist() == [[7, 7], [7, 7]]
    z = gb.zeros_like(Tensor(np.array([1, 2])))
    assert z.dtype == np.int64 and gb.ones_like(r1, requires_grad=True).requires_grad


def test_astype_float_double():
    t = Tensor([1.5, 2.5])
    assert t.double().dtype == np.float64 and t.double().float().dtype == np.float32
    assert t.astype(np.int32).dtype == np.int32

"""PyTorch tensor fluency: names, signatures, defaults and semantics of torch.Tensor and
torch.* that glassbox has, with every new differentiable op gradient-checked (float64,
fixed and hypothesis shapes) and every value checked against a formula or NumPy."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import glassbox as gb
from glassbox import gradcheck
from helpers import t64


def rand64(shape, seed=0, low=None):
    x = np.random.default_rng(seed).standard_normal(shape)
    if low is not None:  # keep away from kinks (|x| small) where a derivative jumps
        x = np.where(np.abs(x) < low, np.sign(x + 1e-12) * low, x)
    return t64(x)


small_shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)


# ------------------------------------------------------------------ dims and sizes
def test_dim_keepdim_and_axis_keepdims_are_the_same():
    x = rand64((2, 3, 4))
    for name in ("sum", "mean", "var", "std", "amax"):
        a = getattr(x, name)(dim=1, keepdim=True) if name != "amax" else x.amax(1, True)
        b = getattr(x, name)(axis=1, keepdims=True) if name != "amax" else x.amax(dim=1, keepdim=True)
        np.testing.assert_allclose(a.numpy(), b.numpy())
        assert a.shape == (2, 1, 4)
    with pytest.raises(gb.InvalidArgumentError, match="both dim=0 and axis=1"):
        x.sum(dim=0, axis=1)


def test_size_numel_dim_shape():
    x = gb.zeros(2, 3, 4)
    assert x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4
    assert x.numel() == 24 and x.size == 24 and x.dim() == 3 and x.shape == (2, 3, 4)
    with pytest.raises(gb.AxisError, match="Dimension out of range"):
        x.size(3)


def test_comparison_methods_and_operators_give_bool_tensors():
    a, b = gb.tensor([1, 2, 3]), gb.tensor([3, 2, 1])
    for name, op in (("eq", np.equal), ("ne", np.not_equal), ("lt", np.less),
                     ("le", np.less_equal), ("gt", np.greater), ("ge", np.greater_equal)):
        out = getattr(a, name)(b)
        assert out.dtype == np.bool_
        np.testing.assert_array_equal(out.numpy(), op(a.numpy(), b.numpy()))
        np.testing.assert_array_equal(getattr(gb, name)(a, b).numpy(), out.numpy())
    assert (a == 2).tolist() == [False, True, False] and (a >= 2).sum().item() == 2
    assert a.equal(gb.tensor([1, 2, 3])) and not a.equal(b)


def test_pytorch_mnist_accuracy_idiom():
    output = gb.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    target = gb.tensor([1, 0, 0])
    pred = output.argmax(dim=1, keepdim=True)
    assert pred.shape == (3, 1) and pred.dtype == np.int64
    assert pred.eq(target.view_as(pred)).sum().item() == 2


def test_max_and_min_with_dim_return_values_and_indices():
    x = gb.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    values, indices = x.max(dim=1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    out = x.min(0, keepdim=True)
    assert out.values.tolist() == [[1.0, 0.0, 2.0]] and out.indices.tolist() == [[0, 1, 0]]
    assert x.max().item() == 7.0 and x.max(axis=1).tolist() == [5.0, 7.0]  # NumPy's form
    assert gb.max(x, gb.full((2, 3), 4.0)).tolist() == [[4, 5, 4], [7, 4, 4]]
    assert gb.max(x, 1).indices.tolist() == [1, 0]


def test_max_dim_values_gradient():
    x = rand64((3, 4))
    assert gradcheck(lambda t: t.max(dim=1).values, x)
    assert gradcheck(lambda t: t.min(0, keepdim=True).values, x)


def test_argmax_argmin_forms():
    x = gb.tensor([[1.0, 5.0], [7.0, 0.0]])
    assert x.argmax().item() == 2 and x.argmin(dim=1).tolist() == [0, 1]
    assert x.argmax(1, keepdim=True).shape == (2, 1) and x.argmax(axis=0).tolist() == [1, 0]
    assert gb.argmax(x, dim=0).tolist() == [1, 0]


# --------------------------------------------------------------------- shape ops
def test_view_reshape_flatten_unsqueeze_squeeze():
    x = gb.arange(24).reshape(2, 3, 4)
    assert x.view(6, 4).shape == (6, 4) and x.view(-1).shape == (24,)
    assert x.flatten().shape == (24,) and x.flatten(1).shape == (2, 12)
    assert x.flatten(0, 1).shape == (6, 4) and gb.flatten(x, 1, 2).shape == (2, 12)
    assert x.unsqueeze(0).shape == (1, 2, 3, 4) and x.unsqueeze(-1).shape == (2, 3, 4, 1)
    assert gb.zeros(1, 3, 1).squeeze().shape == (3,) and gb.zeros(1, 3, 1).squeeze(0).shape == (3, 1)
    assert gb.zeros(2, 3).squeeze(0).shape == (2, 3)  # not size 1: unchanged, as PyTorch
    with pytest.raises(gb.InvalidArgumentError, match="flatten"):
        x.flatten(2, 1)
    with pytest.raises(gb.AxisError, match="unsqueeze"):
        x.unsqueeze(5)
    with pytest.raises(gb.ShapeError, match="reshape"):
        x.view(5, 5)


def test_view_shares_memory():
    x = gb.zeros(2, 3)
    v = x.view(6)
    v[0] = 1
    assert x[0, 0].item() == 1


def test_expand_and_repeat_values():
    x = gb.tensor([[1.0], [2.0]])
    assert x.expand(2, 3).tolist() == [[1, 1, 1], [2, 2, 2]]
    assert x.expand(-1, 2).shape == (2, 2) and x.expand(4, 2, 3).shape == (4, 2, 3)
    assert x.repeat(2, 2).tolist() == [[1, 1], [2, 2], [1, 1], [2, 2]]
    assert x.repeat(3, 1, 1).shape == (3, 2, 1)
    with pytest.raises(gb.ShapeError, match="expand"):
        x.expand(3, 3)
    with pytest.raises(gb.ShapeError, match="repeat"):
        x.repeat(2)


@pytest.mark.parametrize("fn", [
    lambda t: t.expand(4, *t.shape), lambda t: t[:1].expand(3, *t.shape[1:]),
    lambda t: t.repeat(2, 1, 3), lambda t: t.repeat(*[2] * t.ndim),
    lambda t: t.unsqueeze(1).squeeze(1), lambda t: t.flatten(), lambda t: t.view(-1, 1),
    lambda t: t.clone() * t, lambda t: t.transpose(0, -1),
], ids=["expand", "expand_row", "repeat_more_dims", "repeat", "unsqueeze_squeeze", "flatten",
        "view", "clone", "transpose"])
def test_shape_op_gradients_fixed(fn):
    assert gradcheck(fn, rand64((2, 3)))


@given(shape=small_shapes, reps=st.lists(st.integers(1, 3), min_size=3, max_size=3))
def test_repeat_and_expand_gradients_random_shapes(shape, reps):
    x = rand64(shape, seed=len(shape))
    assert gradcheck(lambda t: t.repeat(*reps[: max(len(shape), 1)] + [1] * (len(shape) - 3)), x)
    assert gradcheck(lambda t: t.expand(2, *shape), x)


# ---------------------------------------------------------------- reductions: var/std/norm
@pytest.mark.parametrize("correction", [0, 1, 2])
def test_var_std_match_numpy_ddof(correction):
    x = rand64((3, 5))
    for dim in (None, 0, 1, (0, 1)):
        ref = np.var(x.numpy(), axis=dim, ddof=correction)
        np.testing.assert_allclose(x.var(dim, correction=correction).numpy(), ref, rtol=1e-12)
        np.testing.assert_allclose(x.std(dim, correction=correction).numpy(), np.sqrt(ref), rtol=1e-12)


def test_var_defaults_and_unbiased_forms():
    x = gb.tensor([1.0, 2.0, 3.0, 4.0])
    assert x.var().item() == pytest.approx(5 / 3)            # PyTorch's default: Bessel's
    assert x.var(unbiased=False).item() == pytest.approx(1.25)
    assert x.var(0, False).item() == pytest.approx(1.25)     # old positional form
    assert x.std(0, True, True).shape == (1,)
    assert np.isnan(gb.tensor([3.0]).var().item())             # n − 1 = 0: NaN, as PyTorch


@pytest.mark.parametrize("correction", [0, 1])
@pytest.mark.parametrize("dim", [None, 0, 1, (0, 1)])
def test_var_std_gradients(correction, dim):
    x = rand64((3, 4))
    assert gradcheck(lambda t: t.var(dim, correction=correction), x)
    assert gradcheck(lambda t: t.std(dim, correction=correction, keepdim=True), x)


@given(shape=small_shapes, data=st.data())
def test_var_gradient_random_shapes(shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = rand64(shape, seed=sum(shape))
    if x.shape[dim] > 1:
        assert gradcheck(lambda t: t.var(dim, correction=1), x)
    assert gradcheck(lambda t: t.var(dim, correction=0), x)


@pytest.mark.parametrize("p", [1, 2, 3, 0.5, float("inf"), float("-inf"), "fro"])
def test_norm_matches_numpy(p):
    x = rand64((3, 4))
    q = 2 if p == "fro" else p
    ref_all = np.linalg.norm(x.numpy().ravel(), ord=q)
    np.testing.assert_allclose(x.norm(p).item(), ref_all, rtol=1e-12)
    np.testing.assert_allclose(x.norm(p, dim=1).numpy(), np.linalg.norm(x.numpy(), ord=q, axis=1), rtol=1e-12)


@pytest.mark.parametrize("p", [1, 2, 3, 1.5, float("inf")])
def test_norm_gradients(p):
    x = rand64((3, 4), low=0.1)
    assert gradcheck(lambda t: t.norm(p), x)
    assert gradcheck(lambda t: t.norm(p, dim=0, keepdim=True), x)


def test_norm_gradient_at_zero_is_zero_not_nan():
    x = t64([0.0, 0.0])
    x.norm().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0])


@given(shape=small_shapes, p=st.sampled_from([1, 2, 3]))
def test_norm_gradient_random_shapes(shape, p):
    assert gradcheck(lambda t: t.norm(p, dim=-1), rand64(shape, seed=len(shape), low=0.1))


# --------------------------------------------------------------------- elementwise
def test_sign_values_and_zero_gradient():
    x = t64([-2.0, 0.0, 3.0])
    assert x.sign().tolist() == [-1, 0, 1]
    (x.sign() * x).sum().backward()  # d/dx [sign(x)·x] = sign(x) with sign's derivative 0
    np.testing.assert_array_equal(x.grad.numpy(), [-1, 0, 1])
    assert gradcheck(lambda t: t.sign() * t * t, rand64((2, 3), low=0.1))


def test_pow_method_and_function():
    x = t64(np.abs(rand64((2, 3), low=0.2).numpy()))
    np.testing.assert_allclose(x.pow(3).numpy(), x.numpy() ** 3)
    np.testing.assert_allclose(gb.pow(x, 0.5).numpy(), np.sqrt(x.numpy()))
    assert gradcheck(lambda t: t.pow(3), x)
    assert gradcheck(lambda t: t.abs().pow(t), x)


def test_clone_is_a_differentiable_copy():
    x = t64([1.0, 2.0])
    c = x.clone()
    assert not np.shares_memory(c.data, x.data) and c.grad_fn is not None
    (c * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3, 3])


# ------------------------------------------------------------------ in place with grad
def test_in_place_ops_gradients_match_out_of_place():
    def inplace(t):
        h = t * 1
        h.mul_(t)
        h.add_(t, alpha=2)
        h.sub_(1)
        h.div_(t.abs() + 1)
        h.clamp_(-5, 5)
        return h

    def plain(t):
        return (((t * t + 2 * t) - 1) / (t.abs() + 1)).clamp(-5, 5)

    x = rand64((3, 3), low=0.2)
    np.testing.assert_allclose(inplace(x).numpy(), plain(x).numpy())
    assert gradcheck(inplace, x)


def test_item_assignment_gradients():
    def assign(t, v):
        h = t * 2
        h[0] = v.sum()
        h[1:, :1] = v[:, None][:2] * 3
        return h

    assert gradcheck(assign, rand64((3, 2)), rand64((2,), seed=1))


@given(shape=small_shapes, data=st.data())
def test_item_assignment_gradient_random_rows(shape, data):
    row = data.draw(st.integers(-shape[0], shape[0] - 1))

    def assign(t, v):
        h = t * 1
        h[row] = v * 2
        return h * h

    assert gradcheck(assign, rand64(shape), rand64(shape[1:], seed=2))


def test_fill_zero_copy_values():
    x = gb.zeros(2, 2)
    x.fill_(3)
    assert x.tolist() == [[3, 3], [3, 3]]
    x.copy_(gb.tensor([1.0, 2.0]))  # broadcast, as PyTorch
    assert x.tolist() == [[1, 2], [1, 2]]
    assert x.zero_().sum().item() == 0


# -------------------------------------------------------------------- dtypes and to
def test_dtype_conversions():
    x = gb.tensor([1.7, -0.2, 0.0])
    assert x.long().tolist() == [1, 0, 0] and x.long().dtype == gb.int64
    assert x.int().dtype == gb.int32 and x.double().dtype == gb.float64
    assert x.bool().tolist() == [True, True, False] and x.float() is x
    assert x.to(gb.float64).dtype == np.float64 and x.to("float64").dtype == np.float64
    assert x.to("cpu") is x and x.to(gb.tensor([1])).dtype == np.int64
    assert x.to("cpu", gb.float64).dtype == np.float64
    with pytest.raises(gb.InvalidArgumentError, match="cuda:3"):
        x.to("cuda:3")


def test_double_cast_is_differentiable():
    x = gb.tensor([1.0, 2.0], requires_grad=True)
    (x.double() * 2).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [2, 2]


def test_item_and_tolist():
    assert gb.tensor([[2.5]]).item() == 2.5 and isinstance(gb.tensor(3).item(), int)
    assert gb.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    with pytest.raises(gb.InvalidArgumentError, match="2 elements"):
        gb.tensor([1.0, 2.0]).item()


# ------------------------------------------------------------------ creation functions
@pytest.mark.parametrize("make", [
    lambda **k: gb.zeros(2, 3, **k), lambda **k: gb.ones((2, 3), **k),
    lambda **k: gb.full((2, 3), 1.5, **k), lambda **k: gb.empty(2, 3, **k),
    lambda **k: gb.rand(2, 3, **k), lambda **k: gb.randn(2, 3, **k),
    lambda **k: gb.eye(2, 3, **k), lambda **k: gb.linspace(0, 1, 6, **k),
    lambda **k: gb.arange(0.0, 6.0, **k),
], ids=["zeros", "ones", "full", "empty", "rand", "randn", "eye", "linspace", "arange"])
def test_creation_functions_take_dtype_requires_grad_device(make):
    t = make()
    assert t.numel() == 6 and t.dtype == np.float32 and not t.requires_grad
    t = make(dtype=gb.float64, requires_grad=True, device="cpu")
    assert t.dtype == np.float64 and t.requires_grad and t.is_leaf
    with pytest.raises(gb.InvalidArgumentError, match="cuda:3"):
        make(device="cuda:3")


def test_creation_values():
    assert gb.arange(4).tolist() == [0, 1, 2, 3] and gb.arange(4).dtype == np.int64
    assert gb.arange(1, 2, 0.5).tolist() == [1.0, 1.5] and gb.arange(1, 2, 0.5).dtype == np.float32
    assert gb.linspace(-1, 1, 5).tolist() == [-1, -0.5, 0, 0.5, 1]
    assert gb.eye(3).numpy().trace() == 3 and gb.eye(2, 3).shape == (2, 3)
    assert gb.full((2,), 7).dtype == np.int64 and gb.full((2,), True).dtype == np.bool_
    r = gb.randint(3, 7, (1000,))
    assert r.dtype == np.int64 and r.min().item() == 3 and r.max().item() == 6
    assert gb.randint(5, (3,)).shape == (3,)
    like = gb.zeros(2, dtype=gb.float64)
    for fn in (gb.zeros_like, gb.ones_like, gb.rand_like, gb.randn_like, gb.empty_like):
        assert fn(like).dtype == np.float64 and fn(like).shape == (2,)
    assert gb.full_like(like, 4.0).tolist() == [4, 4] and gb.randint_like(gb.zeros(3), 2).shape == (3,)
    with pytest.raises(gb.InvalidArgumentError, match="size"):
        gb.zeros(-1)
    with pytest.raises(gb.InvalidArgumentError, match="step"):
        gb.arange(0, 1, 0)
    with pytest.raises(gb.InvalidArgumentError, match="high"):
        gb.randint(5, 5, (2,))


def test_tensor_keywords_in_pytorch_order():
    t = gb.tensor([1.0, 2.0], dtype=gb.float64, device="cpu", requires_grad=True)
    assert t.dtype == np.float64 and t.requires_grad
    assert gb.tensor([1, 2]).dtype == np.int64 and gb.tensor([True]).dtype == np.bool_


def test_manual_seed_reproduces_and_differs():
    gb.manual_seed(7)
    a = gb.randn(5).tolist(), gb.rand(3).tolist(), gb.randint(0, 100, (4,)).tolist()
    gb.manual_seed(7)
    b = gb.randn(5).tolist(), gb.rand(3).tolist(), gb.randint(0, 100, (4,)).tolist()
    gb.manual_seed(8)
    c = gb.randn(5).tolist(), gb.rand(3).tolist(), gb.randint(0, 100, (4,)).tolist()
    assert a == b and a != c


# --------------------------------------------------------------------- torch.* names
def test_top_level_functions_equal_the_methods():
    x = t64(np.abs(rand64((2, 3), low=0.1).numpy()))
    pairs = {
        gb.exp(x): x.exp(), gb.log(x): x.log(), gb.sqrt(x): x.sqrt(), gb.abs(x): x.abs(),
        gb.sum(x, dim=1): x.sum(1), gb.mean(x): x.mean(), gb.std(x, 0): x.std(0),
        gb.var(x, unbiased=False): x.var(unbiased=False), gb.norm(x): x.norm(),
        gb.matmul(x, x.T): x @ x.T, gb.mm(x, x.T): x @ x.T, gb.softmax(x, dim=1): x.softmax(1),
        gb.log_softmax(x, 1): x.log_softmax(1), gb.flatten(x): x.flatten(),
        gb.reshape(x, (3, 2)): x.reshape(3, 2), gb.transpose(x, 0, 1): x.T, gb.clamp(x, 0.5, 1): x.clamp(0.5, 1),
        gb.unsqueeze(x, 0): x.unsqueeze(0), gb.relu(x - 1): (x - 1).relu(), gb.neg(x): -x,
        gb.sigmoid(x): x.sigmoid(), gb.tanh(x): x.tanh(), gb.pow(x, 2): x ** 2, gb.sign(x - 1): (x - 1).sign(),
        gb.amax(x, 1): x.amax(1), gb.clone(x): x, gb.add(x, x, alpha=2): 3 * x, gb.sub(x, 1): x - 1,
    }
    for got, want in pairs.items():
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)
    assert gb.numel(x) == 6 and gb.is_tensor(x) and not gb.is_tensor(x.numpy())
    assert gb.sum(np.ones(3)).item() == 3  # plain arrays are accepted too


def test_dtype_names():
    assert gb.float32 is np.float32 and gb.float is np.float32 and gb.double is np.float64
    assert gb.int64 is gb.long is np.int64 and gb.int is np.int32 and gb.bool is np.bool_
    assert gb.zeros(2, dtype=gb.bool).dtype == np.bool_


def test_device_keyword_and_in_place_ops_on_the_device_stand_in():
    from glassbox import backend
    backend.set_cuda_module("strict")  # device "cuda" = the NumPy-backed CuPy stand-in
    try:
        for t in (gb.zeros(2, 3, device="cuda", requires_grad=True), gb.tensor([1.0, 2.0], device="cuda"),
                  gb.randn(3, device="cuda"), gb.arange(4, device=gb.device("cuda"))):
            assert t.device.type == "cuda" and t.is_leaf
        assert gb.zeros(2, device="cuda", requires_grad=True).requires_grad
        x = gb.ones(3, device="cuda")
        x.add_(1)
        x[0] = 5
        x.mul_(gb.full((3,), 2.0, device="cuda"))
        assert x.device.type == "cuda" and x._version == 3
        assert x.cpu().tolist() == [10.0, 4.0, 4.0]
        assert (x > 5).cpu().tolist() == [True, False, False]
        assert x.argmax().item() == 0 and x.max(0).indices.item() == 0
    finally:
        backend.reset()


@given(shape=small_shapes, data=st.data())
def test_max_dim_and_in_place_gradients_random_shapes(shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = rand64(shape, seed=len(shape) + 7, low=0.2)

    def chain(t):
        h = t * 1
        h.mul_(t)
        h.add_(t, alpha=-0.5)
        h.div_(t.abs() + 1)
        return h

    assert gradcheck(lambda t: t.max(dim).values, x)
    assert gradcheck(chain, x)

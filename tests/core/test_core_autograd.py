"""The backward engine and grad modes: accumulation, leaves, retain_grad, no_grad, detach,
explicit seeds, deep graphs, freeing the graph, and who may receive a gradient."""
import gc
import weakref

import numpy as np
import pytest

import glassbox as gb
from glassbox import Tensor


def leaf(values, dtype=np.float64):
    return Tensor(np.asarray(values, dtype=dtype), requires_grad=True, dtype=dtype)


def test_backward_accumulates_across_calls_and_zero_grad_clears():
    x = leaf([1.0, 2.0, 3.0])
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2, 4, 6])
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [5, 7, 9])
    x.zero_grad()
    assert x.grad is None
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3, 3, 3])


def test_leaf_and_non_leaf():
    x = leaf([1.0, 2.0])
    y = x * 2
    c = Tensor([1.0, 2.0])
    assert x.is_leaf and x.grad_fn is None
    assert not y.is_leaf and y.grad_fn is not None and y.requires_grad
    assert c.is_leaf and not c.requires_grad
    assert not (c * 2).requires_grad and (c * 2).grad_fn is None
    y.sum().backward()
    assert y.grad is None  # non-leaf gradients are not kept by default
    assert x.grad is not None


def test_retain_grad_keeps_non_leaf_gradient():
    x = leaf([1.0, -2.0])
    y = (x * 3).retain_grad()
    z = y.exp()
    z.retain_grad()
    (z * 2).sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), [2, 2])
    np.testing.assert_allclose(y.grad.numpy(), 2 * np.exp(3 * x.numpy()))
    np.testing.assert_allclose(x.grad.numpy(), 6 * np.exp(3 * x.numpy()))


def test_no_grad_records_nothing():
    x = leaf([1.0, 2.0])
    with gb.no_grad():
        assert not gb.is_grad_enabled()
        y = (x * 2).exp().sum()
    assert gb.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_no_grad_as_decorator_with_and_without_parentheses():
    x = leaf([1.0])

    @gb.no_grad()
    def f(t):
        return t * 2

    @gb.no_grad
    def g(t):
        return t * 2

    assert not f(x).requires_grad and not g(x).requires_grad
    assert f.__name__ == "f" and g.__name__ == "g"
    assert gb.is_grad_enabled() and (x * 2).requires_grad


def test_enable_grad_inside_no_grad_and_restore_on_exception():
    x = leaf([1.0])
    with gb.no_grad():
        with gb.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad

        @gb.enable_grad
        def h(t):
            return t * 2

        assert h(x).requires_grad
    with pytest.raises(KeyError):
        with gb.no_grad():
            raise KeyError
    assert gb.is_grad_enabled()
    with gb.set_grad_enabled(False):
        assert not (x * 2).requires_grad


def test_detach_cuts_the_graph_and_shares_data():
    x = leaf([1.0, 2.0])
    d = (x * 2).detach()
    assert not d.requires_grad and d.is_leaf
    y = (x * d).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2, 4])  # d acted as a constant
    e = x.detach()
    e.data[0] = 10.0
    assert x.data[0] == 10.0


def test_backward_non_scalar_needs_grad():
    x = leaf([1.0, 2.0])
    y = x * 2
    with pytest.raises(RuntimeError, match=r"shape \(2,\)"):
        y.backward()
    with pytest.raises(ValueError, match="shape"):
        y.backward(np.ones(3))


def test_backward_with_explicit_grad():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    y = x * x
    g = np.array([[1.0, 0.5], [-1.0, 2.0]])
    y.backward(g)
    np.testing.assert_array_equal(x.grad.numpy(), 2 * x.numpy() * g)
    x2 = leaf([1.0, 2.0])
    (x2 * 3).backward(Tensor([1.0, -1.0]))
    np.testing.assert_array_equal(x2.grad.numpy(), [3, -3])


def test_backward_on_a_leaf_seeds_its_grad():
    x = leaf([1.0, 2.0])
    seed = np.array([0.5, 0.25])
    x.backward(seed)
    np.testing.assert_array_equal(x.grad.numpy(), seed)
    seed[0] = 99.0  # the stored grad is not the caller's array
    assert x.grad.data[0] == 0.5


def test_deep_chain_backprops_without_recursion_error():
    x = leaf([0.5], dtype=np.float32)
    y = x
    for _ in range(5000):
        y = y * 1.0001 + 0.0
    y.sum().backward()
    assert x.grad.item() == pytest.approx(1.0001**5000, rel=1e-3)


def test_deep_chain_dropped_without_backward():
    x = leaf([0.5], dtype=np.float32)
    y = x
    for _ in range(20000):
        y = y + 1.0
    del y  # must not overflow the C stack while freeing
    gc.collect()


def test_retain_graph_allows_second_backward():
    x = leaf([1.0, 2.0])
    y = (x.exp() * 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.exp(x.numpy()))


def test_second_backward_through_freed_graph_raises():
    x = leaf([1.0, 2.0])
    h = x.exp()
    h.sum().backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        (h * 2).sum().backward()
    y = (x * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_graph_freed_after_backward():
    x = leaf(np.ones((50, 50)))
    h = x.exp()
    fn_ref = weakref.ref(h.grad_fn)
    arr_ref = weakref.ref(h.data)  # Exp saves its output for the backward pass
    out = (h * h).sum()
    del h
    assert fn_ref() is not None and arr_ref() is not None
    out.backward()
    assert fn_ref() is None  # freed during backward, while `out` is still alive
    del out
    gc.collect()
    assert arr_ref() is None


def test_intermediates_die_when_output_dropped_without_backward():
    x = leaf(np.ones((50, 50)))
    h = x.exp()
    fn_ref, arr_ref = weakref.ref(h.grad_fn), weakref.ref(h.data)
    out = (h * h).sum()
    del h
    assert arr_ref() is not None
    del out  # no reference cycles: plain reference counting frees the graph
    assert fn_ref() is None and arr_ref() is None


def test_stored_grads_are_writeable_and_not_shared():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward()  # Add hands the same array to both inputs
    assert a.grad.data is not b.grad.data
    a.grad.data += 1  # optimizers update gradients in place
    np.testing.assert_array_equal(b.grad.numpy(), [1, 1])
    x = leaf(np.zeros((2, 3)))
    x.sum().backward()  # Sum's backward is a broadcast view
    x.grad.data *= 2
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 2.0))
    y = leaf(np.zeros(6))
    z = y.reshape(2, 3)
    z.retain_grad()
    (z + y.reshape(2, 3)).sum().backward()
    y.grad.data[0] = 5.0
    assert z.grad.data[0, 0] == 1.0


def test_integer_inputs_cannot_require_grad_and_get_no_grad():
    with pytest.raises(TypeError, match="floating"):
        Tensor(np.array([1, 2]), requires_grad=True)
    x = leaf([1.0, 2.0])
    idx = Tensor(np.array([1, 0]))
    (x * idx).sum().backward()
    assert idx.grad is None
    np.testing.assert_array_equal(x.grad.numpy(), [1, 0])


def test_custom_function_and_needs_input_grad():
    seen = {}

    class Scale(gb.Function):
        def forward(self, a, b):
            self.a, self.b = a, b
            return a * b

        def backward(self, grad):
            seen["needs"] = self.needs_input_grad
            return grad * self.b, grad * self.a

    a, b = leaf([2.0]), Tensor([3.0], dtype=np.float64)
    Scale.apply(a, b).sum().backward()
    assert seen["needs"] == (True, False)
    assert a.grad.item() == 3.0 and b.grad is None

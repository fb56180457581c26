"""In-place changes and the version counter; the NumPy-2 array protocol and DLPack.

A tensor saved for backward and changed in place afterwards must raise PyTorch's error,
never give a silently wrong gradient; in-place updates under ``no_grad`` must change the
very tensor (so a model's parameters move); ``np.array``/``np.copy`` must copy.
"""
from __future__ import annotations

import numpy as np
import pytest

import glassbox as gb
from glassbox import nn

VERSION_MSG = r"modified by an inplace operation.*is at version 1; expected version 0 instead"


def leaf(values, dtype=np.float64):
    return gb.tensor(values, dtype=dtype, requires_grad=True)


# ------------------------------------------------------------------ version counter
def test_every_in_place_change_bumps_the_version():
    t = gb.zeros(3)
    assert t._version == 0
    t.add_(1)
    t.sub_(1.0, alpha=2)
    t.mul_(3)
    t.div_(2)
    t.clamp_(-1, 1)
    t.fill_(2)
    t.zero_()
    t.copy_(gb.ones(3))
    t[0] = 5
    t += 1
    t -= 1
    t *= 2
    t /= 2
    assert t._version == 13
    np.testing.assert_array_equal(t.numpy(), [5, 1, 1])


def test_views_and_detach_share_the_counter():
    t = gb.zeros(2, 3)
    v, d, tr, row = t.view(-1), t.detach(), t.T, t[0]
    v.add_(1)
    d.mul_(2)
    row[1] = 7
    assert t._version == v._version == d._version == tr._version == 3
    np.testing.assert_array_equal(t.numpy(), [[2, 7, 2], [2, 2, 2]])


def test_advanced_index_copy_does_not_share_the_counter():
    t = gb.zeros(4)
    picked = t[np.array([0, 2])]
    picked.add_(1)
    assert t._version == 0 and t.numpy().sum() == 0


def test_saved_input_changed_in_place_raises_pytorch_error():
    # y = a·b saves b for ∂y/∂a; changing b afterwards would give a wrong ∂y/∂a
    a, b = leaf([2.0]), gb.tensor([2.0], dtype=np.float64)
    y = a * b
    b.add_(8)
    with pytest.raises(gb.GlassboxRuntimeError, match=VERSION_MSG):
        y.sum().backward()
    assert a.grad is None


def test_parameter_changed_in_no_grad_between_forward_and_backward_raises():
    # the case: without the check the gradient is 20 instead of 4
    w = leaf([2.0])
    loss = (w * w).sum()
    with gb.no_grad():
        w.add_(8)
    with pytest.raises(RuntimeError, match=VERSION_MSG):
        loss.backward()


def test_optimizer_style_bump_is_detected():
    lin = nn.Linear(3, 2)
    loss = lin(gb.ones(4, 3)).sum()
    lin.weight.data -= 0.1  # what an optimizer does in place, then it bumps the version:
    lin.weight._bump_version()
    with pytest.raises(gb.GlassboxRuntimeError, match="input 1 of Linear"):
        loss.backward()


def test_saved_output_changed_in_place_raises():
    x = leaf([0.5, -1.0])
    y = x.exp()  # Exp saves its output
    z = y.sum()
    with gb.no_grad():
        y.mul_(2)
    with pytest.raises(gb.GlassboxRuntimeError, match=r"output 0 of Exp.*version 1; expected version 0"):
        z.backward()


def test_change_of_an_unsaved_input_is_allowed_as_in_pytorch():
    x, c = leaf([1.0, 2.0]), gb.tensor([3.0, 4.0], dtype=np.float64)
    y = (x + c).sum()  # Add saves nothing
    c.add_(1)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 1])


def test_unchanged_graph_still_backpropagates_after_unrelated_in_place_ops():
    x = leaf([1.0, 2.0])
    other = gb.zeros(2)
    y = (x * x).sum()
    other.add_(1)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2, 4])


# ---------------------------------------------------------------- in place and autograd
def test_in_place_on_a_leaf_that_requires_grad_raises_outside_no_grad():
    w = leaf([1.0, 2.0])
    for change in (lambda: w.add_(1), lambda: w.mul_(2), lambda: w.zero_(),
                   lambda: w.__setitem__(0, 3.0), lambda: w.__iadd__(1)):
        with pytest.raises(gb.GlassboxRuntimeError,
                           match="a leaf Variable that requires grad is being used in an in-place operation"):
            change()
    np.testing.assert_array_equal(w.numpy(), [1, 2])
    assert w.is_leaf and w._version == 0


def test_sgd_by_hand_under_no_grad_updates_the_parameter_in_place():
    model = nn.Linear(2, 1)
    w = model.weight
    before = w.numpy().copy()
    model(gb.ones(3, 2)).sum().backward()
    with gb.no_grad():
        for p in model.parameters():
            p -= 0.5 * p.grad
    assert model.weight is w and w.is_leaf and w.requires_grad
    np.testing.assert_allclose(w.numpy(), before - 0.5 * 3.0, rtol=1e-6)
    assert w._version == 1


def test_in_place_on_a_non_leaf_is_recorded_like_pytorch():
    x = leaf([1.0, 2.0, 3.0])
    h = x * 2           # Mul saves x (a leaf, unchanged) and the constant 2
    h.mul_(x)           # h = 2x·x: d/dx = 4x
    h += 1
    assert h.grad_fn.name == "Add" and h._version == 2
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.array([1.0, 2.0, 3.0]))


def test_in_place_after_an_earlier_use_keeps_the_earlier_graph():
    x = leaf([1.0, 2.0])
    h = x * 3
    s = (h + 1).sum()   # uses h before the change; Add saves nothing
    h.mul_(10)
    t = h.sum()
    (s + t).backward()
    np.testing.assert_allclose(x.grad.numpy(), [3 + 30, 3 + 30])


def test_in_place_after_a_use_that_saved_it_raises():
    x = leaf([1.0, 2.0])
    h = x * 3
    s = (h * h).sum()   # Mul saves h
    h.add_(1)
    with pytest.raises(gb.GlassboxRuntimeError, match="input 0 of Mul"):
        s.backward()


def test_relu_output_changed_in_place_raises_as_in_pytorch():
    x = leaf([1.0, -2.0])
    y = x.relu()        # ReLU saves its output
    y += 1
    with pytest.raises(gb.GlassboxRuntimeError, match="output 0 of ReLU"):
        y.sum().backward()


def test_in_place_add_of_a_tensor_that_requires_grad_into_a_constant():
    w = leaf([1.0, 2.0])
    acc = gb.zeros(2, dtype=np.float64)
    acc += w * w
    acc.add_(w)
    assert not acc.is_leaf
    acc.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * np.array([1.0, 2.0]) + 1)


def test_item_assignment_is_differentiable():
    x, v = leaf([1.0, 2.0, 3.0]), leaf(10.0)
    y = x * 1
    y[1] = v * 2        # y = [x0, 2v, x2]
    (y * gb.tensor([1.0, 2.0, 3.0], dtype=np.float64)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1, 0, 3])
    np.testing.assert_allclose(v.grad.numpy(), 4)


def test_read_then_write_back_on_the_base_tensor():
    x = leaf([1.0, 2.0, 3.0])
    h = x * 1
    h[0] = h[0] * 5     # PyTorch's way to scale one element
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5, 1, 1])


def test_in_place_on_a_view_that_needs_grad_is_a_clear_error():
    h = leaf([1.0, 2.0]) * 1
    with pytest.raises(gb.GlassboxRuntimeError, match="view"):
        h.view(2).mul_(2)
    with pytest.raises(gb.GlassboxRuntimeError, match="view"):
        h[0] += 1


def test_view_taken_before_an_in_place_op_follows_its_base():
    x = leaf([1.0, 2.0])
    h = x * 1
    v = h.view(2, 1)    # a view taken before h changes
    early = v.sum()     # used before: d/dx = 1
    h.mul_(x)           # h = x², and v with it
    (early + v.sum() * 10).backward()
    np.testing.assert_allclose(v.numpy().ravel(), [1.0, 4.0])
    np.testing.assert_allclose(x.grad.numpy(), 1 + 10 * 2 * np.array([1.0, 2.0]))


def test_view_made_under_no_grad_cannot_follow_an_in_place_op_with_grad():
    h = leaf([1.0, 2.0]) * 1
    with gb.no_grad():
        v = h.view(2)
    with pytest.raises(gb.GlassboxRuntimeError, match="no_grad"):
        h.mul_(2)
    assert v._version == 0


def test_copy_fill_and_clamp_in_place_gradients():
    x = leaf([-2.0, 0.5, 2.0])
    h = x * 1
    h.clamp_(-1, 1)
    h.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 1, 0])
    src = leaf([1.0, 2.0, 3.0])
    dst = gb.zeros(3, dtype=np.float64)
    dst.copy_(src * 3)
    dst.sum().backward()
    np.testing.assert_array_equal(src.grad.numpy(), [3, 3, 3])


def test_in_place_errors_name_the_op():
    ints = gb.tensor([1, 2])
    with pytest.raises(gb.GlassboxTypeError, match="add_: .*int64"):
        ints.add_(0.5)
    with pytest.raises(gb.ShapeError, match="add_: .*shape \\(3,\\)"):
        gb.zeros(3).add_(gb.zeros(2, 3))
    with pytest.raises(gb.GlassboxRuntimeError, match="read-only"):
        gb.zeros(1).expand(3).add_(1)
    with pytest.raises(gb.AxisError):
        gb.zeros(3)[5] = 1


def test_int_tensor_in_place_with_ints_and_float_into_float():
    t = gb.tensor([1, 2])
    t += 3
    t *= 2
    assert t.dtype == np.int64 and t.tolist() == [8, 10]
    f = gb.zeros(2)
    f += np.array([1, 2])
    assert f.dtype == np.float32 and f.tolist() == [1.0, 2.0]


# ------------------------------------------------------------------ array protocol
def test_asarray_shares_and_array_copies():
    t = gb.tensor([1.0, 2.0])
    shared = np.asarray(t)
    shared[0] = 9
    assert t.numpy()[0] == 9
    for copied in (np.array(t), np.copy(t), np.array(t, dtype=np.float64)):
        copied[1] = -5
        assert t.numpy()[1] == 2
    assert np.array(t, dtype=np.float64).dtype == np.float64


def test_copy_false_with_a_cast_raises():
    t = gb.tensor([1.0, 2.0])
    assert np.asarray(t, copy=False) is t.data or np.shares_memory(np.asarray(t, copy=False), t.data)
    with pytest.raises(ValueError):
        np.array(t, dtype=np.float64, copy=False)


def test_weight_copy_does_not_alias_the_model():
    lin = nn.Linear(2, 2)
    w = np.array(lin.weight)
    w[:] = 0
    assert np.abs(lin.weight.numpy()).sum() > 0


def test_dlpack_shares_memory_both_ways():
    t = gb.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert t.__dlpack_device__() == (1, 0)  # kDLCPU
    a = np.from_dlpack(t)
    assert np.shares_memory(a, t.data)
    a[0, 0] = 7
    assert t.numpy()[0, 0] == 7
    src = np.arange(6.0).reshape(2, 3)
    back = gb.from_dlpack(src)
    assert back.dtype == np.float64 and np.shares_memory(back.data, src)
    assert gb.from_dlpack(t) is t


def test_from_numpy_shares_memory_and_keeps_dtype():
    src = np.arange(3.0)
    t = gb.from_numpy(src)
    src[0] = 5
    assert t.dtype == np.float64 and t.tolist() == [5.0, 1.0, 2.0]
    with pytest.raises(gb.GlassboxTypeError, match="from_numpy"):
        gb.from_numpy([1, 2])

"""Module: registration, traversal, modes, freezing, state dicts, buffers, hooks, repr."""
import numpy as np
import pytest

import glassbox as gb
from glassbox import nn
from helpers import t64


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
        self.scale = nn.Parameter(np.ones(2, dtype=np.float32))
        self.register_buffer("count", np.zeros(1, dtype=np.float32))

    def forward(self, x):
        return self.body(x) * self.scale


def test_named_parameters_use_dotted_names_in_registration_order():
    names = [n for n, _ in Net().named_parameters()]
    assert names == ["scale", "body.0.weight", "body.0.bias", "body.2.weight", "body.2.bias"]
    assert [n for n, _ in nn.Sequential(nn.Linear(2, 3)).named_parameters()] == ["0.weight", "0.bias"]
    net = Net()
    assert len(list(net.parameters())) == 5
    assert net.num_parameters() == 3 * 4 + 4 + 4 * 2 + 2 + 2


def test_shared_parameter_is_listed_once():
    a, b = nn.Linear(3, 3), nn.Linear(3, 3)
    b.weight = a.weight
    model = nn.Sequential(a, b)
    params = list(model.parameters())
    assert len(params) == 3  # weight once, two biases
    assert sum(p is a.weight for p in params) == 1
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "1.bias"]


def test_children_and_named_modules():
    net = Net()
    assert list(net.children()) == [net.body]
    names = [n for n, _ in net.named_modules()]
    assert names == ["", "body", "body.0", "body.1", "body.2"]
    assert [type(m).__name__ for m in net.modules()] == ["Net", "Sequential", "Linear", "ReLU", "Linear"]


def test_train_eval_reach_every_submodule():
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net.body.train(False)
    assert net.training and not net.body[0].training


def test_zero_grad_clears_every_gradient():
    net = Net()
    net(gb.Tensor(np.ones((2, 3), dtype=np.float32))).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_requires_grad_false_freezes_parameters():
    net = Net()
    assert net.body.requires_grad_(False) is net.body
    assert net.num_parameters(trainable_only=True) == 2  # only `scale` remains trainable
    net(gb.Tensor(np.ones((2, 3), dtype=np.float32))).sum().backward()
    assert net.scale.grad is not None
    assert all(p.grad is None for p in net.body.parameters())
    net.requires_grad_(True)
    assert all(p.requires_grad for p in net.parameters())


def test_state_dict_holds_copies_of_parameters_and_buffers():
    net = Net()
    state = net.state_dict()
    assert list(state) == ["scale", "count", "body.0.weight", "body.0.bias",
                           "body.2.weight", "body.2.bias"]
    before = net.body[0].weight.numpy().copy()
    state["body.0.weight"][...] = 123.0
    state["count"][...] = 7.0
    np.testing.assert_array_equal(net.body[0].weight.numpy(), before)
    assert net.count[0] == 0.0


def test_load_state_dict_round_trip_restores_outputs_exactly():
    gb.manual_seed(0)
    src, dst = Net(), Net()
    x = gb.Tensor(np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32))
    src.count[...] = 3.0
    assert not np.array_equal(src(x).numpy(), dst(x).numpy())
    weight_obj = dst.body[0].weight
    dst.load_state_dict(src.state_dict())
    np.testing.assert_array_equal(src(x).numpy(), dst(x).numpy())
    assert dst.body[0].weight is weight_obj  # copied in place: optimizers keep their references
    assert dst.count[0] == 3.0


def test_load_state_dict_names_missing_and_unexpected_keys():
    net = Net()
    state = net.state_dict()
    del state["body.2.bias"]
    state["body.9.weight"] = np.zeros(3)
    with pytest.raises(KeyError) as info:
        net.load_state_dict(state)
    assert "body.2.bias" in str(info.value) and "body.9.weight" in str(info.value)


def test_load_state_dict_strict_false_allows_missing_keys():
    net = Net()
    state = {"scale": np.full(2, 5.0, dtype=np.float32)}
    old = net.body[0].weight.numpy().copy()
    net.load_state_dict(state, strict=False)
    np.testing.assert_array_equal(net.scale.numpy(), [5.0, 5.0])
    np.testing.assert_array_equal(net.body[0].weight.numpy(), old)


def test_load_state_dict_names_mismatched_shapes():
    net = Net()
    state = net.state_dict()
    state["body.0.weight"] = np.zeros((5, 3), dtype=np.float32)
    with pytest.raises(ValueError) as info:
        net.load_state_dict(state)
    msg = str(info.value)
    assert "body.0.weight" in msg and "(5, 3)" in msg and "(4, 3)" in msg


def test_register_buffer_survives_reassignment_and_is_saved():
    net = Net()
    assert [n for n, _ in net.named_buffers()] == ["count"]
    net.count = np.array([4.0], dtype=np.float32)
    assert "count" in net._buffers and not any(n == "count" for n, _ in net.named_parameters())
    assert net.state_dict()["count"][0] == 4.0
    net.count = gb.Tensor(np.array([6.0], dtype=np.float32))  # a tensor is stored as its array
    assert isinstance(net.count, np.ndarray) and net.state_dict()["count"][0] == 6.0
    other = Net()
    other.load_state_dict(net.state_dict())
    assert other.count[0] == 6.0


def test_buffer_reassigned_to_a_python_number_still_loads():
    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("steps", np.zeros(()))

    net = Counter()
    net.steps = 5  # stored as an array, so load_state_dict can copy into it
    assert net.state_dict()["steps"] == 5
    net.load_state_dict(Counter().state_dict())
    assert float(net.steps) == 0.0


def test_forward_hook_sees_module_input_output_and_can_replace_output():
    layer = nn.Linear(3, 2)
    x = gb.Tensor(np.ones((1, 3), dtype=np.float32))
    calls = []

    def spy(module, inputs, output):
        calls.append((module, inputs, output))

    handle = layer.register_forward_hook(spy)
    out = layer(x)
    assert len(calls) == 1
    module, inputs, output = calls[0]
    assert module is layer and inputs[0] is x and output is out
    replace = layer.register_forward_hook(lambda m, i, o: o * 0.0)
    np.testing.assert_array_equal(layer(x).numpy(), np.zeros((1, 2)))
    assert len(calls) == 2
    handle.remove()
    replace.remove()
    layer(x)
    assert len(calls) == 2
    np.testing.assert_array_equal(layer(x).numpy(), out.numpy())


def test_repr_shows_nested_layers_and_their_settings():
    text = repr(Net())
    assert text.startswith("Net(")
    assert "(body): Sequential(" in text
    assert "(0): Linear(in_features=3, out_features=4, bias=True)" in text
    assert "(1): ReLU()" in text
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"


def test_assigning_before_super_init_is_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.zeros(2))
            super().__init__()

    with pytest.raises(AttributeError, match=r"Broken: call super\(\).__init__\(\)"):
        Broken()


def test_forward_not_defined_names_the_class():
    class Empty(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match="Empty"):
        Empty()(t64(np.zeros(1), requires_grad=False))

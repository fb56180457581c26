"""Sequential, ModuleList, Flatten, Identity: order, indexing, located errors, gradients."""
from collections import OrderedDict

import numpy as np
import pytest

import glassbox as gb
from glassbox import nn
from helpers import t64



class AddOne(nn.Module):
    def forward(self, x):
        return x + 1.0


class Double(nn.Module):
    def forward(self, x):
        return x * 2.0


def test_sequential_applies_layers_in_order():
    x = t64(np.array([[1.0, -2.0]]), grad=False)
    np.testing.assert_array_equal(nn.Sequential(AddOne(), Double())(x).numpy(), [[4.0, -2.0]])
    np.testing.assert_array_equal(nn.Sequential(Double(), AddOne())(x).numpy(), [[3.0, -3.0]])
    assert nn.Sequential()(x) is x


def test_sequential_indexing_slicing_len_iter_append():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b)
    assert len(seq) == 2 and seq[0] is a and seq[-1] is b
    assert seq.append(c) is seq
    assert len(seq) == 3 and seq[2] is c and list(seq) == [a, b, c]
    assert [n for n, _ in seq.named_children()] == ["0", "1", "2"]
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and list(head) == [a, b]
    assert head[0].weight is a.weight  # a slice shares the layers
    x = gb.Tensor(np.ones((4, 2), dtype=np.float32))
    np.testing.assert_array_equal(seq[1:](head(x)).numpy(), seq(x).numpy())


def test_sequential_from_ordered_dict_uses_its_names():
    seq = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert [n for n, _ in seq.named_parameters()] == ["fc.weight", "fc.bias"]
    assert isinstance(seq[1], nn.Tanh)


def test_sequential_rejects_non_modules():
    with pytest.raises(TypeError, match="item 1 is a function"):
        nn.Sequential(nn.ReLU(), lambda x: x)


def test_error_in_a_layer_is_located_and_keeps_the_message():
    seq = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(5, 2))
    x = gb.Tensor(np.ones((2, 4), dtype=np.float32))
    with pytest.raises(ValueError) as info:
        seq(x)
    msg = str(info.value)
    assert msg.startswith("in layer '2' (Linear) of Sequential: ")
    try:
        seq[2](gb.Tensor(np.ones((2, 3), dtype=np.float32)))
    except ValueError as exc:
        original = str(exc)
    assert msg.endswith(original)
    assert "(batch, 5)" in msg and "(2, 3)" in msg
    assert isinstance(info.value.__cause__, ValueError)


def test_nested_sequential_error_is_located_once():
    inner = nn.Sequential(nn.Linear(3, 3), nn.Linear(4, 1))
    outer = nn.Sequential(nn.ReLU(), inner)
    with pytest.raises(ValueError) as info:
        outer(gb.Tensor(np.ones((1, 3), dtype=np.float32)))
    msg = str(info.value)
    assert msg.startswith("in layer '1' (Linear) of Sequential: ")
    assert msg.count("of Sequential") == 1


def test_module_list_registers_parameters():
    layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])
    assert len(layers) == 2
    layers.append(nn.Linear(2, 1))
    assert len(layers) == 3 and layers[-1].out_features == 1
    assert [n for n, _ in layers.named_parameters()][:2] == ["0.weight", "0.bias"]
    assert len(list(layers.parameters())) == 6
    assert [m.out_features for m in layers] == [2, 2, 1]

    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([nn.Linear(2, 2)])

    assert [n for n, _ in Holder().named_parameters()] == ["blocks.0.weight", "blocks.0.bias"]


@pytest.mark.parametrize("start_dim, expected", [(1, (2, 60)), (2, (2, 3, 20)), (0, (120,)),
                                                 (3, (2, 3, 4, 5))])
def test_flatten_start_dim(start_dim, expected):
    x = np.arange(120.0).reshape(2, 3, 4, 5)
    y = nn.Flatten(start_dim)(t64(x, grad=False))
    assert y.shape == expected
    np.testing.assert_array_equal(y.numpy(), x.reshape(expected))


def test_flatten_gradient_reshapes_back():
    assert gb.gradcheck(nn.Flatten(), t64(np.random.default_rng(0).standard_normal((2, 3, 2))))


def test_identity_in_a_sequential_passes_through():
    x = t64(np.ones((1, 2)), grad=False)
    assert nn.Sequential(nn.Identity(), nn.Identity())(x) is x


def test_gradcheck_small_mlp_wrt_input_and_parameters():
    gb.manual_seed(3)
    model = nn.Sequential(nn.Linear(3, 4, dtype=np.float64), nn.Tanh(),
                          nn.Linear(4, 2, dtype=np.float64))
    model[0].bias.data[...] = np.random.default_rng(1).standard_normal(4)
    params = list(model.parameters())
    assert len(params) == 4 and all(p.dtype == np.float64 for p in params)
    x = t64(np.random.default_rng(2).standard_normal((5, 3)))
    assert gb.gradcheck(lambda inp, *_: model(inp), x, *params, eps=1e-6, atol=1e-5, rtol=1e-3)

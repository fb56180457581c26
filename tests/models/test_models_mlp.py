"""mlp / shallow_mlp: layer layout, initialisation by activation, shapes, errors."""
import numpy as np
import pytest

import glassbox as gb
from glassbox import nn
from glassbox.models import mlp, shallow_mlp


def _linears(model):
    return [m for m in model if isinstance(m, nn.Linear)]


def test_default_mlp_is_784_256_128_10_relu():
    model = mlp()
    dims = [(l.in_features, l.out_features) for l in _linears(model)]
    assert dims == [(784, 256), (256, 128), (128, 10)]
    assert isinstance(model[0], nn.Flatten)
    assert sum(isinstance(m, nn.ReLU) for m in model) == 2
    # 784·256+256 + 256·128+128 + 128·10+10
    assert model.num_parameters() == 235_146


def test_forward_shape_on_images():
    gb.manual_seed(0)
    out = mlp()(gb.randn(4, 1, 28, 28))
    assert out.shape == (4, 10)


@pytest.mark.parametrize("activation, layer", [
    ("relu", nn.ReLU), ("tanh", nn.Tanh), ("sigmoid", nn.Sigmoid), ("leaky_relu", nn.LeakyReLU),
])
def test_activation_choice(activation, layer):
    model = mlp(20, (16, 8), 3, activation=activation)
    acts = [m for m in model if isinstance(m, (nn.ReLU, nn.Tanh, nn.Sigmoid, nn.LeakyReLU))]
    assert len(acts) == 2 and all(type(a) is layer for a in acts)


def test_init_variance_follows_activation():
    # He: Var(w) = 2/fan_in; Xavier: Var(w) = 2/(fan_in + fan_out) (times gain² for tanh).
    gb.manual_seed(1)
    w_relu = _linears(mlp(1000, (500,), 10, activation="relu"))[0].weight.numpy()
    w_sig = _linears(mlp(1000, (500,), 10, activation="sigmoid"))[0].weight.numpy()
    assert w_relu.var() == pytest.approx(2 / 1000, rel=0.05)
    assert w_sig.var() == pytest.approx(2 / 1500, rel=0.05)
    for layer in _linears(mlp(1000, (500,), 10)):
        assert np.all(layer.bias.numpy() == 0)


def test_dropout_layers_inserted():
    model = mlp(10, (8, 8), 2, dropout=0.5)
    assert sum(type(m).__name__ == "Dropout" for m in model) == 2


def test_shallow_mlp_has_one_hidden_layer():
    model = shallow_mlp(784, 64, 10)
    assert [(l.in_features, l.out_features) for l in _linears(model)] == [(784, 64), (64, 10)]


def test_empty_hidden_is_softmax_regression():
    model = mlp(5, (), 3)
    assert [(l.in_features, l.out_features) for l in _linears(model)] == [(5, 3)]


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="activation 'swish'"):
        mlp(activation="swish")
    with pytest.raises(ValueError, match="dropout"):
        mlp(dropout=1.0)

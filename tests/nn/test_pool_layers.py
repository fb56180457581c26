"""Pooling layers: shapes, defaults, errors naming the layer, no parameters."""
import numpy as np
import pytest

import glassbox as gb
from glassbox import nn


def test_lenet_style_shapes_and_defaults():
    x = gb.Tensor(np.random.default_rng(0).standard_normal((2, 6, 28, 28)))
    assert nn.AvgPool2d(2)(x).shape == (2, 6, 14, 14)
    assert nn.MaxPool2d(2)(x).shape == (2, 6, 14, 14)          # stride defaults to kernel
    assert nn.MaxPool2d(3, stride=2)(x).shape == (2, 6, 13, 13)  # ⌊(28 − 3)/2⌋ + 1
    assert nn.MaxPool2d(3, 1, 1)(x).shape == (2, 6, 28, 28)
    assert nn.AdaptiveAvgPool2d(1)(x).shape == (2, 6, 1, 1)
    assert nn.AdaptiveAvgPool2d((7, 4))(x).shape == (2, 6, 7, 4)
    np.testing.assert_allclose(nn.GlobalAvgPool2d()(x).numpy()[..., 0, 0], x.numpy().mean(axis=(2, 3)),
                               rtol=1e-5, atol=1e-6)
    assert nn.MaxPool2d(2).num_parameters() == 0


def test_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"MaxPool2d\(kernel_size=2.*4-D"):
        nn.MaxPool2d(2)(gb.Tensor(np.zeros((4, 4))))
    with pytest.raises(ValueError, match=r"AdaptiveAvgPool2d\(output_size=3\).*4-D"):
        nn.AdaptiveAvgPool2d(3)(gb.Tensor(np.zeros((4, 4))))


def test_pooling_keeps_float32():
    x = gb.Tensor(np.ones((1, 2, 4, 4)), requires_grad=True)
    for layer in (nn.MaxPool2d(2), nn.AvgPool2d(2), nn.AvgPool2d(3, 1, 1), nn.MaxPool2d(3, 2, 1)):
        out = layer(x)
        assert out.dtype == np.float32
        out.sum().backward()
        assert x.grad.dtype == np.float32

"""nn.Conv2d: parameters, initialization, padding modes, clear errors."""
import math

import numpy as np
import pytest

import glassbox as gb
from glassbox import nn


def test_parameters_shapes_and_he_init():
    gb.manual_seed(0)
    conv = nn.Conv2d(16, 32, 3)
    assert conv.weight.shape == (32, 16, 3, 3) and conv.bias.shape == (32,)
    assert conv.weight.dtype == np.float32 and not conv.bias.data.any()
    bound = math.sqrt(6.0 / (16 * 9))  # kaiming uniform, fan_in = in·kh·kw
    assert np.abs(conv.weight.data).max() <= bound
    assert np.var(conv.weight.data) == pytest.approx(2.0 / (16 * 9), rel=0.1)
    assert conv.num_parameters() == 32 * 16 * 9 + 32
    assert nn.Conv2d(3, 4, (2, 5), bias=False).bias is None


@pytest.mark.parametrize("padding, stride, hw, expected", [
    ("valid", 1, (32, 32), (28, 28)),
    (0, 1, (32, 32), (28, 28)),
    ("same", 1, (32, 32), (32, 32)),
    ("same", 2, (15, 16), (8, 8)),
    (2, 1, (32, 32), (32, 32)),
    ((1, 2), (2, 1), (9, 9), (4, 9)),
])
def test_output_shapes(padding, stride, hw, expected):
    conv = nn.Conv2d(2, 3, 5, stride=stride, padding=padding)
    out = conv(gb.Tensor(np.zeros((1, 2) + hw)))
    assert out.shape == (1, 3) + expected
    assert conv.output_shape(hw) == expected


def test_wrong_channel_count_names_the_layer_and_shapes():
    conv = nn.Conv2d(3, 8, 3)
    with pytest.raises(ValueError, match=r"Conv2d\(3, 8.*3 channels.*\(2, 4, 8, 8\)"):
        conv(gb.Tensor(np.zeros((2, 4, 8, 8))))


def test_input_must_be_4d():
    with pytest.raises(ValueError, match=r"Conv2d.*4-D.*\(N, 3, H, W\).*\(3, 8, 8\)"):
        nn.Conv2d(3, 8, 3)(gb.Tensor(np.zeros((3, 8, 8))))


def test_kernel_larger_than_padded_input():
    with pytest.raises(ValueError, match=r"kernel 5×5 is larger than the padded input 4×4"):
        nn.Conv2d(1, 1, 5)(gb.Tensor(np.zeros((1, 1, 4, 4))))
    assert nn.Conv2d(1, 1, 5, padding=1)(gb.Tensor(np.zeros((1, 1, 4, 4)))).shape == (1, 1, 2, 2)


@pytest.mark.parametrize("kwargs", [dict(kernel_size=0), dict(kernel_size=3, stride=0),
                                    dict(kernel_size=3, padding="full"),
                                    dict(kernel_size=3, padding=-1)])
def test_bad_hyperparameters(kwargs):
    with pytest.raises(ValueError, match="Conv2d"):
        nn.Conv2d(1, 1, **kwargs)


def test_float64_layer_gradcheck():
    gb.manual_seed(1)
    conv = nn.Conv2d(2, 3, 3, stride=2, padding="same", dtype=np.float64)
    x = gb.Tensor(np.random.default_rng(0).standard_normal((2, 2, 5, 5)), requires_grad=True, dtype=np.float64)
    assert gb.gradcheck(lambda x, w, b: nn.functional.conv2d(x, w, b, stride=2, padding="same"),
                        x, conv.weight, conv.bias)
    assert gb.gradcheck(lambda x: conv(x), x)


def test_backward_fills_parameter_grads():
    conv = nn.Conv2d(3, 4, 3, padding=1)
    x = gb.Tensor(np.random.default_rng(0).standard_normal((2, 3, 6, 6)), requires_grad=True)
    conv(x).sum().backward()
    assert conv.weight.grad.shape == conv.weight.shape
    np.testing.assert_allclose(conv.bias.grad.numpy(), np.full(4, 2 * 36.0))
    assert x.grad.shape == x.shape


def test_repr():
    assert repr(nn.Conv2d(1, 6, 5)) == "Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=0)"


def test_functional_conv2d_rejects_a_wrong_bias_shape():
    from glassbox.nn import functional as F

    with pytest.raises(ValueError, match=r"conv2d: expected bias of shape \(2,\), got shape \(5,\)"):
        F.conv2d(gb.ones((1, 1, 4, 4)), gb.ones((2, 1, 3, 3)), gb.ones(5))

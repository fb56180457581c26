"""ResidualBlock and InceptionBlock: shapes, skip connection, concatenation, gradients."""
import numpy as np
import pytest

import glassbox as gb
from glassbox import nn
from glassbox.nn import functional as F
from helpers import t64



def param_check(block, x):
    """Gradcheck w.r.t. the input and every parameter of a float64 block."""
    params = list(block.parameters())
    assert params and all(p.dtype == np.float64 for p in params)
    # gradcheck perturbs each Parameter's array in place, which the block reads directly
    return gb.gradcheck(lambda inp, *ps: block(inp), x, *params)


@pytest.mark.parametrize("cin, cout, stride, hw, out_hw, projection", [
    (2, 2, 1, 4, 4, False), (2, 3, 1, 4, 4, True), (2, 2, 2, 5, 3, True),
])
def test_residual_block_shapes_and_gradcheck(cin, cout, stride, hw, out_hw, projection):
    gb.manual_seed(0)
    block = nn.ResidualBlock(cin, cout, stride, dtype=np.float64)
    assert (block.downsample is not None) == projection
    x = t64(np.random.default_rng(0).standard_normal((3, cin, hw, hw)))
    assert block(x).shape == (3, cout, out_hw, out_hw)
    assert param_check(block, x)


def test_residual_block_is_identity_plus_relu_when_convs_output_zero():
    block = nn.ResidualBlock(2, 2)
    block.bn2.weight.data[...] = 0  # z[l+2] = γ·x̂ + β = 0, so a[l+2] = g(a[l])
    x = gb.Tensor(np.random.default_rng(1).standard_normal((2, 2, 4, 4)))
    np.testing.assert_allclose(block(x).numpy(), np.maximum(x.numpy(), 0), atol=1e-6)


def test_residual_block_in_eval_mode():
    block = nn.ResidualBlock(2, 4, stride=2).eval()
    x = gb.Tensor(np.random.default_rng(2).standard_normal((2, 2, 6, 6)))
    np.testing.assert_array_equal(block(x).numpy(), block(x).numpy())
    assert nn.BasicBlock is nn.ResidualBlock


def test_inception_block_shapes_branches_and_gradcheck():
    gb.manual_seed(1)
    block = nn.InceptionBlock(3, 2, 2, 3, 1, 2, 2, dtype=np.float64)
    x = t64(np.random.default_rng(3).standard_normal((2, 3, 4, 4)))
    out = block(x)
    assert out.shape == (2, 2 + 3 + 2 + 2, 4, 4) and block.out_channels == 9
    # the first ch1x1 channels are branch 1 (1×1 conv + ReLU) on its own
    np.testing.assert_allclose(out.numpy()[:, :2], block.branch1(x).numpy())
    pooled = F.max_pool2d(x, 3, 1, 1)
    np.testing.assert_allclose(out.numpy()[:, 7:], block.branch4(pooled).numpy())
    assert param_check(block, x)


def test_inception_googlenet_3a_parameter_count():
    block = nn.InceptionBlock(192, 64, 96, 128, 16, 32, 32)
    expected = (192 * 64 + 64) + (192 * 96 + 96) + (96 * 128 * 9 + 128) + (192 * 16 + 16) \
        + (16 * 32 * 25 + 32) + (192 * 32 + 32)
    assert block.num_parameters() == expected
    assert block.out_channels == 256


def test_block_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"Conv2d\(3, 4.*3 channels.*\(1, 5, 4, 4\)"):
        nn.ResidualBlock(3, 4)(gb.Tensor(np.zeros((1, 5, 4, 4))))

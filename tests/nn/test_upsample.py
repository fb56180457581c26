"""Upsample (nearest): forward against np.repeat, backward as block sums, gradients, errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassbox as gb
from glassbox import nn
from glassbox.nn import functional as F
from helpers import t64



@pytest.mark.parametrize("shape, scale", [((2, 3, 4, 5), 2), ((1, 2, 3, 3), (3, 1)),
                                          ((2, 1, 1, 2), (1, 4)), ((1, 1, 2, 2), 1)])
def test_forward_repeats_pixels_and_backward_sums_blocks(shape, scale):
    kh, kw = scale if isinstance(scale, tuple) else (scale, scale)
    rng = np.random.default_rng(0)
    x = t64(rng.standard_normal(shape))
    y = F.upsample(x, scale_factor=scale)
    np.testing.assert_array_equal(y.numpy(), np.repeat(np.repeat(x.numpy(), kh, 2), kw, 3))
    g = rng.standard_normal(y.shape)
    y.backward(g)
    n, c, h, w = shape
    expected = np.zeros(shape)
    for u in range(kh):  # the k_h·k_w copies of each pixel each send their gradient back
        for v in range(kw):
            expected += g[:, :, u::kh, v::kw]
    np.testing.assert_allclose(x.grad.numpy(), expected, atol=1e-12)


def test_gradcheck_fixed():
    x = t64(np.random.default_rng(1).standard_normal((2, 3, 3, 4)))
    assert gb.gradcheck(lambda t: F.upsample(t, scale_factor=(2, 3)), x)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 2), c=st.integers(1, 3), h=st.integers(1, 4), w=st.integers(1, 4),
       kh=st.integers(1, 3), kw=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_gradcheck_random_shapes(n, c, h, w, kh, kw, seed):
    x = t64(np.random.default_rng(seed).standard_normal((n, c, h, w)))
    out = F.upsample(x, scale_factor=(kh, kw))
    assert out.shape == (n, c, h * kh, w * kw)
    assert gb.gradcheck(lambda t: F.upsample(t, scale_factor=(kh, kw)), x)


def test_layer_keeps_dtype_and_has_no_parameters():
    layer = nn.Upsample(scale_factor=2)
    x = gb.Tensor(np.arange(8, dtype=np.float32).reshape(1, 2, 2, 2))
    y = layer(x)
    assert y.shape == (1, 2, 4, 4) and y.dtype == np.float32
    assert layer.num_parameters() == 0
    np.testing.assert_array_equal(y.numpy()[0, 1, 2:, :2], np.full((2, 2), 6.0))
    assert repr(layer) == "Upsample(scale_factor=(2, 2), mode='nearest')"


def test_errors():
    with pytest.raises(ValueError, match="mode.*'nearest'.*bilinear"):
        nn.Upsample(2, mode="bilinear")
    with pytest.raises(ValueError, match="`scale_factor`, expected an integer >= 1.*scale_factor=0"):
        nn.Upsample(scale_factor=0)
    with pytest.raises(ValueError, match=r"Upsample\(scale_factor=\(2, 2\).*4-D.*\(3, 4\)"):
        nn.Upsample(scale_factor=2)(gb.Tensor(np.zeros((3, 4))))
    with pytest.raises(ValueError, match="scale_factor"):
        F.upsample(gb.Tensor(np.zeros((1, 1, 2, 2))), scale_factor=1.5)

"""Inverted dropout: drop rate, scaling, mean preservation, eval identity, gradient."""
import numpy as np
import pytest

import glassbox as gb
from glassbox import nn
from glassbox.nn import functional as F


def test_training_drops_about_p_and_scales_survivors():
    gb.manual_seed(0)
    p = 0.3
    x = gb.Tensor(np.ones((200, 500)))
    out = nn.Dropout(p)(x).numpy()
    dropped = (out == 0).mean()
    assert abs(dropped - p) < 0.01
    np.testing.assert_allclose(out[out != 0], 1 / (1 - p), rtol=1e-6)
    assert abs(out.mean() - 1.0) < 0.01  # expected activation preserved
    assert out.dtype == np.float32


def test_eval_is_identity():
    layer = nn.Dropout(0.5).eval()
    x = gb.Tensor(np.random.default_rng(0).standard_normal((4, 5)))
    assert layer(x) is x


def test_gradient_uses_the_same_mask():
    gb.manual_seed(1)
    x = gb.Tensor(np.random.default_rng(1).standard_normal((6, 7)), requires_grad=True, dtype=np.float64)
    out = F.dropout(x, 0.4, training=True)
    out.backward(np.ones(out.shape))
    mask = out.numpy() / x.numpy()
    np.testing.assert_allclose(x.grad.numpy(), mask, rtol=1e-12)

    def fixed_mask_dropout(a):
        gb.manual_seed(2)  # the same mask on every call, so finite differences apply
        return F.dropout(a, 0.4, training=True)

    assert gb.gradcheck(fixed_mask_dropout, x)


def test_same_seed_same_mask_and_edge_probabilities():
    x = gb.Tensor(np.ones((3, 4)))
    gb.manual_seed(5)
    a = F.dropout(x, 0.5).numpy()
    gb.manual_seed(5)
    np.testing.assert_array_equal(a, F.dropout(x, 0.5).numpy())
    assert not F.dropout(x, 1.0).numpy().any()
    np.testing.assert_array_equal(F.dropout(x, 0.0).numpy(), x.numpy())
    with pytest.raises(ValueError, match=r"Dropout.*\[0, 1\].*1.5"):
        nn.Dropout(1.5)


def test_dropout2d_zeroes_whole_channels():
    gb.manual_seed(3)
    out = nn.Dropout2d(0.5)(gb.Tensor(np.ones((8, 16, 3, 3)))).numpy()
    per_channel = out.reshape(8, 16, 9)
    assert np.all((per_channel == 0).all(axis=2) | (per_channel == 2.0).all(axis=2))
    assert 0.2 < (per_channel[..., 0] == 0).mean() < 0.8


def test_model_eval_makes_outputs_repeatable():
    gb.manual_seed(4)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.Flatten(), nn.Dropout(0.5), nn.Linear(4 * 5 * 5, 3))
    x = gb.Tensor(np.random.default_rng(0).standard_normal((6, 1, 5, 5)))
    model.train()
    assert not np.array_equal(model(x).numpy(), model(x).numpy())  # dropout masks differ
    model.eval()
    first = model(x).numpy()
    np.testing.assert_array_equal(first, model(x).numpy())
    np.testing.assert_allclose(first[:2], model(x[:2]).numpy(), rtol=1e-5, atol=1e-6)  # no batch dependence

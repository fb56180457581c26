"""Batch norm: normalization values, fused gradient, running statistics, eval mode."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassbox as gb
from glassbox import nn
from glassbox.nn import functional as F
from helpers import t64



@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (3, 2, 4, 5)])
def test_training_forward_normalizes_each_channel(shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape) * 3 + 2
    gamma, beta = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    out = F.batch_norm(t64(x, False), None, None, t64(gamma, False), t64(beta, False), training=True).numpy()
    axes = (0,) + tuple(range(2, len(shape)))
    bshape = (1, -1) + (1,) * (len(shape) - 2)
    mu, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    expected = (x - mu) / np.sqrt(var + 1e-5) * gamma.reshape(bshape) + beta.reshape(bshape)
    np.testing.assert_allclose(out, expected, atol=1e-12)


@pytest.mark.parametrize("shape", [(5, 3), (3, 2, 4), (2, 3, 3, 4)])
@pytest.mark.parametrize("training", [True, False])
def test_gradcheck_input_gamma_beta(shape, training):
    rng = np.random.default_rng(1)
    x, gamma, beta = t64(rng.standard_normal(shape)), t64(rng.standard_normal(shape[1])), t64(rng.standard_normal(shape[1]))
    rm, rv = rng.standard_normal(shape[1]), rng.uniform(0.5, 2.0, shape[1])
    fn = lambda a, g, b: F.batch_norm(a, rm, rv, g, b, training=training, momentum=0.0)
    assert gb.gradcheck(fn, x, gamma, beta)


def test_gradcheck_without_affine():
    x = t64(np.random.default_rng(2).standard_normal((4, 3, 2, 2)))
    assert gb.gradcheck(lambda a: F.batch_norm(a, None, None, training=True), x)


@settings(max_examples=10, deadline=None)
@given(n=st.integers(2, 4), c=st.integers(1, 3), h=st.integers(1, 3), w=st.integers(1, 3), seed=st.integers(0, 99))
def test_gradcheck_random_shapes(n, c, h, w, seed):
    rng = np.random.default_rng(seed)
    x = t64(rng.standard_normal((n, c, h, w)))
    g, b = t64(rng.uniform(0.5, 1.5, c)), t64(rng.standard_normal(c))
    assert gb.gradcheck(lambda a, gg, bb: F.batch_norm(a, None, None, gg, bb, training=True), x, g, b)


def test_running_stats_update_in_place_with_unbiased_variance():
    bn = nn.BatchNorm2d(3, momentum=0.1)
    mean_buf, var_buf = bn.running_mean, bn.running_var
    x = np.random.default_rng(3).standard_normal((4, 3, 2, 5)).astype(np.float32) * 2 + 1
    bn(gb.Tensor(x))
    m = 4 * 2 * 5
    batch_mean = x.mean(axis=(0, 2, 3))
    batch_var_unbiased = x.var(axis=(0, 2, 3)) * m / (m - 1)
    np.testing.assert_allclose(bn.running_mean, 0.9 * 0 + 0.1 * batch_mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.running_var, 0.9 * 1 + 0.1 * batch_var_unbiased, rtol=1e-5)
    assert bn.running_mean is mean_buf and bn.running_var is var_buf  # updated in place
    sd = bn.state_dict()
    assert set(sd) == {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"}
    np.testing.assert_array_equal(sd["running_mean"], bn.running_mean)


def test_eval_uses_running_stats_and_is_deterministic():
    bn = nn.BatchNorm1d(2)
    bn.running_mean[...] = [1.0, -2.0]
    bn.running_var[...] = [4.0, 0.25]
    bn.weight.data[...] = [2.0, 1.0]
    bn.bias.data[...] = [0.5, 0.0]
    bn.eval()
    x = gb.Tensor(np.array([[3.0, -2.0], [1.0, -1.5]]))
    out = bn(x).numpy()
    expected = (x.numpy() - [1.0, -2.0]) / np.sqrt(np.array([4.0, 0.25]) + 1e-5) * [2.0, 1.0] + [0.5, 0.0]
    np.testing.assert_allclose(out, expected, rtol=1e-5)
    np.testing.assert_array_equal(bn(x[:1]).numpy(), out[:1])  # independent of the batch
    np.testing.assert_array_equal(bn.running_mean, [1.0, -2.0])  # no update in eval


def test_float32_and_parameter_grads():
    bn = nn.BatchNorm2d(4)
    x = gb.Tensor(np.random.default_rng(4).standard_normal((3, 4, 5, 5)), requires_grad=True)
    out = bn(x)
    assert out.dtype == np.float32
    out.backward(np.ones(out.shape, dtype=np.float32))
    np.testing.assert_allclose(bn.bias.grad.numpy(), np.full(4, 75.0))
    # Σ x̂ = 0 per channel, so the gradient of sum(out) w.r.t. γ and x vanishes
    np.testing.assert_allclose(bn.weight.grad.numpy(), 0, atol=1e-4)
    np.testing.assert_allclose(x.grad.numpy(), 0, atol=1e-4)


def test_errors():
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3.*\(N, 3, H, W\).*\(2, 4, 5, 5\)"):
        nn.BatchNorm2d(3)(gb.Tensor(np.zeros((2, 4, 5, 5))))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3.*\(N, 3\).*\(2, 3, 4, 4\)"):
        nn.BatchNorm1d(3)(gb.Tensor(np.zeros((2, 3, 4, 4))))
    with pytest.raises(ValueError, match="more than one value per channel"):
        nn.BatchNorm1d(3)(gb.Tensor(np.zeros((1, 3))))
    assert nn.BatchNorm1d(3, affine=False).num_parameters() == 0

"""Ops after a fast-path convolution receive (N, C, H, W) views of channel-major (C, N, H, W)
memory. Batch norm and pooling then run on contiguous rows/planes and keep that layout;
their results and gradients must equal those on ordinary (N, C, H, W) arrays."""
import numpy as np
import pytest

import glassbox as gb
from glassbox.nn import functional as F
from glassbox.ops import normalization as norm_ops
from glassbox.ops import pooling as pool_ops
from helpers import t64


def channel_major(a):
    """The same values as a, stored (C, N, H, W)."""
    return np.ascontiguousarray(a.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)



def forward_backward(fn, a, g):
    x = t64(a)
    out = fn(x)
    out.backward(g)
    return out.numpy(), x.grad.numpy(), out.data


OPS = {
    "max 2×2": lambda x: pool_ops.MaxPool2d.apply(x, kernel=(2, 2), stride=(2, 2)),
    "max 3×3/2 pad 1": lambda x: pool_ops.MaxPool2d.apply(x, kernel=(3, 3), stride=(2, 2),
                                                          padding=((1, 1), (1, 1))),
    "max 2×2 ceil": lambda x: pool_ops.MaxPool2d.apply(x, kernel=(2, 2), stride=(2, 2), ceil_mode=True),
    "avg 2×2": lambda x: pool_ops.AvgPool2d.apply(x, kernel=(2, 2), stride=(2, 2)),
    "avg 3×3/1 pad 1": lambda x: pool_ops.AvgPool2d.apply(x, kernel=(3, 3), stride=(1, 1),
                                                          padding=((1, 1), (1, 1))),
    "batch norm (train)": lambda x: F.batch_norm(x, None, None, t64(np.linspace(0.5, 2, 3)),
                                                 t64(np.linspace(-1, 1, 3)), training=True),
    "batch norm (eval)": lambda x: F.batch_norm(x, np.array([0.1, -0.2, 0.3]), np.array([1.5, 0.5, 2.0]),
                                                t64(np.linspace(0.5, 2, 3)), None, training=False),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_channel_major_input_gives_same_values_and_gradients(name):
    rng = np.random.default_rng(0)
    a = rng.permutation(4 * 3 * 7 * 6).reshape(4, 3, 7, 6) * 0.01   # distinct: no max ties
    out_shape = OPS[name](t64(a, False)).shape
    g = rng.standard_normal(out_shape)
    plain = forward_backward(OPS[name], a, g)
    swapped = forward_backward(OPS[name], channel_major(a), channel_major(g))
    np.testing.assert_allclose(swapped[0], plain[0], atol=1e-12)
    np.testing.assert_allclose(swapped[1], plain[1], atol=1e-12)
    # the output stays channel-major, so the next layer reads contiguous rows again
    assert swapped[2].transpose(1, 0, 2, 3).flags.c_contiguous


@pytest.mark.parametrize("name", sorted(OPS))
def test_gradcheck_on_channel_major_input(name):
    a = np.random.default_rng(1).permutation(3 * 3 * 6 * 6).reshape(3, 3, 6, 6) * 0.01
    assert gb.gradcheck(OPS[name], t64(channel_major(a)))


def test_batch_stats_equal_numpy_in_both_layouts():
    a = np.random.default_rng(2).standard_normal((5, 3, 4, 4)).astype(np.float32) * 3 + 100
    for x in (a, channel_major(a)):
        mean, var = norm_ops.batch_stats(x)
        np.testing.assert_allclose(mean, a.mean(axis=(0, 2, 3)), rtol=1e-6)
        np.testing.assert_allclose(var, a.astype(np.float64).var(axis=(0, 2, 3)), rtol=1e-4)


@pytest.mark.parametrize("layout", [np.ascontiguousarray, channel_major])
def test_batch_norm_inference_folds_to_one_scale_and_shift(layout):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((4, 3, 5, 5))
    mean, var = np.array([0.1, -0.2, 0.3]), np.array([1.5, 0.5, 2.0])
    gamma, beta = np.array([0.5, 1.0, 2.0]), np.array([-1.0, 0.0, 1.0])
    with gb.no_grad():
        out = F.batch_norm(t64(layout(a), False), mean, var, t64(gamma, False), t64(beta, False),
                           training=False).numpy()
    shape = (1, 3, 1, 1)
    expected = (a - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + 1e-5) * gamma.reshape(shape) \
        + beta.reshape(shape)
    np.testing.assert_allclose(out, expected, atol=1e-12)


def test_2x2_max_index_is_the_first_maximum_in_row_major_order():
    rng = np.random.default_rng(4)
    cells = [rng.integers(0, 3, 500).astype(np.float32) for _ in range(4)]   # many ties
    best, index = pool_ops.first_max_2x2(*cells)
    stacked = np.stack(cells)
    np.testing.assert_array_equal(best, stacked.max(axis=0))
    np.testing.assert_array_equal(index, stacked.argmax(axis=0))   # argmax: first maximum

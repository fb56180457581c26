import numpy as np
import pytest

import glassbox as gb
from glassbox.data import Standardizer, normalize, one_hot, standardize


def test_one_hot_rows_are_identity_rows():
    y = np.array([2, 0, 3, 3])
    oh = one_hot(y, 4)
    assert oh.shape == (4, 4) and oh.dtype == np.float32
    np.testing.assert_array_equal(oh, np.eye(4, dtype=np.float32)[y])
    np.testing.assert_array_equal(oh.argmax(1), y)


def test_one_hot_nd_and_tensor():
    y = gb.tensor(np.array([[1, 0], [2, 1]]))
    oh = one_hot(y, 3)
    assert isinstance(oh, gb.Tensor) and oh.shape == (2, 2, 3)
    np.testing.assert_array_equal(oh.numpy().sum(-1), 1)


@pytest.mark.parametrize("labels,bad", [([0, 1, 10, 2], "label 10 at index 2"), ([0, -1], "label -1 at index 1")])
def test_one_hot_rejects_out_of_range(labels, bad):
    with pytest.raises(ValueError, match=rf"{bad} is outside \[0, 10\)"):
        one_hot(np.array(labels), 10)


def test_one_hot_rejects_float_labels_and_bad_num_classes():
    with pytest.raises(TypeError, match="integers"):
        one_hot(np.array([0.0, 1.0]), 2)
    with pytest.raises(ValueError, match="num_classes"):
        one_hot(np.array([0]), 0)


def test_normalize():
    x = np.array([[1.0, 2.0], [3.0, 6.0]], np.float32)
    out = normalize(x, mean=[1.0, 2.0], std=[2.0, 4.0])
    np.testing.assert_allclose(out, [[0, 0], [1, 1]])
    assert out.dtype == np.float32
    with pytest.raises(ValueError, match="std must be > 0"):
        normalize(x, 0.0, [1.0, 0.0])


def test_standardizer_uses_training_statistics_only():
    rng = np.random.default_rng(0)
    train = rng.normal([5.0, -3.0, 0.0], [2.0, 0.5, 1.0], size=(2000, 3)).astype(np.float32)
    test = rng.normal([100.0, 100.0, 100.0], 1.0, size=(50, 3)).astype(np.float32)
    s = Standardizer().fit(train)
    z = s.transform(train)
    np.testing.assert_allclose(z.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(z.std(0), 1, atol=1e-4)
    zt = s.transform(test)
    # test statistics did not leak: transformed test data is far from zero mean
    np.testing.assert_allclose(zt, (test - train.mean(0)) / train.std(0), rtol=1e-4)
    assert zt.mean() > 10
    assert zt.dtype == np.float32


def test_standardizer_global_and_per_channel():
    rng = np.random.default_rng(1)
    x = rng.normal(3.0, 2.0, size=(20, 3, 4, 4)).astype(np.float32)
    g = Standardizer(axis=None).fit(x)
    assert g.mean.size == 1
    np.testing.assert_allclose(g.mean.item(), x.mean(dtype=np.float64), rtol=1e-6)
    c = Standardizer(axis=(0, 2, 3)).fit(x)
    assert c.mean.shape == (1, 3, 1, 1)
    z = c.transform(x)
    np.testing.assert_allclose(z.mean(axis=(0, 2, 3)), 0, atol=1e-5)


def test_standardizer_constant_feature_and_round_trip():
    x = np.array([[1.0, 7.0], [3.0, 7.0]], np.float32)
    s = Standardizer().fit(x)
    z = s.transform(x)
    assert np.isfinite(z).all()
    np.testing.assert_array_equal(z[:, 1], 0)
    np.testing.assert_allclose(s.inverse_transform(z), x, rtol=1e-6)


def test_standardizer_constant_feature_gets_scale_one_as_in_sklearn():
    """A feature constant in training is only centred (σ = 1), so a test value that differs
    stays of the size of its difference instead of reaching ±1e7."""
    x_train = np.array([[1.0, 0.0, 5.0], [3.0, 0.0, 5.0], [5.0, 0.0, 5.0]], np.float32)
    s = Standardizer().fit(x_train)
    np.testing.assert_array_equal(s.std[0, 1:], [1.0, 1.0])
    x_test = np.array([[3.0, 0.5, 4.0]], np.float32)
    np.testing.assert_allclose(s.transform(x_test), [[0.0, 0.5, -1.0]], atol=1e-6)
    # float rounding of a constant (0.1 is not exact) is still constant
    s2 = Standardizer().fit(np.full((1000, 1), 0.1, np.float32))
    assert s2.std.item() == 1.0
    # a feature that does vary, however little, keeps its σ
    tiny = np.array([[0.0], [1e-3]], np.float32)
    assert Standardizer().fit(tiny).std.item() == pytest.approx(5e-4)
    # the pixel case: MNIST-like border pixel 0 in training, 1.0 in a test image
    z = Standardizer().fit(np.zeros((50, 4), np.float32)).transform(np.ones((1, 4), np.float32))
    np.testing.assert_array_equal(z, 1.0)


def test_standardizer_state_round_trip():
    import json

    x = np.random.default_rng(2).normal(size=(30, 4)).astype(np.float32)
    s = Standardizer(axis=0).fit(x)
    s2 = Standardizer.from_state(json.loads(json.dumps(s.state())))
    np.testing.assert_array_equal(s2.transform(x), s.transform(x))


def test_standardizer_errors():
    with pytest.raises(RuntimeError, match="fit"):
        Standardizer().transform(np.zeros((2, 2)))
    s = Standardizer().fit(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"\(1, 3\).*\(4, 5\)"):
        s.transform(np.zeros((4, 5)))


def test_standardize_helper():
    tr = np.array([[0.0], [2.0]], np.float32)
    te = np.array([[4.0]], np.float32)
    ztr, zte = standardize(tr, te)
    np.testing.assert_allclose(ztr[:, 0], [-1, 1])
    np.testing.assert_allclose(zte[:, 0], [3])

"""The lessons' toy data: shapes, balance, determinism, clear errors."""
from __future__ import annotations

import numpy as np
import pytest

from glassbox.lessons.toy_data import loss_surface, moons, spirals


def test_spirals_shapes_balance_and_seed():
    x, y = spirals(301, classes=3, noise=0.1, seed=4)
    assert x.shape == (301, 2) and x.dtype == np.float32 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [101, 100, 100]
    x2, y2 = spirals(301, classes=3, noise=0.1, seed=4)
    assert np.array_equal(x, x2) and np.array_equal(y, y2)
    assert not np.array_equal(x, spirals(301, 3, 0.1, seed=5)[0])
    assert np.abs(x).max() < 3


def test_moons_are_two_balanced_centred_classes():
    x, y = moons(200, noise=0.0, seed=0)
    assert x.shape == (200, 2) and set(np.unique(y)) == {0, 1}
    # noise-free: class 0 lies on the unit circle around (−0.5, −0.25)
    r = np.hypot(x[y == 0, 0] + 0.5, x[y == 0, 1] + 0.25)
    assert np.allclose(r, 1, atol=1e-5)
    assert np.abs(x.mean(axis=0)).max() < 0.2


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="spirals: classes"):
        spirals(10, classes=1)
    with pytest.raises(ValueError, match="moons: n"):
        moons(0)
    with pytest.raises(ValueError, match="noise"):
        moons(10, noise=-1)


def test_loss_surface_evaluates_on_the_grid():
    X, Y, Z = loss_surface(lambda a, b: a**2 + 10 * b, (-1, 1), (0, 2), steps=5)
    assert X.shape == Y.shape == Z.shape == (5, 5)
    assert np.allclose(Z, X**2 + 10 * Y)

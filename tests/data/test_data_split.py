import numpy as np
import pytest

from glassbox.data import Subset, TensorDataset, random_split, train_val_split


def test_random_split_arrays_disjoint_and_complete():
    x = np.arange(100)
    a, b, c = random_split((x, x * 2), [0.5, 0.3, 0.2], seed=0)
    assert [len(p[0]) for p in (a, b, c)] == [50, 30, 20]
    allx = np.concatenate([a[0], b[0], c[0]])
    assert sorted(allx.tolist()) == list(range(100))
    np.testing.assert_array_equal(a[1], a[0] * 2)  # rows stay aligned


def test_random_split_fraction_remainder_and_ints():
    parts = random_split((np.arange(10),), [1 / 3, 1 / 3, 1 / 3], seed=0)
    assert sorted(len(p[0]) for p in parts) == [3, 3, 4]
    ds = TensorDataset(np.arange(10))
    s1, s2 = random_split(ds, [7, 3], seed=1)
    assert isinstance(s1, Subset) and len(s1) == 7 and len(s2) == 3
    assert set(s1.indices.tolist()).isdisjoint(s2.indices.tolist())


def test_random_split_is_seeded():
    a = random_split((np.arange(50),), [25, 25], seed=5)[0][0]
    b = random_split((np.arange(50),), [25, 25], seed=5)[0][0]
    c = random_split((np.arange(50),), [25, 25], seed=6)[0][0]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_random_split_bad_lengths():
    with pytest.raises(ValueError, match="sum to the dataset size 10"):
        random_split((np.arange(10),), [5, 4])
    with pytest.raises(ValueError, match="sum to 1"):
        random_split((np.arange(10),), [0.5, 0.4])


def test_train_val_split_stratified():
    y = np.repeat(np.arange(4), [100, 50, 30, 20])
    x = np.arange(len(y)) * 10
    (xt, yt), (xv, yv) = train_val_split(x, y, val_fraction=0.2, seed=0)
    assert len(yv) == 40 and len(yt) == 160
    np.testing.assert_array_equal(np.bincount(yv), [20, 10, 6, 4])
    np.testing.assert_array_equal(xt // 10, np.sort(xt // 10))  # original order kept
    np.testing.assert_array_equal(y[xv // 10], yv)
    assert set(xt.tolist()).isdisjoint(xv.tolist())


def test_train_val_split_exact_total_with_rounding():
    y = np.repeat(np.arange(3), [7, 7, 7])
    (_, _), (_, yv) = train_val_split(np.arange(21), y, val_fraction=0.1, seed=0)
    assert len(yv) == 2


def test_train_val_split_unstratified_and_seeded():
    y = np.zeros(30, int)
    x = np.arange(30)
    (_, _), (xv1, _) = train_val_split(x, y, 0.3, seed=1, stratify=False)
    (_, _), (xv2, _) = train_val_split(x, y, 0.3, seed=1, stratify=False)
    np.testing.assert_array_equal(xv1, xv2)
    assert len(xv1) == 9


def test_train_val_split_errors():
    with pytest.raises(ValueError, match="val_fraction"):
        train_val_split(np.zeros(4), np.zeros(4), 1.0)
    with pytest.raises(ValueError, match="4 samples but y has 3"):
        train_val_split(np.zeros(4), np.zeros(3), 0.5)

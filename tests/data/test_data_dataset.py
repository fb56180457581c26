import numpy as np
import pytest

import glassbox as gb
from glassbox.data import Dataset, Subset, TensorDataset


class Squares(Dataset):
    """A generic dataset without get_batch: the loader must stack samples."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return np.full(3, i, np.float32), i * i


def test_tensor_dataset_items_and_batches():
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10)
    ds = TensorDataset(x, y)
    assert len(ds) == 10
    xi, yi = ds[3]
    np.testing.assert_array_equal(xi, x[3])
    assert yi == 3
    idx = np.array([7, 0, 7, 2])
    xb, yb = ds[idx]
    np.testing.assert_array_equal(xb, x[idx])
    np.testing.assert_array_equal(yb, y[idx])
    xb2, yb2 = ds.get_batch(idx)
    np.testing.assert_array_equal(xb2, xb)


def test_tensor_dataset_length_mismatch_names_lengths():
    with pytest.raises(ValueError, match=r"same length.*\[10, 9\]"):
        TensorDataset(np.zeros((10, 2)), np.zeros(9))


def test_tensor_dataset_dtypes():
    ds = TensorDataset(np.zeros((4, 2), np.float64), gb.tensor(np.zeros(4), dtype=np.float64), np.zeros(4, np.int32))
    assert ds.arrays[0].dtype == np.float32  # numpy float64 follows the float32 default
    assert ds.arrays[1].dtype == np.float64  # an explicit float64 Tensor keeps its dtype
    assert ds.arrays[2].dtype == np.int32


def test_tensor_dataset_does_not_copy_float32():
    x = np.zeros((5, 3), np.float32)
    ds = TensorDataset(x)
    assert np.shares_memory(ds.arrays[0], x)


def test_generic_dataset_falls_back_to_stacking():
    ds = Squares(6)
    xb, yb = ds.get_batch(np.array([5, 1]))
    np.testing.assert_array_equal(xb, [[5, 5, 5], [1, 1, 1]])
    np.testing.assert_array_equal(yb, [25, 1])


def test_dataset_is_abstract():
    with pytest.raises(TypeError):
        Dataset()


def test_subset_batches_map_through_indices():
    ds = TensorDataset(np.arange(10) * 10)
    sub = Subset(ds, [9, 3, 4])
    assert len(sub) == 3
    assert sub[0] == (90,)
    np.testing.assert_array_equal(sub.get_batch(np.array([2, 0]))[0], [40, 90])
    np.testing.assert_array_equal(sub[1:][0], [30, 40])
    generic = Subset(Squares(10), [8, 2])
    np.testing.assert_array_equal(generic.get_batch(np.array([1, 0]))[1], [4, 64])

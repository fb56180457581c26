import numpy as np
import pytest

import glassbox as gb
from glassbox.data import DataLoader, Dataset, TensorDataset


def make(n=103):
    x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    y = np.arange(n, dtype=np.uint8) % 10
    return TensorDataset(x, y)


@pytest.mark.parametrize("n,bs,drop_last,expected", [(103, 10, False, 11), (103, 10, True, 10),
                                                      (100, 10, False, 10), (100, 10, True, 10),
                                                      (5, 10, False, 1), (5, 10, True, 0)])
def test_batch_count_and_sizes(n, bs, drop_last, expected):
    loader = DataLoader(make(n), batch_size=bs, drop_last=drop_last)
    batches = list(loader)
    assert len(loader) == expected == len(batches)
    sizes = [len(b[0]) for b in batches]
    assert all(s == bs for s in sizes[:-1])
    assert sum(sizes) == (n // bs * bs if drop_last else n)


def test_batches_are_tensors_with_dtypes():
    xb, yb = next(iter(DataLoader(make(), batch_size=8)))
    assert isinstance(xb, gb.Tensor) and isinstance(yb, gb.Tensor)
    assert xb.dtype == np.float32 and yb.dtype == np.int64
    assert not xb.requires_grad
    assert xb.shape == (8, 2)


def test_unshuffled_is_in_order():
    ds = make(25)
    xs = np.concatenate([b[0].numpy() for b in DataLoader(ds, batch_size=7)])
    np.testing.assert_array_equal(xs, ds.arrays[0])


def test_shuffle_covers_every_index_once_per_epoch():
    ds = make(103)
    loader = DataLoader(ds, batch_size=16, shuffle=True, seed=3)
    orders = []
    for _ in range(3):
        ys = np.concatenate([b[0].numpy()[:, 0] / 2 for b in loader]).astype(int)
        assert sorted(ys.tolist()) == list(range(103))
        orders.append(ys)
    assert not np.array_equal(orders[0], orders[1])  # epochs differ
    assert not np.array_equal(orders[0], np.arange(103))


def test_shuffle_reproducible_with_seed_and_generator():
    def epochs(loader):
        return [np.concatenate([b[1].numpy() for b in loader]) for _ in range(2)]

    a = epochs(DataLoader(make(), batch_size=10, shuffle=True, seed=42))
    b = epochs(DataLoader(make(), batch_size=10, shuffle=True, seed=42))
    c = epochs(DataLoader(make(), batch_size=10, shuffle=True, generator=np.random.default_rng(42)))
    d = epochs(DataLoader(make(), batch_size=10, shuffle=True, seed=43))
    for i in range(2):
        np.testing.assert_array_equal(a[i], b[i])
        np.testing.assert_array_equal(a[i], c[i])
    assert not np.array_equal(a[0], d[0])


def test_global_seed_makes_unseeded_loader_reproducible():
    def first_epoch():
        gb.manual_seed(7)
        return np.concatenate([b[0].numpy() for b in DataLoader(make(), batch_size=10, shuffle=True)])

    np.testing.assert_array_equal(first_epoch(), first_epoch())


def test_state_dict_restores_the_next_epoch():
    loader = DataLoader(make(), batch_size=10, shuffle=True, seed=0)
    list(loader)
    state = loader.state_dict()
    after = np.concatenate([b[1].numpy() for b in loader])
    other = DataLoader(make(), batch_size=10, shuffle=True, seed=999)
    other.load_state_dict(state)
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in other]), after)


def test_no_per_sample_access_for_tensor_dataset():
    class Watched(TensorDataset):
        def __getitem__(self, index):
            raise AssertionError("the loader should use get_batch, not per-sample indexing")

    assert len(list(DataLoader(Watched(np.zeros((50, 3), np.float32)), batch_size=8, shuffle=True, seed=0))) == 7


def test_generic_dataset_is_stacked():
    class Pairs(Dataset):
        def __len__(self):
            return 9

        def __getitem__(self, i):
            return np.full((2, 2), i, np.float32), i

    batches = list(DataLoader(Pairs(), batch_size=4))
    assert [b[0].shape for b in batches] == [(4, 2, 2), (4, 2, 2), (1, 2, 2)]
    assert batches[0][1].dtype == np.int64
    np.testing.assert_array_equal(batches[1][1].numpy(), [4, 5, 6, 7])


@pytest.mark.parametrize("bs", [0, -1, 2.5, True])
def test_bad_batch_size(bs):
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(make(), batch_size=bs)


def test_seed_and_generator_together_rejected():
    with pytest.raises(ValueError, match="seed or generator"):
        DataLoader(make(), seed=1, generator=np.random.default_rng(1))

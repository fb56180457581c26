"""Datasets: indexable collections of samples, with fast whole-batch indexing.

A ``Dataset`` answers ``len(ds)`` and ``ds[i]`` (one sample, a tuple such as
``(x_i, y_i)``). The ``DataLoader`` asks for a whole batch at once through
``ds.get_batch(indices)``; the base class builds it by stacking samples one by
one, while ``TensorDataset`` (and ``Subset`` of it) answers with one fancy-index
per array, so no Python loop runs per sample.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Sequence

import numpy as np

from .. import backend
from ..core.tensor import Tensor


def _to_numpy(a: Any) -> np.ndarray:
    if isinstance(a, Tensor):
        return backend.to_numpy(a.data)
    return np.asarray(a)


def stack_samples(samples: Sequence[Any]) -> tuple[np.ndarray, ...]:
    """Turn a list of samples (tuples of array-likes, or single array-likes) into batch arrays."""
    if len(samples) == 0:
        raise ValueError("stack_samples: got no samples to stack")
    if isinstance(samples[0], (tuple, list)):
        return tuple(np.stack([_to_numpy(s[k]) for s in samples]) for k in range(len(samples[0])))
    return (np.stack([_to_numpy(s) for s in samples]),)


class Dataset(ABC):
    """Base class: subclasses define ``__len__`` and ``__getitem__(i)`` for one sample."""

    @abstractmethod
    def __getitem__(self, index: Any) -> Any: ...

    @abstractmethod
    def __len__(self) -> int: ...

    def get_batch(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        """The samples at ``indices`` as a tuple of batch arrays (first axis = batch).

        This fallback stacks samples one at a time; datasets backed by arrays override it.
        """
        return stack_samples([self[int(i)] for i in indices])


class TensorDataset(Dataset):
    """Samples are the rows of equally long arrays: ``ds[i] == (a[i], b[i], ...)``.

    ``ds[index_array]`` (or a slice) returns the whole batch ``(a[idx], b[idx], ...)``.

    Args:
        *arrays: arrays or Tensors sharing their first dimension. NumPy floating
            arrays that are not float32 become float32 once here (the framework's
            default); Tensors keep their dtype, so a float64 Tensor stays float64.
    """

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        converted = []
        for a in arrays:
            if isinstance(a, Tensor):
                arr = backend.to_numpy(a.data)
            else:
                arr = np.asarray(a)
                if arr.dtype.kind == "f" and arr.dtype != np.float32:
                    arr = arr.astype(np.float32)
            if arr.ndim == 0:
                raise ValueError("TensorDataset: every array needs a first (sample) dimension, got a scalar")
            converted.append(arr)
        lengths = [len(a) for a in converted]
        if len(set(lengths)) != 1:
            raise ValueError(
                f"TensorDataset: all arrays must have the same length (first dimension), got lengths {lengths}"
            )
        self.arrays: tuple[np.ndarray, ...] = tuple(converted)

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: Any) -> tuple[Any, ...]:
        return tuple(a[index] for a in self.arrays)

    def get_batch(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(a[indices] for a in self.arrays)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int] | np.ndarray) -> None:
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, (int, np.integer)):
            return self.dataset[int(self.indices[index])]
        return fetch_batch(self.dataset, self.indices[index])

    def get_batch(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        return fetch_batch(self.dataset, self.indices[indices])


def fetch_batch(dataset: Any, indices: np.ndarray) -> tuple[np.ndarray, ...]:
    """Ask ``dataset`` for a batch, using its ``get_batch`` if it has one, else stacking samples."""
    get_batch = getattr(dataset, "get_batch", None)
    if get_batch is not None:
        return tuple(get_batch(indices))
    return stack_samples([dataset[int(i)] for i in indices])

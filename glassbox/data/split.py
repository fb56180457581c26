"""Random splits of a dataset: train/validation, or any list of lengths or fractions."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .dataset import Dataset, Subset


def _lengths(n: int, lengths: Sequence[float]) -> list[int]:
    """Turn ``lengths`` (ints summing to n, or fractions summing to 1) into ints summing to n."""
    if len(lengths) == 0:
        raise ValueError("random_split: lengths is empty")
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in lengths):
        if any(v < 0 for v in lengths) or sum(lengths) != n:
            raise ValueError(f"random_split: lengths {list(lengths)} must be >= 0 and sum to the dataset size {n}")
        return [int(v) for v in lengths]
    fr = np.asarray(lengths, dtype=np.float64)
    if (fr < 0).any() or not np.isclose(fr.sum(), 1.0):
        raise ValueError(f"random_split: fractions {list(lengths)} must be >= 0 and sum to 1, sum is {fr.sum()}")
    counts = np.floor(fr * n).astype(np.int64)
    counts[np.arange(n - counts.sum()) % len(counts)] += 1  # hand out the remainder round-robin
    return counts.tolist()


def random_split(data: Dataset | Sequence[np.ndarray], lengths: Sequence[float], seed: int | None = None) -> list[Any]:
    """Split randomly into disjoint parts of the given lengths (or fractions).

    ``data`` is a ``Dataset`` (parts are ``Subset``s) or a tuple of equally long
    arrays (parts are tuples of arrays).
    """
    is_arrays = isinstance(data, (tuple, list))
    if is_arrays:
        arrays = [np.asarray(a) for a in data]
        n = len(arrays[0])
        if any(len(a) != n for a in arrays):
            raise ValueError(f"random_split: arrays have different lengths {[len(a) for a in arrays]}")
    else:
        n = len(data)
    perm = np.random.default_rng(seed).permutation(n)
    bounds = np.cumsum([0] + _lengths(n, lengths))
    parts = [perm[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    if is_arrays:
        return [tuple(a[idx] for a in arrays) for idx in parts]
    return [Subset(data, idx) for idx in parts]  # type: ignore[arg-type]


def train_val_split(
    x: np.ndarray, y: np.ndarray, val_fraction: float = 0.1, seed: int | None = None, stratify: bool = True
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Hold out ``val_fraction`` of the samples: ``((x_train, y_train), (x_val, y_val))``.

    With ``stratify`` each class keeps (as nearly as whole numbers allow) the same
    share in both parts. Both parts keep the original sample order.
    """
    x, y = np.asarray(x), np.asarray(y)
    n = len(x)
    if len(y) != n:
        raise ValueError(f"train_val_split: x has {n} samples but y has {len(y)}")
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"train_val_split: val_fraction must be in (0, 1), got {val_fraction}")
    rng = np.random.default_rng(seed)
    n_val = int(round(n * val_fraction))
    perm = rng.permutation(n)
    if not stratify:
        val = perm[:n_val]
    else:
        if y.ndim != 1:
            raise ValueError(f"train_val_split: stratify needs 1-D class labels, got y of shape {y.shape}")
        classes, y_idx = np.unique(y, return_inverse=True)
        counts = np.bincount(y_idx, minlength=len(classes))
        quota = counts * val_fraction
        take = np.floor(quota).astype(np.int64)
        # largest remainders get the leftover slots so the total is exactly n_val
        short = n_val - take.sum()
        if short > 0:
            take[np.argsort(-(quota - take), kind="stable")[:short]] += 1
        order = perm[np.argsort(y_idx[perm], kind="stable")]  # grouped by class, random within
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        rank = np.arange(n) - starts[y_idx[order]]
        val = order[rank < take[y_idx[order]]]
    mask = np.zeros(n, dtype=bool)
    mask[val] = True
    return (x[~mask], y[~mask]), (x[mask], y[mask])

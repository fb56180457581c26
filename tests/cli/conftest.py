"""A tiny synthetic MNIST-like dataset in IDX files, learnable in one epoch."""
from __future__ import annotations

import numpy as np
import pytest

from glassbox.data import write_idx


def _images(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Class k lights up a 6×6 square at its own place on the 28×28 canvas, plus noise."""
    n = len(labels)
    x = rng.integers(0, 60, size=(n, 28, 28)).astype(np.uint8)
    for k in range(10):
        r, c = 2 + 8 * (k // 3), 2 + 8 * (k % 3)
        x[labels == k, r:r + 6, c:c + 6] = 255
    return x


@pytest.fixture
def idx_dir(tmp_path):
    """A folder with train (300) and t10k (200) IDX files, .gz compressed."""
    return _write_tiny(tmp_path / "tiny", seed=0)


@pytest.fixture(scope="module")
def idx_dir_module(tmp_path_factory):
    """``idx_dir``, shared by the tests of one module."""
    return _write_tiny(tmp_path_factory.mktemp("tiny"), seed=0)


@pytest.fixture
def make_other_idx(tmp_path):
    """Another tiny data set (different images and labels)."""
    return _write_tiny(tmp_path / "other", seed=1)


def _write_tiny(folder, seed: int):
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for split, n in (("train", 300), ("t10k", 200)):
        labels = np.arange(n) % 10
        rng.shuffle(labels)
        write_idx(folder / f"{split}-images-idx3-ubyte.gz", _images(labels, rng))
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz", labels.astype(np.uint8))
    return folder

"""Fixtures for the data tests: the real shared MNIST files and small synthetic IDX folders."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from glassbox.data import write_idx


@pytest.fixture
def data_root() -> Path:
    """The folder holding mnist-5k/ and fashion-mnist/, from $GLASSBOX_DATA."""
    root = Path(os.environ.get("GLASSBOX_DATA", ""))
    if not os.environ.get("GLASSBOX_DATA") or not (root / "mnist-5k").is_dir():
        pytest.skip(
            "real MNIST data not found: set GLASSBOX_DATA to the folder holding mnist-5k/ and "
            "fashion-mnist/ (in this repo's CI: ../shared/datasets)"
        )
    return root


def make_mnist_folder(folder: Path, n_train: int = 20, n_test: int = 10, gz: bool = True,
                      seed: int = 0) -> dict[str, np.ndarray]:
    """Write four synthetic MNIST-format files into ``folder``; return the arrays written."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    for stem, arr in arrays.items():
        write_idx(folder / (stem + (".gz" if gz else "")), arr)
    return arrays


@pytest.fixture
def isolated_env(tmp_path, monkeypatch) -> Path:
    """No GLASSBOX_DATA and a private empty cache, so searches only see what a test creates."""
    monkeypatch.delenv("GLASSBOX_DATA", raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return cache


@pytest.fixture
def make_mnist():
    """The ``make_mnist_folder`` helper, as a fixture (test modules should not import conftest)."""
    return make_mnist_folder

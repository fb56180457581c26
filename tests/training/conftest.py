"""Small synthetic problems for the training tests."""
from __future__ import annotations

import numpy as np
import pytest

import glassbox as gb
from glassbox import nn


def make_blobs(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two well separated Gaussian blobs in 2-D, labels 0 and 1."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(-2.0, 1.0, (n // 2, 2)), rng.normal(2.0, 1.0, (n - n // 2, 2))])
    y = np.repeat([0, 1], [n // 2, n - n // 2])
    return x.astype(np.float32), y.astype(np.int64)


def make_tiny_mlp(seed: int = 0, hidden: int = 8) -> nn.Module:
    gb.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, 2))


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray]:
    return make_blobs()


@pytest.fixture
def blobs():
    """Factory: ``blobs(n, seed)`` → (x, y)."""
    return make_blobs


@pytest.fixture
def tiny_mlp():
    """Factory: ``tiny_mlp(seed, hidden)`` → a 2-hidden-2 ReLU network."""
    return make_tiny_mlp

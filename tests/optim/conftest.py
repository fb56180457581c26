"""Shared fixtures for the optimizer tests: a float64 parameter and three fixed gradients."""
from __future__ import annotations

import numpy as np
import pytest

import glassbox as gb


@pytest.fixture
def w0() -> np.ndarray:
    return np.array([[0.5, -1.5, 2.0], [-0.25, 1.0, 3.0]])


@pytest.fixture
def grads() -> list[np.ndarray]:
    """g_1, g_2, g_3: nonzero, of mixed signs and sizes, so no update can pass by luck."""
    return [
        np.array([[0.3, -0.8, 1.2], [2.0, -0.1, 0.6]]),
        np.array([[-0.5, 0.4, 0.9], [1.5, 0.7, -0.2]]),
        np.array([[0.1, -1.1, 0.3], [-0.6, 0.2, 1.4]]),
    ]


@pytest.fixture
def run_steps():
    """run_steps(cls, w0, grads, **kw) -> list of w_1, w_2, ... after each step (float64)."""

    def run(cls, w0, grads, **kwargs):
        # Tensor wraps a float64 array without copying: copy so w0 stays the start point
        p = gb.Tensor(w0.copy(), requires_grad=True, dtype=np.float64)
        opt = cls([p], **kwargs)
        out = []
        for g in grads:
            p.grad = gb.Tensor(g, dtype=np.float64)
            opt.step()
            out.append(p.data.copy())
        return out

    return run

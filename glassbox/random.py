"""The global random generator behind initializers, dropout and shuffling.

``glassbox.manual_seed(s)`` makes every random choice that follows reproducible.
Its state is a plain dict, so checkpoints store it as JSON.
"""
from __future__ import annotations

from typing import Any

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the global generator (and return it)."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def default_generator() -> np.random.Generator:
    return _generator


def get_rng_state() -> dict[str, Any]:
    return _generator.bit_generator.state


def set_rng_state(state: dict[str, Any]) -> None:
    _generator.bit_generator.state = state

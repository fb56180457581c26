"""Fixtures shared by the op tests."""
from __future__ import annotations

import warnings

import numpy as np
import pytest


@pytest.fixture
def strict():
    """Overflow, division by zero, invalid → FloatingPointError; any warning → error.
    Underflow (e^{−2000} → 0) is what the max-shift is meant to produce, so it is allowed."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise", under="ignore"):
            yield

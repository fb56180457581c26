"""Device tests run on the strict CuPy stand-in: device "cuda" is ``strict_xp`` here."""
from __future__ import annotations

import pytest

from glassbox import backend
from glassbox.testing import strict_xp


@pytest.fixture
def cuda():
    """Device "cuda" is the strict stand-in for this test; NumPy only again afterwards."""
    backend.set_cuda_module("strict")
    strict_xp.reset_transfers()
    yield strict_xp
    backend.reset()

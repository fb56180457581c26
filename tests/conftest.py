"""Test-wide settings: where the real data lives, and hypothesis' profile."""
from __future__ import annotations

import os

# One BLAS thread per test process: the tests' matrices are small, pytest-xdist already
# runs one process per core, and several multi-threaded BLAS pools fighting over two
# cores spin and slow everything down by an order of magnitude. (Must precede NumPy.)
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
from pathlib import Path

from hypothesis import settings

# A fresh clone beside ../shared finds the real data without any set-up.
_shared = Path(__file__).resolve().parents[2] / "shared" / "datasets"
if "GLASSBOX_DATA" not in os.environ and _shared.is_dir():
    os.environ["GLASSBOX_DATA"] = str(_shared)

settings.register_profile("glassbox", deadline=None, max_examples=15)
settings.load_profile("glassbox")


import pytest  # noqa: E402


@pytest.fixture
def two_workers(monkeypatch):
    """glassbox.parallel's pool with two threads, as with OPENBLAS_NUM_THREADS=2, and no
    size threshold, so even test-sized arrays are split."""
    from concurrent.futures import ThreadPoolExecutor

    from glassbox import parallel

    pool = ThreadPoolExecutor(2)
    monkeypatch.setattr(parallel, "worker_pool", lambda: pool)
    monkeypatch.setitem(parallel._state, "threads", 2)
    monkeypatch.setattr(parallel, "MIN_PARALLEL_ITEMS", 1)
    yield pool
    pool.shutdown()

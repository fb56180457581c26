"""Keep freed array memory in the process instead of handing it back to the OS each step.

glibc serves allocations above its mmap threshold (128 KiB, raised dynamically up to
32 MiB) with fresh ``mmap`` pages and returns them with ``munmap`` on free. A training
step allocates and frees the same large arrays (im2col columns, activations, gradients)
every time, so every step page-faults them in again — measured here, that costs the
LeNet-5 benchmark up to 40 % of its throughput, depending on what ran before it.
Raising the mmap and trim thresholds makes glibc reuse the freed blocks, which is what
PyTorch's caching allocator does for its own tensors.

This runs once when glassbox is imported, on Linux with glibc only; set the environment
variable ``GLASSBOX_MALLOC_TUNING=0`` to leave the allocator alone. It affects the whole
process (also NumPy code that does not use glassbox).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

M_TRIM_THRESHOLD = -1  # from glibc's <malloc.h>
M_MMAP_THRESHOLD = -3
DEFAULT_THRESHOLD = 256 * 2**20  # blocks up to 256 MiB are reused; larger ones still mmap


def tune_allocator(threshold: int = DEFAULT_THRESHOLD) -> bool:
    """Raise glibc's mmap and trim thresholds to ``threshold`` bytes; True if it was applied."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl): nothing to tune
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, threshold)) and bool(mallopt(M_TRIM_THRESHOLD, threshold))


def tune_on_import() -> bool:
    if os.environ.get("GLASSBOX_MALLOC_TUNING", "1") == "0":
        return False
    return tune_allocator()

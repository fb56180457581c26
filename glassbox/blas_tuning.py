"""Let NumPy's OpenBLAS use the AVX-512 kernels on CPUs it does not recognise yet.

OpenBLAS picks its matrix-product kernels at load time from the CPU's family and model.
The OpenBLAS in NumPy's wheels (0.3.31 here) does not know AMD's Zen 5 (CPU family 26):
it falls back to its Haswell kernels, which use 256-bit AVX2 only, although the CPU runs
full-width AVX-512 (OpenMathLib/OpenBLAS#6029, "AMD Zen 5 architecture is misidentified").
Its SkylakeX kernels are the ones OpenBLAS itself selects for Zen 4 (family 25, AVX-512).
Measured on a Zen 5, one thread: a 1024³ float32 GEMM at 130 → 249 GFLOP/s, the im2col
product of a 3×3 convolution (64 × 288 · 288 × 12544) at 127 → 200 GFLOP/s.

OpenBLAS reads ``OPENBLAS_CORETYPE`` once, when NumPy is first imported, so this runs when
glassbox is imported and only if NumPy is not loaded yet (``import glassbox`` before
``import numpy``: the CLI and ``python -m glassbox`` always are). It changes nothing when
``OPENBLAS_CORETYPE`` is already set, when the CPU lacks any of the AVX-512 subsets the
SkylakeX kernels use, with a NumPy newer than the ones checked (``LAST_CHECKED_NUMPY``), or
when ``GLASSBOX_BLAS_TUNING=0``. Linux only (it reads
/proc/cpuinfo). Results are the same up to float rounding (another summation order).
"""
from __future__ import annotations

import os
import sys

SKYLAKEX_FLAGS = frozenset({"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"})
FIRST_UNKNOWN_AMD_FAMILY = 26  # Zen 5; Zen 4 (25) is recognised by OpenBLAS ≥ 0.3.26
# NumPy releases whose bundled OpenBLAS this was measured with (NumPy 2.4: OpenBLAS 0.3.31).
# Later bundles (0.3.34, NumPy 2.5) change Zen 4/5 block sizes for forced core types too
# (OpenMathLib/OpenBLAS#6021), so they are left to OpenBLAS's own choice until checked.
LAST_CHECKED_NUMPY = (2, 4)


def parse_cpuinfo(text: str) -> tuple[str, int, frozenset[str]]:
    """(vendor, family, flags) of the first processor in /proc/cpuinfo's text."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if fields:
                break
            continue
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    family = fields.get("cpu family", "0")
    return (fields.get("vendor_id", ""), int(family) if family.isdigit() else 0,
            frozenset(fields.get("flags", "").split()))


def coretype_for(vendor: str, family: int, flags: frozenset[str]) -> str | None:
    """The OpenBLAS core to force for this CPU, or None to leave OpenBLAS's own choice."""
    if vendor == "AuthenticAMD" and family >= FIRST_UNKNOWN_AMD_FAMILY and SKYLAKEX_FLAGS <= flags:
        return "SkylakeX"
    return None


def numpy_release() -> tuple[int, int] | None:
    """(major, minor) of the installed NumPy, read from its metadata without importing it."""
    from importlib import metadata

    try:
        major, minor = metadata.version("numpy").split(".")[:2]
        return int(major), int(minor)
    except (metadata.PackageNotFoundError, ValueError):
        return None


def tune_on_import(environ: "os._Environ[str] | dict[str, str]" = os.environ,
                   cpuinfo: str = "/proc/cpuinfo", numpy_loaded: bool | None = None,
                   numpy_version: tuple[int, int] | None = None) -> str | None:
    """Set OPENBLAS_CORETYPE for this process when it helps; the value set, or None."""
    if numpy_loaded is None:
        numpy_loaded = "numpy" in sys.modules
    release = numpy_version if numpy_version is not None else numpy_release()
    if release is None or release > LAST_CHECKED_NUMPY:
        return None
    if (numpy_loaded or environ.get("OPENBLAS_CORETYPE")
            or environ.get("GLASSBOX_BLAS_TUNING", "1") == "0"):
        return None
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as f:
            core = coretype_for(*parse_cpuinfo(f.read()))
    except OSError:  # not Linux, or no /proc
        return None
    if core is not None:
        environ["OPENBLAS_CORETYPE"] = core
    return core

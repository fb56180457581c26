"""Both cores inside one process: a small pool of worker threads for NumPy work that does
not spread over the cores by itself.

A BLAS call threads only when it is large, and NumPy's elementwise ufuncs, reductions and
copies never thread. But NumPy releases the GIL inside those loops, so T Python threads that
each run the same operation on their own slice of an array do run on T cores at once. With
T > 1 BLAS threads (OPENBLAS_NUM_THREADS, read from OpenBLAS itself) glassbox keeps a pool
of T workers, and once they have started OpenBLAS runs on one thread
(``openblas_set_num_threads_local(1)``, OpenBLAS ≥ 0.3.27). That count is global to the
process, not per thread, and this is deliberate: OpenBLAS's own threads spin-wait after each
product and take the cores the workers need. Measured on a 2-core step of ``cnn`` training,
handing OpenBLAS its 2 threads back between the workers' runs made the step ~30 % slower
(3,040–3,140 → 2,030–2,180 img/s). The products of dense layers then use one core, split
like everything else only where glassbox splits them. Without OpenBLAS, on a GPU, or with one thread, everything runs
in turn on the calling thread.

``run_chunks`` runs a function over ranges; ``split`` cuts a length into one range per
worker; ``over_range`` does both for work that is large enough; ``elementwise`` runs a ufunc-style ``fn(out, *inputs)`` over slices of arrays that
share one memory layout.
"""
from __future__ import annotations

from typing import Any, Callable

from . import backend

MIN_PARALLEL_ITEMS = 1 << 16  # below ~64k elements a pass takes < 30 µs: not worth a hand-off
_state: dict[str, Any] = {}


def openblas() -> Any:
    """The OpenBLAS that NumPy links (a ctypes handle), or None."""
    if "lib" not in _state:
        import ctypes
        import glob
        import os

        import numpy

        lib = None
        root = os.path.dirname(numpy.__file__)
        for path in glob.glob(os.path.join(root, "..", "numpy.libs", "*openblas*")) + \
                glob.glob(os.path.join(root, ".libs", "*openblas*")):
            try:
                candidate = ctypes.CDLL(path)
                getattr(candidate, "openblas_set_num_threads_local")
                lib = candidate
                break
            except (OSError, AttributeError):
                continue
        _state["lib"] = lib
    return _state["lib"]


def blas_threads() -> int:
    """OpenBLAS's thread count (1 when it cannot be asked)."""
    lib = openblas()
    if lib is None:
        return 1
    for name in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
                 "openblas_get_num_threads"):
        fn = getattr(lib, name, None)
        if fn is not None:
            return max(1, int(fn()))
    return 1


def blas_core() -> str | None:
    """The kernel family OpenBLAS chose for this CPU ("Haswell", "SkylakeX", …), or None."""
    import ctypes

    lib = openblas()
    for name in ("scipy_openblas_get_corename64_", "openblas_get_corename64_", "openblas_get_corename"):
        fn = getattr(lib, name, None) if lib is not None else None
        if fn is not None:
            fn.restype = ctypes.c_char_p
            return fn().decode()
    return None


def worker_pool() -> Any:
    """The shared pool of ``blas_threads()`` workers (each with single-threaded BLAS), or None
    when there is one thread or the backend is not NumPy."""
    import numpy

    if backend.xp is not numpy:
        return None
    if "pool" not in _state:
        threads, lib = blas_threads(), openblas()
        pool = None
        if threads > 1 and lib is not None:
            from concurrent.futures import ThreadPoolExecutor

            pool = ThreadPoolExecutor(threads, thread_name_prefix="glassbox",
                                      initializer=lambda: lib.openblas_set_num_threads_local(1))
        _state["pool"], _state["threads"] = pool, threads
    return _state["pool"]


def workers() -> int:
    """How many threads ``run_chunks`` uses (1 without a pool)."""
    return _state.get("threads", 1) if worker_pool() is not None else 1


def run_chunks(work: Callable[[int, int], Any], chunks: list[tuple[int, int]]) -> list[Any]:
    """[work(i0, i1) for each chunk], on the worker pool when there is one. ``work`` must
    only write memory no other chunk writes."""
    pool = worker_pool() if len(chunks) > 1 else None
    if pool is None:
        return [work(i0, i1) for i0, i1 in chunks]
    return list(pool.map(lambda c: work(*c), chunks))


def split(n: int, parts: int) -> list[tuple[int, int]]:
    """[0, n) cut into ``parts`` ranges as even as can be (fewer when n < parts)."""
    parts = max(1, min(parts, n))
    return [(n * k // parts, n * (k + 1) // parts) for k in range(parts)]


def over_range(work: Callable[[int, int], Any], n: int, size: int) -> None:
    """work(i0, i1) over [0, n): one range per worker when the work touches ``size`` ≥
    MIN_PARALLEL_ITEMS elements, else work(0, n). ``work`` must write disjoint memory for
    disjoint ranges."""
    if size >= MIN_PARALLEL_ITEMS and n > 1:
        run_chunks(work, split(n, workers()))
    else:
        work(0, n)


def memory_flat(a: Any) -> Any:
    """The 1-D view of ``a`` in memory order when its memory is one contiguous block laid
    out as (N, C, …) or channel-major (C, N, …); else None."""
    if a.flags.c_contiguous:
        return a.reshape(-1)
    if a.ndim >= 2 and a.swapaxes(0, 1).flags.c_contiguous:
        return a.swapaxes(0, 1).reshape(-1)
    return None


def elementwise(fn: Callable[..., Any], out: Any, *inputs: Any) -> Any:
    """``fn(out, *inputs)`` (which writes ``out`` elementwise, e.g. ``np.maximum(z, 0, out=o)``)
    split over the workers along the arrays' common memory order; in one call when there
    is one worker, the arrays are small, or their layouts differ. Returns ``out``."""
    if out.size >= MIN_PARALLEL_ITEMS and workers() > 1 and \
            all(a.shape == out.shape and a.strides == out.strides for a in inputs):
        flats = [memory_flat(a) for a in (out,) + inputs]
        if all(f is not None for f in flats):
            run_chunks(lambda i0, i1: fn(*(f[i0:i1] for f in flats)), split(out.size, workers()))
            return out
    fn(out, *inputs)
    return out

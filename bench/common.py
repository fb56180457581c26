"""Shared helpers for the benchmarks: timing, peak memory, synthetic MNIST-shaped data."""
from __future__ import annotations

import os
import platform
import resource
import statistics
import time
import tracemalloc
from typing import Callable

import numpy as np


def synthetic_mnist(n: int, seed: int = 0, image: bool = False) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    shape = (n, 1, 28, 28) if image else (n, 784)
    return rng.random(shape, dtype=np.float32), rng.integers(0, 10, n).astype(np.int64)




def compare_throughput(steps: dict[str, Callable[[int], None]], batches: int, batch_size: int,
                       warmup: int = 5, repeats: int = 5) -> dict[str, float]:
    """Median img/s of each step function, the runs interleaved (a, b, a, b, …) so that
    load from other processes on a shared machine hits every contender alike."""
    for step in steps.values():
        for i in range(warmup):
            step(i)
    rates: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            start = time.perf_counter()
            for i in range(batches):
                step(i)
            rates[name].append(batches * batch_size / (time.perf_counter() - start))
    return {name: statistics.median(r) for name, r in rates.items()}


def report(title: str, rates: dict[str, float], peaks: dict[str, float], baseline: str) -> None:
    print(title)
    for name, rate in rates.items():
        peak = peaks.get(name, float("nan"))
        print(f"  {name:24s} {rate:10,.0f} img/s   peak traced memory {peak:7.1f} MB")
    for name, rate in rates.items():
        if name != baseline:
            print(f"  ratio {name} / {baseline}: {rate / rates[baseline]:.2f}")


def peak_traced_mb(step: Callable[[int], None], steps: int = 3) -> float:
    """Peak NumPy/Python allocation (MB) during a few steps, by tracemalloc."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    for i in range(steps):
        step(i)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> str:
    from glassbox.parallel import blas_core

    forced = os.environ.get("OPENBLAS_CORETYPE")
    core = f"OpenBLAS {blas_core()} kernels" + (f" (OPENBLAS_CORETYPE={forced})" if forced else "")
    return (f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
            f"NumPy {np.__version__}, {core}")


def torch_available() -> bool:
    """PyTorch is compared against only when it happens to be installed."""
    import importlib.util

    return importlib.util.find_spec("torch") is not None


def torch_threads() -> int:
    """Give PyTorch as many threads as OpenBLAS gets, so the comparison is like for like."""
    return int(os.environ.get("OPENBLAS_NUM_THREADS", os.cpu_count() or 1))


def run_comparison(title: str, steps: dict[str, Callable[[int], None]], baseline: str,
                   batches: int, batch_size: int) -> dict[str, float]:
    """Peak memory, interleaved throughput and ratios of ``steps``; prints the report."""
    peaks = {name: peak_traced_mb(step) for name, step in steps.items() if "pytorch" not in name}
    rates = compare_throughput(steps, batches, batch_size)
    report(f"{title} — {machine()}", rates, peaks, baseline)
    if "pytorch (cpu)" in rates:
        print(f"  ratio glassbox / pytorch (cpu): {rates['glassbox'] / rates['pytorch (cpu)']:.2f}")
    print(f"  max RSS {max_rss_mb():.0f} MB")
    return rates


def batches_of(x: np.ndarray, y: np.ndarray, batch_size: int, wrap: Callable) -> tuple[list, list]:
    """``x`` and ``y`` cut into whole batches, each wrapped (as a glassbox or torch tensor)."""
    n = len(x) // batch_size
    cut = [slice(i * batch_size, (i + 1) * batch_size) for i in range(n)]
    return [wrap(x[c]) for c in cut], [wrap(y[c]) for c in cut]


def training_step(model, loss_fn, optimizer, xs: list, ys: list,
                  fetch_loss: bool = False) -> Callable[[int], None]:
    """The PyTorch-style step that glassbox and PyTorch share, cycling over ready batches.
    ``fetch_loss`` reads the loss back to the host each step (``loss.item()``), as a training
    loop that logs it does — on a GPU that is also what waits for the step to finish."""
    n = len(xs)

    def step(i: int) -> None:
        loss = loss_fn(model(xs[i % n]), ys[i % n])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if fetch_loss:
            loss.item()

    return step


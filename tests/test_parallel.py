"""glassbox.parallel: ranges cover the work once, and every op that splits its passes over
the worker threads (conv chunks, ReLU, batch norm, 2×2 max-pool) gives exactly what it
gives on one thread — on plain and on channel-major (C, N, H, W) memory."""
import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import glassbox as gb
from glassbox import nn, parallel
from helpers import t64


@given(n=st.integers(0, 50), parts=st.integers(1, 5))
def test_split_covers_the_range_once_and_evenly(n, parts):
    ranges = parallel.split(n, parts)
    covered = [i for i0, i1 in ranges for i in range(i0, i1)]
    assert covered == list(range(n))
    sizes = [i1 - i0 for i0, i1 in ranges]
    assert max(sizes) - min(sizes) <= 1 and len(ranges) == max(1, min(parts, n))


def test_one_worker_without_a_pool(monkeypatch):
    monkeypatch.setattr(parallel, "worker_pool", lambda: None)
    assert parallel.workers() == 1
    calls = []
    parallel.over_range(lambda i0, i1: calls.append((i0, i1)), 10, 10**9)
    assert calls == [(0, 10)]


def test_over_range_splits_only_large_work(two_workers, monkeypatch):
    monkeypatch.setattr(parallel, "MIN_PARALLEL_ITEMS", 100)
    calls = []
    parallel.over_range(lambda i0, i1: calls.append((i0, i1)), 10, 99)
    assert calls == [(0, 10)]
    calls.clear()
    parallel.over_range(lambda i0, i1: calls.append((i0, i1)), 10, 100)
    assert sorted(calls) == [(0, 5), (5, 10)]


def test_elementwise_falls_back_when_layouts_differ(two_workers):
    a = np.arange(24.0).reshape(2, 3, 4)
    b = np.asfortranarray(a)
    out = parallel.elementwise(lambda o, x, y: np.add(x, y, out=o), np.empty_like(a), a, b)
    np.testing.assert_array_equal(out, 2 * a)


def channel_major(a):
    return np.ascontiguousarray(a.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)


def net():
    gb.manual_seed(0)
    return nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(4 * 2 * 2, 3)).double()


def step(model, x, train=True):
    model.train(train)
    xt = t64(x)
    out = model(xt)
    out.sum().backward()
    return [out.numpy(), xt.grad.numpy()] + [p.grad.numpy().copy() for p in model.parameters()]


@pytest.mark.parametrize("layout", [np.ascontiguousarray, channel_major])
@pytest.mark.parametrize("train", [True, False])
def test_a_conv_net_on_two_workers_matches_one(two_workers, monkeypatch, layout, train):
    x = layout(np.random.default_rng(0).standard_normal((5, 2, 8, 8)))
    threaded = step(net(), x, train)
    monkeypatch.setattr(parallel, "worker_pool", lambda: None)
    serial = step(net(), x, train)
    for a, b in zip(threaded, serial):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_relu_and_batchnorm_split_their_work(two_workers, monkeypatch):
    """The split really happens: each op runs its passes on both workers."""
    seen = set()
    original = parallel.run_chunks

    def spy(work, chunks):
        seen.add(len(chunks))
        return original(work, chunks)

    monkeypatch.setattr(parallel, "run_chunks", spy)
    x = t64(channel_major(np.random.default_rng(1).standard_normal((4, 6, 5, 5))))
    y = nn.ReLU()(nn.BatchNorm2d(6).double()(x))
    y.sum().backward()
    assert seen == {2}


def test_blas_core_names_the_kernels_or_none():
    core = parallel.blas_core()
    assert core is None or (isinstance(core, str) and core)


def test_once_the_workers_run_openblas_has_one_thread():
    """Deliberate (see glassbox/parallel.py): OpenBLAS's thread count is global, and its own
    spinning threads would take the workers' cores, so after the pool starts the process's
    BLAS runs on one thread — in the workers and in the calling thread alike."""
    import subprocess
    import sys

    code = (
        "from glassbox import parallel\n"
        "before = parallel.blas_threads(); parallel.worker_pool()\n"
        "inside = parallel.run_chunks(lambda i0, i1: parallel.blas_threads(), [(0, 1), (1, 2)])\n"
        "print(before, inside, parallel.blas_threads(), parallel.workers())\n")
    if parallel.openblas() is None:
        pytest.skip("NumPy is not linked to an OpenBLAS with openblas_set_num_threads_local")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="2")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["2", "[1,", "1]", "1", "2"]

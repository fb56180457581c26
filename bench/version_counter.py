"""Cost of the version counter on MLP training, measured in one process.

The same MLP training step as ``bench/mlp_train.py`` (784-256-128-10 ReLU, batch 128,
SGD momentum 0.9, float32) is timed with glassbox as it is ("after") and with the
version-counter bookkeeping switched off ("before": ``Function.apply`` without noting
input versions or registering views, ``Tensor._from_op`` without a counter, the backward
pass without ``check_versions``). The runs are interleaved (before, after, before, …) so
that load from other processes hits both alike; the medians and their ratio are printed.

    python bench/version_counter.py [--steps 100] [--repeats 15]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from contextlib import contextmanager, nullcontext

sys.path.insert(0, os.path.dirname(__file__))
from mlp_train import BATCH, glassbox_mlp  # noqa: E402
from common import machine, synthetic_mnist  # noqa: E402

from glassbox import backend  # noqa: E402
from glassbox.core import engine  # noqa: E402
from glassbox.core.function import Function  # noqa: E402
from glassbox.core.grad_mode import _GradMode  # noqa: E402
from glassbox.core.tensor import Tensor  # noqa: E402


def _apply_without_versions(cls, *inputs, **params):
    """``Function.apply`` as it was before the version counter."""
    fn = cls()
    needs = tuple([t.requires_grad for t in inputs])
    fn.needs_input_grad = needs
    arrays = [t.data for t in inputs]
    previous = backend.enter(arrays, cls.__name__)
    try:
        out = fn.forward(*arrays, **params)
        xp = backend.xp
        if type(out) is not xp.ndarray and not isinstance(out, xp.ndarray):
            out = xp.asarray(out)
    finally:
        backend.leave(previous)
    if _GradMode.enabled and True in needs:
        fn.parents = inputs
        return Tensor._from_op(out, fn)
    return Tensor._from_op(out, None)


def _from_op_without_counter(cls, data, ctx):
    t = cls.__new__(cls)
    t.data = data
    t.grad = None
    t.requires_grad = ctx is not None
    t._ctx = ctx
    t._retains_grad = False
    return t


@contextmanager
def versions_off():
    saved = Function.__dict__["apply"], Tensor.__dict__["_from_op"], engine.check_versions
    Function.apply = classmethod(_apply_without_versions)
    Tensor._from_op = classmethod(_from_op_without_counter)
    engine.check_versions = lambda node: None
    try:
        yield
    finally:
        Function.apply, Tensor._from_op, engine.check_versions = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=100, help="timed steps per run")
    parser.add_argument("--repeats", type=int, default=15, help="runs of each variant, interleaved")
    args = parser.parse_args()
    x, y = synthetic_mnist(BATCH * 50)
    step = glassbox_mlp(x, y, "sgd")
    for i in range(10):
        step(i)
    times: dict[str, list[float]] = {"before": [], "after": []}
    for _ in range(args.repeats):
        for name in ("before", "after"):
            with versions_off() if name == "before" else nullcontext():
                start = time.perf_counter()
                for i in range(args.steps):
                    step(i)
                times[name].append((time.perf_counter() - start) / args.steps)
    before, after = (statistics.median(times[k]) for k in ("before", "after"))
    print(f"MLP training step, version counter off/on — {machine()}")
    print(f"  before (no version counter) {before * 1e3:8.3f} ms/step  {BATCH / before:9,.0f} img/s")
    print(f"  after  (version counter)    {after * 1e3:8.3f} ms/step  {BATCH / after:9,.0f} img/s")
    print(f"  throughput ratio after / before: {before / after:.3f}")


if __name__ == "__main__":
    main()

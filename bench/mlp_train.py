"""MLP training throughput: glassbox vs the same network written by hand in NumPy — carefully:
in place, every buffer preallocated, no temporaries — (and PyTorch on the CPU when it happens
to be installed), in one run.

Network 784-256-128-10 ReLU, softmax cross-entropy from logits, float32, batch 128,
SGD with momentum 0.9 (or Adam with --optimizer adam), forward + backward + update.

    python bench/mlp_train.py [--batches 200] [--optimizer sgd|adam]
    python bench/mlp_train.py --fit [--epochs 3]

``--fit`` times whole ``glassbox.training.fit`` epochs over the same data instead, with
issue 10's data checks and divergence detector on (the default) and off (the checks
replaced by no-ops and the old one-line ``isfinite`` test of the loss), interleaved in
one run, so the ratio is their cost on the training throughput.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import (batches_of, machine, run_comparison, synthetic_mnist,  # noqa: E402
                    torch_available, torch_threads, training_step)

import glassbox as gb  # noqa: E402
from glassbox import nn, optim  # noqa: E402

SIZES = (784, 256, 128, 10)
LR, MOMENTUM, BATCH = 0.01, 0.9, 128


def numpy_mlp(x: np.ndarray, y: np.ndarray, optimizer: str):
    """The hand-written network, written carefully: every array of the step is allocated once
    and reused (matmuls, bias adds, ReLU, softmax, masks and the updates all write into
    preallocated buffers with ``out=``); same math as glassbox."""
    rng = np.random.default_rng(0)
    weights = [(rng.standard_normal((i, o)) * np.sqrt(2 / i)).astype(np.float32)
               for i, o in zip(SIZES[:-1], SIZES[1:])]
    biases = [np.zeros(o, np.float32) for o in SIZES[1:]]
    params = weights + biases
    m1 = [np.zeros_like(p) for p in params]
    m2 = [np.zeros_like(p) for p in params]
    scratch = [np.empty_like(p) for p in params]
    scratch2 = [np.empty_like(p) for p in params]
    acts = [np.empty((BATCH, o), np.float32) for o in SIZES[1:]]   # z, then a = ReLU(z) in place
    deltas = [np.empty((BATCH, o), np.float32) for o in SIZES[1:]]
    masks = [np.empty((BATCH, o), bool) for o in SIZES[1:-1]]
    grads_w = [np.empty_like(w) for w in weights]
    grads_b = [np.empty_like(b) for b in biases]
    grads = grads_w + grads_b
    row_max = np.empty((BATCH, 1), np.float32)
    rows = np.arange(BATCH)
    t = [0]
    batches = len(x) // BATCH
    last = len(weights) - 1

    def step(i: int) -> None:
        s = (i % batches) * BATCH
        xb, yb = x[s:s + BATCH], y[s:s + BATCH]
        inp = xb
        for k, (w, b) in enumerate(zip(weights, biases)):
            z = acts[k]
            np.matmul(inp, w, out=z)
            z += b
            if k < last:
                np.maximum(z, 0, out=z)
            inp = z
        p = deltas[last]                      # softmax in place, then (p − y)/m
        np.max(acts[last], axis=1, keepdims=True, out=row_max)
        np.subtract(acts[last], row_max, out=p)
        np.exp(p, out=p)
        np.sum(p, axis=1, keepdims=True, out=row_max)
        p /= row_max
        p[rows, yb] -= 1
        p *= np.float32(1 / BATCH)
        for k in range(last, -1, -1):
            below = xb if k == 0 else acts[k - 1]
            np.matmul(below.T, deltas[k], out=grads_w[k])
            np.sum(deltas[k], axis=0, out=grads_b[k])
            if k:
                d = deltas[k - 1]
                np.matmul(deltas[k], weights[k].T, out=d)
                np.greater(acts[k - 1], 0, out=masks[k - 1])
                np.multiply(d, masks[k - 1], out=d)
        if optimizer == "sgd":
            for p_, g, v, tmp in zip(params, grads, m1, scratch):
                v *= MOMENTUM
                v += g
                np.multiply(v, LR, out=tmp)
                p_ -= tmp
        else:
            t[0] += 1
            b1, b2, eps, lr = 0.9, 0.999, 1e-8, 1e-3
            step_size = lr * np.sqrt(1 - b2 ** t[0]) / (1 - b1 ** t[0])
            eps_hat = eps * np.sqrt(1 - b2 ** t[0])     # ε of the uncorrected v̂, rescaled
            for p_, g, m, v, tmp, tmp2 in zip(params, grads, m1, m2, scratch, scratch2):
                m *= b1
                np.multiply(g, 1 - b1, out=tmp)
                m += tmp
                v *= b2
                np.multiply(g, g, out=tmp)
                tmp *= 1 - b2
                v += tmp
                np.sqrt(v, out=tmp)
                tmp += eps_hat
                np.divide(m, tmp, out=tmp2)
                tmp2 *= step_size
                p_ -= tmp2

    return step


def glassbox_parts(optimizer: str):
    """The glassbox network, its loss and its optimizer (shared by both glassbox benchmarks)."""
    gb.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                          nn.Linear(128, 10))
    opt = (optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM) if optimizer == "sgd"
           else optim.Adam(model.parameters(), lr=1e-3))
    return model, nn.CrossEntropyLoss(), opt


def glassbox_mlp(x: np.ndarray, y: np.ndarray, optimizer: str):
    return training_step(*glassbox_parts(optimizer), *batches_of(x, y, BATCH, gb.Tensor))


def torch_mlp(x: np.ndarray, y: np.ndarray, optimizer: str):
    import torch

    torch.manual_seed(0)
    torch.set_num_threads(torch_threads())
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                                torch.nn.ReLU(), torch.nn.Linear(128, 10))
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = (torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM) if optimizer == "sgd"
           else torch.optim.Adam(model.parameters(), lr=1e-3))
    return training_step(model, loss_fn, opt, *batches_of(x, y, BATCH, torch.from_numpy))


def fit_epochs(x: np.ndarray, y: np.ndarray, optimizer: str, checks: bool):
    """One ``fit`` epoch over (x, y) per call, with issue 10's checks on or off."""
    import contextlib
    import importlib
    import math

    from glassbox.training import divergence

    fit_module = importlib.import_module("glassbox.training.fit")  # the module, not the function

    model, loss_fn, opt = glassbox_parts(optimizer)

    class NoChecks:  # what fit did before: no boundary checks ...
        pending = per_batch = False

        def __init__(self, *args):
            pass

    class OldGuard(divergence.DivergenceDetector):  # ... and only `if not isfinite(loss)`
        def check(self, value, x=None, y=None):
            if not math.isfinite(value):
                raise gb.TrainingDivergedError(f"loss became {value}")

    @contextlib.contextmanager
    def patched():
        if checks:
            yield
            return
        saved = fit_module.BoundaryCheck, fit_module.divergence.detector_for
        fit_module.BoundaryCheck = NoChecks
        fit_module.divergence.detector_for = lambda callbacks: OldGuard()
        try:
            yield
        finally:
            fit_module.BoundaryCheck, fit_module.divergence.detector_for = saved

    def step(i: int) -> None:
        with patched():
            fit_module.fit(model, loss_fn, opt, (x, y), epochs=1, batch_size=BATCH, verbose=0)

    return step


def main_fit(args: argparse.Namespace) -> None:
    import statistics
    import time

    x, y = synthetic_mnist(BATCH * 50)
    steps = {"fit, checks on": fit_epochs(x, y, args.optimizer, True),
             "fit, checks off": fit_epochs(x, y, args.optimizer, False)}
    for step in steps.values():
        step(0)  # warm-up epoch
    rates: dict[str, list[float]] = {name: [] for name in steps}
    names = list(steps)
    for r in range(args.epochs):
        for name in names if r % 2 == 0 else names[::-1]:  # interleaved, ABBA: on off off on …
            start = time.perf_counter()
            steps[name](0)
            rates[name].append(len(x) / (time.perf_counter() - start))
    print(f"fit() epochs, MLP 784-256-128-10 ReLU, batch {BATCH}, {args.optimizer}, float32, "
          f"{len(x)} samples, {args.epochs} interleaved epochs each — {machine()}")
    med = {name: statistics.median(r) for name, r in rates.items()}
    for name, rate in med.items():
        print(f"  {name:18s} {rate:10,.0f} img/s   (epochs: {', '.join(f'{r:,.0f}' for r in rates[name])})")
    print(f"  ratio on / off: {med['fit, checks on'] / med['fit, checks off']:.3f}")
    # the checks' own cost, timed directly (less noisy than the difference of two epochs)
    from glassbox.data import DataLoader, TensorDataset
    from glassbox.training.data_checks import BoundaryCheck
    from glassbox.training.divergence import DivergenceDetector

    loader = DataLoader(TensorDataset(x, y), batch_size=BATCH)
    out = gb.Tensor(np.zeros((BATCH, 10), np.float32))
    import timeit

    per_fit = min(timeit.repeat(lambda: BoundaryCheck(loader, "fit").first_output(out, None),
                                number=20, repeat=7)) / 20  # best of 7: the cost without the load
    det = DivergenceDetector()
    det.check(2.3)
    per_step = min(timeit.repeat(lambda: det.check(2.2), number=20000, repeat=7)) / 20000
    epoch = len(x) / med["fit, checks off"]
    steps_per_epoch = len(x) // BATCH
    print(f"  boundary checks {per_fit * 1e3:.2f} ms per fit call, detector {per_step * 1e6:.2f} µs "
          f"per step: {(per_fit + steps_per_epoch * per_step) / epoch:.2%} of a {epoch * 1e3:.0f} ms "
          f"epoch (a one-epoch fit, the worst case)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=200, help="timed steps per repeat")
    parser.add_argument("--optimizer", choices=("sgd", "adam"), default="sgd")
    parser.add_argument("--fit", action="store_true", help="time fit() epochs, issue 10's checks on/off")
    parser.add_argument("--epochs", type=int, default=9, help="--fit: timed epochs per variant")
    args = parser.parse_args()
    if args.fit:
        main_fit(args)
        return
    x, y = synthetic_mnist(BATCH * 50)
    builders = {"numpy (hand-written)": numpy_mlp, "glassbox": glassbox_mlp}
    if torch_available():
        builders["pytorch (cpu)"] = torch_mlp
    steps = {name: build(x, y, args.optimizer) for name, build in builders.items()}
    run_comparison(f"MLP 784-256-128-10 ReLU, batch {BATCH}, {args.optimizer}, float32", steps,
                   "numpy (hand-written)", args.batches, BATCH)


if __name__ == "__main__":
    main()

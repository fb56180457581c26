"""MLP training throughput: glassbox vs the same network written by hand in NumPy — carefully:
in place, every buffer preallocated, no temporaries — (and PyTorch on the CPU when it happens
to be installed), in one run.

Network 784-256-128-10 ReLU, softmax cross-entropy from logits, float32, batch 128,
SGD with momentum 0.9 (or Adam with --optimizer adam), forward + backward + update.

    python bench/mlp_train.py [--batches 200] [--optimizer sgd|adam]
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import (batches_of, run_comparison, synthetic_mnist, torch_available,  # noqa: E402
                    torch_threads, training_step)

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


def glassbox_mlp(x: np.ndarray, y: np.ndarray, optimizer: str):
    gb.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                          nn.Linear(128, 10))
    loss_fn = nn.CrossEntropyLoss()
    opt = (optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM) if optimizer == "sgd"
           else optim.Adam(model.parameters(), lr=1e-3))
    return training_step(model, loss_fn, opt, *batches_of(x, y, BATCH, gb.Tensor))


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=200, help="timed steps per repeat")
    parser.add_argument("--optimizer", choices=("sgd", "adam"), default="sgd")
    args = parser.parse_args()
    x, y = synthetic_mnist(BATCH * 50)
    builders = {"numpy (hand-written)": numpy_mlp, "glassbox": glassbox_mlp}
    if torch_available():
        builders["pytorch (cpu)"] = torch_mlp
    steps = {name: build(x, y, args.optimizer) for name, build in builders.items()}
    run_comparison(f"MLP 784-256-128-10 ReLU, batch {BATCH}, {args.optimizer}, float32", steps,
                   "numpy (hand-written)", args.batches, BATCH)


if __name__ == "__main__":
    main()

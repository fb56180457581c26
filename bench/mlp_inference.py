"""MLP inference throughput: the 784-256-128-10 ReLU network's forward pass on batches of
1,000 images — glassbox (under ``no_grad``) vs the same forward by hand in NumPy (and
PyTorch on the CPU under ``torch.no_grad`` when installed), in one run.

    python bench/mlp_inference.py [--batches 50]
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import run_comparison, synthetic_mnist, torch_available, torch_threads  # noqa: E402

import glassbox as gb  # noqa: E402
from glassbox import models  # noqa: E402

BATCH = 1000


def glassbox_forward(x: np.ndarray):
    gb.manual_seed(0)
    model = models.mlp().eval()
    xs = gb.Tensor(x)

    def step(i: int) -> None:
        with gb.no_grad():
            model(xs)

    return step, model


def numpy_forward(x: np.ndarray, model):
    layers = [(m.weight.numpy().T.copy(), m.bias.numpy()) for m in model if hasattr(m, "weight")]

    def step(i: int) -> None:
        a = x
        for k, (w, b) in enumerate(layers):
            z = a @ w + b
            a = np.maximum(z, 0) if k < len(layers) - 1 else z

    return step


def torch_forward(x: np.ndarray):
    import torch

    torch.set_num_threads(torch_threads())
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                                torch.nn.ReLU(), torch.nn.Linear(128, 10)).eval()
    xt = torch.from_numpy(x)

    def step(i: int) -> None:
        with torch.no_grad():
            model(xt)

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=50, help="timed forward passes per repeat")
    args = parser.parse_args()
    x, _ = synthetic_mnist(BATCH)
    glassbox_step, model = glassbox_forward(x)
    steps = {"numpy (hand-written)": numpy_forward(x, model), "glassbox": glassbox_step}
    if torch_available():
        steps["pytorch (cpu)"] = torch_forward(x)
    run_comparison(f"MLP 784-256-128-10 inference, batch {BATCH}, float32", steps,
                   "numpy (hand-written)", args.batches, BATCH)


if __name__ == "__main__":
    main()

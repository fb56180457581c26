"""Conv-layer microbenchmark: forward + backward of a 3×3 convolution, padding 1, on
64×64 feature maps with 32 channels in and out (batch 16), float32 — glassbox vs a
hand-written NumPy im2col (and PyTorch on the CPU when installed).

    python bench/conv_layer.py [--batches 10]
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import run_comparison, torch_available, torch_threads  # noqa: E402
from numpy_cnn import conv_backward, conv_forward  # noqa: E402

import glassbox as gb  # noqa: E402
from glassbox import nn  # noqa: E402

N, C, HW, K = 16, 32, 64, 3


def make_data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, HW, HW), dtype=np.float32)
    g = rng.standard_normal((N, C, HW, HW), dtype=np.float32)
    w = (rng.standard_normal((C, C, K, K)) * 0.1).astype(np.float32)
    return x, g, w


def numpy_conv():
    x, g, w = make_data()
    b = np.zeros(C, np.float32)

    def step(i: int) -> None:
        _, cache = conv_forward(x, w, b, 1)
        conv_backward(g, w, cache)

    return step


def glassbox_conv():
    x, g, w = make_data()
    layer = nn.Conv2d(C, C, K, padding=1)
    layer.weight.data[...] = w
    xt = gb.Tensor(x, requires_grad=True)

    def step(i: int) -> None:
        layer(xt).backward(g)

    return step


def torch_conv():
    import torch

    torch.set_num_threads(torch_threads())
    x, g, w = make_data()
    layer = torch.nn.Conv2d(C, C, K, padding=1)
    xt, gt = torch.from_numpy(x).requires_grad_(), torch.from_numpy(g)

    def step(i: int) -> None:
        layer(xt).backward(gt)

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=10, help="timed calls per repeat")
    args = parser.parse_args()
    builders = {"numpy im2col (by hand)": numpy_conv, "glassbox": glassbox_conv}
    if torch_available():
        builders["pytorch (cpu)"] = torch_conv
    steps = {name: build() for name, build in builders.items()}
    run_comparison(f"Conv2d 3×3 pad 1, {C}→{C} channels, {HW}×{HW}, batch {N}, forward+backward",
                   steps, "numpy im2col (by hand)", args.batches, N)


if __name__ == "__main__":
    main()

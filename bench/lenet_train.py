"""LeNet-5 training throughput: glassbox vs a hand-written NumPy im2col network (and PyTorch
on the CPU when it happens to be installed), in one run.

conv(1→6, 5×5, pad 2)-ReLU-maxpool 2, conv(6→16, 5×5)-ReLU-maxpool 2, fc 400-120-84-10,
softmax cross-entropy, SGD momentum 0.9, batch 64, float32, 28×28 inputs.

    python bench/lenet_train.py [--batches 30]
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import (batches_of, run_comparison, synthetic_mnist, torch_available,  # noqa: E402
                    torch_threads, training_step)
from numpy_cnn import LeNet5  # noqa: E402

import glassbox as gb  # noqa: E402
from glassbox import models, nn, optim  # noqa: E402

BATCH, LR, MOMENTUM = 64, 0.01, 0.9


def numpy_lenet(x: np.ndarray, y: np.ndarray):
    net = LeNet5(LR, MOMENTUM)
    batches = len(x) // BATCH

    def step(i: int) -> None:
        s = (i % batches) * BATCH
        net.step(x[s:s + BATCH], y[s:s + BATCH])

    return step


def glassbox_lenet(x: np.ndarray, y: np.ndarray):
    gb.manual_seed(0)
    model = models.lenet5()
    loss_fn = nn.CrossEntropyLoss()
    opt = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    return training_step(model, loss_fn, opt, *batches_of(x, y, BATCH, gb.Tensor))


def torch_lenet(x: np.ndarray, y: np.ndarray):
    import torch
    from torch import nn as tnn

    torch.manual_seed(0)
    torch.set_num_threads(torch_threads())
    model = tnn.Sequential(
        tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(6, 16, 5), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Flatten(),
        tnn.Linear(400, 120), tnn.ReLU(), tnn.Linear(120, 84), tnn.ReLU(), tnn.Linear(84, 10))
    loss_fn = tnn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    return training_step(model, loss_fn, opt, *batches_of(x, y, BATCH, torch.from_numpy))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=30, help="timed steps per repeat")
    args = parser.parse_args()
    x, y = synthetic_mnist(BATCH * 20, image=True)
    builders = {"numpy im2col (by hand)": numpy_lenet, "glassbox": glassbox_lenet}
    if torch_available():
        builders["pytorch (cpu)"] = torch_lenet
    steps = {name: build(x, y) for name, build in builders.items()}
    run_comparison(f"LeNet-5, batch {BATCH}, SGD momentum, float32", steps,
                   "numpy im2col (by hand)", args.batches, BATCH)


if __name__ == "__main__":
    main()

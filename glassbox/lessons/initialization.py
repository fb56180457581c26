"""Lesson: how the initial weights decide whether a deep network can learn at all.

Course claims (notes, "权重初始化" / vanishing and exploding gradients):

* All-zero weights never break the symmetry: every unit of a layer computes the same
  value and receives the same gradient, so they stay identical however long you train.
* In a deep stack each layer multiplies the activations' spread by about
  √(fan_in · Var(w)) (times ≈ 1/√2 after a ReLU, which zeroes half of them). Weights
  that are too small (N(0, 0.01²)) shrink the activations layer after layer toward 0;
  weights that are too large (N(0, 1)) saturate tanh at ±1 (g' ≈ 0) and blow ReLU
  activations up by orders of magnitude.
* Xavier (Var(w) = 2/(fan_in + fan_out), = 1/n for square layers) keeps tanh activations
  steady; He (Var(w) = 2/fan_in) makes up for ReLU's lost half and keeps ReLU steady.

The experiment: (1) feed standard-normal inputs through 10 layers of the same width with
each initialization and record the activations' standard deviation after every layer;
(2) train each initialization on the 3-class spirals (10 hidden layers of 64 units, SGD
with momentum 0.9 and lr 0.01, full batch) and record the loss curves.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Callable

import numpy as np

from .. import nn
from ..core.grad_mode import no_grad
from ..core.tensor import Tensor
from ..nn import functional as F
from ..nn import init
from ..optim import SGD
from ..random import manual_seed
from .base import LessonResult, figure_path
from .toy_data import spirals

NAME = "initialization"
SUMMARY = "zeros, too small, too large, Xavier and He on deep tanh and ReLU nets: activations and training"

DEPTH = 10

# Each scheme fills one weight matrix in place (biases always start at zero).
SCHEMES: dict[str, Callable[[Tensor], Tensor]] = {
    "zeros": init.zeros_,
    "N(0, 0.01²)": lambda w: init.normal_(w, 0.0, 0.01),
    "N(0, 1)": lambda w: init.normal_(w, 0.0, 1.0),
    "Xavier": init.xavier_normal_,
    "He": lambda w: init.kaiming_normal_(w, nonlinearity="relu"),
}
ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU}


def deep_net(sizes: list[int], activation: str, scheme: str) -> nn.Sequential:
    """Linear layers between the given sizes, ``activation`` after every one but the last
    (when ``sizes`` ends with the classes) — all weights filled by ``scheme``."""
    layers: list[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        linear = nn.Linear(fan_in, fan_out)
        SCHEMES[scheme](linear.weight)
        layers.append(linear)
        layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


def activation_stds(activation: str, scheme: str, width: int, batch: int = 500) -> list[float]:
    """Std of the activations after each of DEPTH layers for standard-normal inputs."""
    net = deep_net([width] * (DEPTH + 1), activation, scheme)
    a = Tensor(np.random.default_rng(0).standard_normal((batch, width)).astype(np.float32))
    stds = []
    with no_grad():
        for layer in net:
            a = layer(a)
            if not isinstance(layer, nn.Linear):  # after each activation g
                stds.append(float(np.std(a.data.astype(np.float64))))
    return stds


def train_curve(activation: str, scheme: str, width: int, steps: int, x: np.ndarray,
                y: np.ndarray, lr: float = 0.01) -> tuple[list[float], float, nn.Sequential]:
    """Full-batch SGD with momentum on the spirals; the loss per step (NaN/inf kept as
    inf) and the final training accuracy."""
    manual_seed(0)
    net = deep_net([2] + [width] * DEPTH, activation, scheme)
    head = nn.Linear(width, 3)
    SCHEMES[scheme](head.weight)
    net.append(head)
    opt = SGD(net.parameters(), lr=lr, momentum=0.9)
    xt, losses = Tensor(x), []
    for _ in range(steps):
        with np.errstate(over="ignore", invalid="ignore"):  # N(0, 1) ReLU nets overflow: that is the point
            loss = F.cross_entropy(net(xt), y)
        value = loss.item()
        losses.append(value if math.isfinite(value) else math.inf)
        if not math.isfinite(value):
            break  # diverged: the weights are NaN from here on
        opt.zero_grad()
        loss.backward()
        opt.step()
    with no_grad(), np.errstate(over="ignore", invalid="ignore"):
        acc = float((net(xt).numpy().argmax(axis=1) == y).mean())
    return losses, acc, net


def unit_spread(net: nn.Sequential) -> float:
    """The largest difference between two units (rows of W, entries of b) of the same hidden
    layer: 0 means every unit of every hidden layer is still a copy of the others."""
    hidden = [m for m in net if isinstance(m, nn.Linear)][:-1]
    spread = 0.0
    for layer in hidden:
        w, b = layer.weight.data, layer.bias.data
        spread = max(spread, float(np.abs(w - w[:1]).max()), float(np.abs(b - b[0]).max()))
    return spread


def _std_ratio(stds: list[float]) -> float | str:
    """max/min of the per-layer stds; with zero weights every std is exactly 0, and 0/0 has
    no value: printing 0 (or 1) there would suggest a spread that does not exist."""
    if min(stds) == 0.0:
        return "undefined (all zero)" if max(stds) == 0.0 else math.inf
    return max(stds) / min(stds)


def run(quick: bool = False, out: Path | None = None) -> LessonResult:
    width, steps, n = (64, 100, 300) if quick else (256, 600, 600)
    x, y = spirals(n, classes=3, noise=0.2, seed=0)
    x = x.astype(np.float32)

    manual_seed(0)
    stds = {(act, s): activation_stds(act, s, width) for act in ACTIVATIONS for s in SCHEMES}
    curves, accs, spreads = {}, {}, {}
    for act in ACTIVATIONS:
        for scheme in SCHEMES:
            losses, acc, net = train_curve(act, scheme, min(width, 64), steps, x, y)
            curves[act, scheme], accs[act, scheme] = losses, acc
            spreads[act, scheme] = unit_spread(net)

    rows = []
    for (act, scheme), s in stds.items():
        losses = curves[act, scheme]
        rows.append([act, scheme, s[0], s[len(s) // 2 - 1], s[-1], _std_ratio(s),
                     losses[-1], accs[act, scheme]])
    values = {
        "stds": {f"{a}/{s}": v for (a, s), v in stds.items()},
        "he_relu_std_ratio": max(stds["relu", "He"]) / min(stds["relu", "He"]),
        "xavier_tanh_std_ratio": max(stds["tanh", "Xavier"]) / min(stds["tanh", "Xavier"]),
        "small_relu_last_std": stds["relu", "N(0, 0.01²)"][-1],
        "small_tanh_last_std": stds["tanh", "N(0, 0.01²)"][-1],
        "large_relu_last_std": stds["relu", "N(0, 1)"][-1],
        "large_tanh_saturated": None,  # filled below
        "zeros_unit_spread": max(spreads["tanh", "zeros"], spreads["relu", "zeros"]),
        "final_loss": {f"{a}/{s}": c[-1] for (a, s), c in curves.items()},
        "train_accuracy": {f"{a}/{s}": v for (a, s), v in accs.items()},
    }
    # share of tanh units at |a| > 0.99 in the last layer with N(0, 1) weights: saturated, g' ≈ 0
    net = deep_net([width] * (DEPTH + 1), "tanh", "N(0, 1)")
    with no_grad():
        a = net(Tensor(np.random.default_rng(0).standard_normal((500, width)).astype(np.float32)))
    values["large_tanh_saturated"] = float((np.abs(a.data) > 0.99).mean())

    headline = (
        f"over {DEPTH} ReLU layers of {width} units, He keeps the activation std within a factor "
        f"{values['he_relu_std_ratio']:.2f}, N(0, 0.01²) shrinks it to {values['small_relu_last_std']:.1e} "
        f"and N(0, 1) blows it up to {values['large_relu_last_std']:.1e}; N(0, 1) saturates "
        f"{values['large_tanh_saturated']:.0%} of the last tanh layer; zero init leaves every hidden unit "
        f"identical (spread {values['zeros_unit_spread']:.0f}) and the spirals at "
        f"{accs['relu', 'zeros']:.0%}, while He/ReLU reaches {accs['relu', 'He']:.0%}"
    )
    result = LessonResult(
        NAME, headline,
        ["net", "init", "std layer 1", f"std layer {DEPTH // 2}", f"std layer {DEPTH}", "max/min std",
         "final loss", "train accuracy"],
        rows, values)

    path = figure_path(out, "initialization_activation_std.png")
    if path is not None:
        from ..plots._mpl import new_figure, save_png

        fig = new_figure(NAME, figsize=(11, 4))
        for ax, act in zip(fig.subplots(1, 2), ACTIVATIONS):
            for scheme in SCHEMES:
                s = np.maximum(stds[act, scheme], 1e-30)  # zeros give std 0: drawn at the bottom
                ax.semilogy(range(1, DEPTH + 1), s, marker="o", label=scheme)
            ax.set(title=f"deep {act} net: activation std per layer", xlabel="layer", ylabel="std")
            ax.legend()
        result.figures.append(save_png(fig, path))
        fig = new_figure(NAME, figsize=(11, 4))
        for ax, act in zip(fig.subplots(1, 2), ACTIVATIONS):
            for scheme in SCHEMES:
                c = np.minimum(curves[act, scheme], 10.0)  # a diverged run is drawn at the top
                ax.plot(c, label=scheme)
            ax.set(title=f"{act}: training loss on the spirals", xlabel="step", ylabel="loss")
            ax.legend()
        result.figures.append(save_png(fig, Path(out) / "initialization_training.png"))
    return result

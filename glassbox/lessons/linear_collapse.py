"""Lesson: without a non-linear activation, a deep network is just one linear layer.

Course claim (notes, "为什么需要非线性激活函数"): if every layer computes
a⁽ˡ⁾ = W⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾ with no activation g in between, then stacking them gives

    a⁽ᴸ⁾ = W⁽ᴸ⁾(⋯(W⁽¹⁾x + b⁽¹⁾)⋯) + b⁽ᴸ⁾ = W x + b,
    W = W⁽ᴸ⁾⋯W⁽²⁾W⁽¹⁾,   b = W⁽ᴸ⁾⋯W⁽²⁾b⁽¹⁾ + ⋯ + W⁽ᴸ⁾b⁽ᴸ⁻¹⁾ + b⁽ᴸ⁾,

a single linear map: depth adds parameters but no expressive power.

The experiment: train a 5-layer network with identity activations on the two-moons
data, multiply its weights out into one (W, b) and check that this single layer gives
the same outputs on fresh random inputs. Then compare accuracies: the deep linear
network does no better than plain logistic regression (a straight decision boundary),
while the same 5 layers with ReLU in between bend the boundary around the moons.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import nn
from ..core.tensor import Tensor
from ..nn import functional as F
from ..optim import Adam
from ..random import manual_seed
from .base import LessonResult, figure_path
from .toy_data import moons, plot_decision_boundary

NAME = "linear-collapse"
SUMMARY = "5 linear layers without activations multiply out to one layer and cannot fit the moons"

WIDTH = 16


def deep_net(activation: type[nn.Module] | None, layers: int = 5, classes: int = 2) -> nn.Sequential:
    """``layers`` Linear layers 2 → 16 → … → 16 → classes, with ``activation`` between them
    (none at all when it is None). float64 so the collapse check is exact to ~1e-15."""
    sizes = [2] + [WIDTH] * (layers - 1) + [classes]
    modules: list[nn.Module] = []
    for i in range(layers):
        modules.append(nn.Linear(sizes[i], sizes[i + 1], dtype=np.float64))
        if activation is not None and i < layers - 1:
            modules.append(activation())
    return nn.Sequential(*modules)


def collapse(model: nn.Sequential) -> tuple[np.ndarray, np.ndarray]:
    """The single (W, b) equal to a stack of Linear layers: fold them in one at a time,
    W ← Wₗ·W and b ← Wₗ·b + bₗ (our layers compute x·Wᵀ + b, so y = x·Wᵀ + b too)."""
    linears = [m for m in model if isinstance(m, nn.Linear)]
    W = np.eye(linears[0].in_features)
    b = np.zeros(linears[0].in_features)
    for layer in linears:
        W = layer.weight.data @ W
        b = layer.weight.data @ b + layer.bias.data
    return W, b


def train(model: nn.Module, x: np.ndarray, y: np.ndarray, steps: int, lr: float = 0.01) -> float:
    """Full-batch Adam on the cross-entropy; returns the training accuracy."""
    opt = Adam(model.parameters(), lr=lr)
    xt = Tensor(x, dtype=np.float64)
    for _ in range(steps):
        loss = F.cross_entropy(model(xt), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return accuracy(model, x, y)


def predict(model: nn.Module, x: np.ndarray) -> np.ndarray:
    return model(Tensor(x, dtype=np.float64)).numpy().argmax(axis=1)


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    return float((predict(model, x) == y).mean())


def run(quick: bool = False, out: Path | None = None) -> LessonResult:
    n, steps = (400, 300) if quick else (1000, 1500)
    x, y = moons(n, noise=0.1, seed=0)
    x = x.astype(np.float64)

    manual_seed(0)
    deep_linear = deep_net(None)
    acc_deep_linear = train(deep_linear, x, y, steps)

    # The collapse: one matrix product gives the whole 5-layer network.
    W, b = collapse(deep_linear)
    probe = np.random.default_rng(1).normal(0, 3, size=(1000, 2))
    deep_out = deep_linear(Tensor(probe, dtype=np.float64)).numpy()
    single_out = probe @ W.T + b
    max_diff = float(np.abs(deep_out - single_out).max())
    rel_diff = max_diff / float(np.abs(deep_out).max())

    # Baselines: one Linear layer (logistic regression) and the same 5 layers with ReLU.
    manual_seed(0)
    single = deep_net(None, layers=1)
    acc_linear = train(single, x, y, steps)
    manual_seed(0)
    deep_relu = deep_net(nn.ReLU)
    acc_relu = train(deep_relu, x, y, steps)

    params_deep = deep_linear.num_parameters()
    rows = [
        ["5 linear layers, no activation", params_deep, acc_deep_linear],
        ["1 linear layer (logistic regression)", single.num_parameters(), acc_linear],
        ["5 linear layers with ReLU", deep_relu.num_parameters(), acc_relu],
    ]
    values = {
        "collapse_max_abs_diff": max_diff,
        "collapse_max_rel_diff": rel_diff,
        "acc_deep_linear": acc_deep_linear,
        "acc_linear": acc_linear,
        "acc_relu": acc_relu,
        "collapsed_weight_shape": tuple(W.shape),
    }
    headline = (
        f"the 5-layer identity-activation net ({params_deep} parameters) equals one 2×2 "
        f"linear layer to {rel_diff:.1e} (relative, float64) and fits the moons no better "
        f"({acc_deep_linear:.1%}) than logistic regression ({acc_linear:.1%}); with ReLU the "
        f"same layers reach {acc_relu:.1%}"
    )
    result = LessonResult(NAME, headline, ["model", "parameters", "train accuracy"], rows, values)

    path = figure_path(out, "linear_collapse.png")
    if path is not None:
        from ..plots._mpl import new_figure, save_png

        fig = new_figure(NAME, figsize=(12, 4))
        for ax, (label, model, acc) in zip(fig.subplots(1, 3), [
                ("5 linear layers", deep_linear, acc_deep_linear),
                ("1 linear layer", single, acc_linear),
                ("5 layers + ReLU", deep_relu, acc_relu)]):
            plot_decision_boundary(ax, lambda p, m=model: predict(m, p), x, y,
                                   title=f"{label}: accuracy {acc:.1%}")
        result.figures.append(save_png(fig, path))
    return result

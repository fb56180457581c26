"""Lesson: sigmoid's gradient vanishes in deep networks; ReLU's does not.

Course claims (notes, "激活函数" and "梯度消失"):

* σ(z) = 1/(1 + e⁻ᶻ) has σ'(z) = σ(z)(1 − σ(z)) ≤ 1/4 (at z = 0), tanh' = 1 − tanh² ≤ 1,
  ReLU' is 1 for z > 0 and 0 otherwise, leaky ReLU' is 1 or α.
* Backpropagation multiplies by g'(z⁽ˡ⁾) once per layer,
      δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾) ⊙ g'(z⁽ˡ⁾),   ∂L/∂W⁽ˡ⁾ = δ⁽ˡ⁾ a⁽ˡ⁻¹⁾ᵀ,
  so with sigmoid every layer shrinks the signal by a factor of about 1/4 (with weights of
  Xavier scale): after 9 layers the first layer's gradient is ~4⁹ ≈ 2.6·10⁵ times smaller
  than the last one's and it barely learns. ReLU with He initialization (Var w = 2/fan_in)
  keeps the signal's size from layer to layer.

The lesson measures (1) the four activations and their derivatives, computed by
glassbox's autodiff; (2) each layer's weight-gradient norm in a 10-layer network at
initialization; (3) what that does to training the same 10-layer network on three
interleaved spirals with plain gradient descent at one shared budget.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import nn
from ..core.tensor import Tensor
from ..nn import functional as F
from ..nn import init
from ..optim import SGD
from ..random import manual_seed
from .base import LessonResult, figure_path
from .toy_data import plot_decision_boundary, spirals

NAME = "activations"
SUMMARY = "sigmoid, tanh, ReLU, leaky ReLU: derivatives, vanishing gradients in 10 layers, training"

DEPTH, WIDTH, CLASSES = 10, 32, 3
LR = 0.05
# (name, layer class, initializer the course pairs with it)
ACTIVATIONS = [
    ("sigmoid", nn.Sigmoid, "xavier"),
    ("tanh", nn.Tanh, "xavier"),
    ("relu", nn.ReLU, "he"),
    ("leaky_relu", nn.LeakyReLU, "he"),
]


def deep_net(activation: type[nn.Module], weight_init: str) -> nn.Sequential:
    """10 Linear layers 2 → 32 → … → 32 → 3 with ``activation`` after all but the last."""
    sizes = [2] + [WIDTH] * (DEPTH - 1) + [CLASSES]
    modules: list[nn.Module] = []
    for i in range(DEPTH):
        layer = nn.Linear(sizes[i], sizes[i + 1])  # He (Kaiming) uniform by default
        if weight_init == "xavier":
            init.xavier_uniform_(layer.weight)      # Var w = 2/(fan_in + fan_out)
        modules.append(layer)
        if i < DEPTH - 1:
            modules.append(activation())
    return nn.Sequential(*modules)


def derivative(activation: type[nn.Module], z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(g(z), g'(z)) by autodiff: the gradient of Σ g(zᵢ) with respect to zᵢ is g'(zᵢ)."""
    zt = Tensor(z, requires_grad=True)
    a = activation()(zt)
    a.sum().backward()
    return a.numpy(), zt.grad.numpy()


def layer_gradient_norms(model: nn.Sequential, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """‖∂L/∂W⁽ˡ⁾‖ for l = 1 (input side) … L (output side), after one backward pass."""
    model.zero_grad()
    F.cross_entropy(model(Tensor(x)), y).backward()
    return np.array([float(np.linalg.norm(m.weight.grad.numpy()))
                     for m in model if isinstance(m, nn.Linear)])


def train(model: nn.Module, x: np.ndarray, y: np.ndarray, steps: int) -> list[float]:
    """Full-batch gradient descent (plain SGD, lr 0.05); the loss after every step."""
    opt = SGD(model.parameters(), lr=LR)
    xt = Tensor(x)
    losses = []
    for _ in range(steps):
        loss = F.cross_entropy(model(xt), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def predict(model: nn.Module, x: np.ndarray) -> np.ndarray:
    return model(Tensor(x)).numpy().argmax(axis=1)


def run(quick: bool = False, out: Path | None = None) -> LessonResult:
    n, steps = (300, 200) if quick else (600, 1500)
    x, y = spirals(n, classes=CLASSES, noise=0.1, seed=0)

    # (1) the curves: notice the peak of σ' is 1/4, tanh' peaks at 1, ReLU' is a step.
    z = np.linspace(-5, 5, 401, dtype=np.float32)
    curves = {name: derivative(act, z) for name, act, _ in ACTIVATIONS}
    max_slope = {name: float(d.max()) for name, (_, d) in curves.items()}

    # (2) gradient norm per layer at initialization, layer 1 = next to the input.
    norms, models = {}, {}
    for name, act, weight_init in ACTIVATIONS:
        manual_seed(0)
        models[name] = deep_net(act, weight_init)
        norms[name] = layer_gradient_norms(models[name], x, y)

    # (3) train each from that same initialization with the same budget.
    histories, accs = {}, {}
    for name, *_ in ACTIVATIONS:
        histories[name] = train(models[name], x, y, steps)
        accs[name] = float((predict(models[name], x) == y).mean())

    rows = []
    for name, act, weight_init in ACTIVATIONS:
        g = norms[name]
        rows.append([name, weight_init, max_slope[name], float(g[0]), float(g[-1]),
                     float(g[-1] / g[0]), float(g.max() / g.min()), histories[name][-1], accs[name]])
    sig = norms["sigmoid"]
    # geometric-mean factor by which the gradient shrinks per layer, output → input
    shrink = float((sig[-1] / sig[0]) ** (1 / (DEPTH - 1)))
    relu_spread = float(norms["relu"].max() / norms["relu"].min())
    values = {
        "max_derivative": max_slope,
        "grad_norms": {k: v.tolist() for k, v in norms.items()},
        "sigmoid_last_over_first": float(sig[-1] / sig[0]),
        "sigmoid_shrink_per_layer": shrink,
        "sigmoid_monotone": bool(np.all(np.diff(sig) > 0)),
        "relu_max_over_min": relu_spread,
        "final_loss": {k: v[-1] for k, v in histories.items()},
        "accuracy": accs,
        "steps": steps,
    }
    headline = (
        f"σ' ≤ {max_slope['sigmoid']:.2f}, so in a 10-layer sigmoid net the gradient shrinks "
        f"{shrink:.1f}× per layer towards the input (layer 1 gets {sig[-1] / sig[0]:.1e}× less than layer 10), while "
        f"ReLU+He keeps all layers within {relu_spread:.1f}×; after {steps} SGD steps on "
        f"spirals ReLU reaches {accs['relu']:.0%} accuracy, sigmoid {accs['sigmoid']:.0%} "
        f"(tanh {accs['tanh']:.0%}, leaky ReLU {accs['leaky_relu']:.0%})"
    )
    columns = ["activation", "init", "max g'", "‖∂L/∂W1‖", "‖∂L/∂W10‖", "W10/W1", "max/min",
               "final loss", "accuracy"]
    result = LessonResult(NAME, headline, columns, rows, values)

    if figure_path(out, "activations_curves.png") is not None:
        result.figures += _figures(out, z, curves, norms, histories, models, accs, x, y)
    return result


def _figures(out: Path, z, curves, norms, histories, models, accs, x, y) -> list[Path]:
    from ..plots._mpl import new_figure, save_png

    paths = []
    fig = new_figure(NAME, figsize=(11, 4))
    ax1, ax2 = fig.subplots(1, 2)
    for name, (a, d) in curves.items():
        ax1.plot(z, a, label=name)
        ax2.plot(z, d, label=name)
    ax2.axhline(0.25, color="gray", ls=":", lw=0.8)
    ax2.text(-5, 0.27, "σ' ≤ 1/4", color="gray", fontsize=8)
    ax1.set_title("activations g(z)")
    ax2.set_title("derivatives g'(z) (autodiff)")
    for ax in (ax1, ax2):
        ax.set_xlabel("z")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    ax1.set_ylim(-1.5, 3)
    paths.append(save_png(fig, figure_path(out, "activations_curves.png")))

    fig = new_figure(NAME, figsize=(11, 4))
    ax1, ax2 = fig.subplots(1, 2)
    layers = np.arange(1, DEPTH + 1)
    for name, g in norms.items():
        ax1.semilogy(layers, g, "o-", label=name)
    ax1.set_xlabel("layer (1 = next to the input)")
    ax1.set_ylabel("‖∂L/∂W‖ at initialization")
    ax1.set_title("gradient norm per layer, 10-layer net")
    ax1.legend(fontsize=8)
    ax1.grid(alpha=0.3, which="both")
    for name, h in histories.items():
        ax2.plot(h, label=f"{name} ({accs[name]:.0%})")
    ax2.set_xlabel("SGD step (full batch, lr 0.05)")
    ax2.set_ylabel("training loss")
    ax2.set_title("training on spirals")
    ax2.legend(fontsize=8)
    ax2.grid(alpha=0.3)
    paths.append(save_png(fig, figure_path(out, "activations_gradients.png")))

    fig = new_figure(NAME, figsize=(14, 3.8))
    for ax, (name, model) in zip(fig.subplots(1, len(models)), models.items()):
        plot_decision_boundary(ax, lambda p, m=model: predict(m, p), x, y,
                               title=f"{name}: {accs[name]:.0%}")
    paths.append(save_png(fig, figure_path(out, "activations_boundaries.png")))
    return paths

"""Lesson: batch normalization lets a deep network train at much larger learning rates.

Course claim (notes, "Batch Normalization"): normalizing each layer's pre-activations over
the mini-batch, ẑ = (z − μ)/√(σ² + ε), then z̃ = γ·ẑ + β, keeps every layer's inputs at a
steady scale whatever the earlier layers do. The loss surface becomes better conditioned,
so the same network tolerates a larger learning rate and trains faster.

The experiment: the same 8-layer ReLU MLP (He initialization) on an MNIST subset, with
and without ``BatchNorm1d`` after each hidden Linear layer, trained by plain SGD for the
same number of steps at several learning rates. For each rate we record the final training
loss; a run "trains" when its loss ends below half of the starting ln 10 ≈ 2.30 (and
"diverges" when the loss becomes NaN or infinite).

Two traps that made earlier versions of this lesson say "stalls" for a BN net that learns:

* The ragged last batch. 5000 = 78 × 64 + 8: without ``drop_last`` every epoch ends with a
  step on 8 images, whose batch μ and σ² are very noisy; at lr ≥ 1 that one step throws the
  weights far off (final loss 1.6–2.0 although the epoch's mean training loss was 0.2–0.3).
  Both nets therefore train on full batches only (``drop_last=True``), the usual practice
  with batch norm.
* Lagging test-time statistics. In eval mode BN uses running averages of μ and σ²
  (momentum 0.1, so they mix the last ~10–20 batches), which can trail weights that move
  fast. The verdict therefore uses the final weights with the BN statistics re-estimated on
  the whole training set (one no-update pass in training mode); the eval-mode loss with
  the running averages is reported beside it. For the plain net the two are the same.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from .. import nn
from ..core.grad_mode import no_grad
from ..core.tensor import Tensor
from ..data import DataLoader, TensorDataset
from ..nn import init
from ..optim import SGD
from ..random import manual_seed
from ..training import TrainingDivergedError, evaluate, fit
from .base import LessonResult, figure_path
from .overfitting import load_data

NAME = "batch-norm"
SUMMARY = "an 8-layer MLP with and without batch norm: training curves and the largest usable learning rate"

DEPTH = 8
WIDTH = 128
TRAINS_BELOW = math.log(10) / 2  # "it trains": the loss ends below half of the initial ln 10


def deep_mlp(batch_norm: bool, depth: int = DEPTH, width: int = WIDTH) -> nn.Sequential:
    """Flatten → (Linear → [BatchNorm1d] → ReLU) × (depth − 1) → Linear, He-initialized.
    With batch norm the hidden Linear layers drop their bias: β takes its place."""
    layers: list[nn.Module] = [nn.Flatten()]
    fan_in = 784
    for _ in range(depth - 1):
        linear = nn.Linear(fan_in, width, bias=not batch_norm)
        init.kaiming_normal_(linear.weight, nonlinearity="relu")
        layers.append(linear)
        if batch_norm:
            layers.append(nn.BatchNorm1d(width))
        layers.append(nn.ReLU())
        fan_in = width
    layers.append(nn.Linear(fan_in, 10))
    return nn.Sequential(*layers)


def recompute_bn_statistics(model: nn.Sequential, x: np.ndarray) -> None:
    """Set every BatchNorm1d's running μ and σ² to the statistics of the whole of ``x`` under
    the current weights: one forward pass in training mode, as a single batch, with momentum 1
    (running = batch), and no gradient — the weights are not touched."""
    bns = [m for m in model if isinstance(m, nn.BatchNorm1d)]
    if not bns:
        return
    was_training, momenta = model.training, [bn.momentum for bn in bns]
    try:
        model.train()
        for bn in bns:
            bn.momentum = 1.0
        with no_grad(), np.errstate(over="ignore", invalid="ignore"):
            model(Tensor(x))
    finally:
        for bn, m in zip(bns, momenta):
            bn.momentum = m
        model.train(was_training)


def train(batch_norm: bool, lr: float, data: tuple, epochs: int) -> dict[str, Any]:
    """SGD at ``lr``; the per-epoch loss (inf once diverged), the eval-mode loss with the
    running statistics, and the final loss with BN statistics re-estimated on ``data``."""
    manual_seed(0)
    model = deep_mlp(batch_norm)
    loader = DataLoader(TensorDataset(*data), batch_size=64, shuffle=True, seed=0, drop_last=True)
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            history = fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr), loader,
                          epochs=epochs, verbose=0, seed=0)
        curve = list(history.history["loss"])
        with np.errstate(over="ignore", invalid="ignore"):
            running = evaluate(model, data, nn.CrossEntropyLoss())["loss"]  # lagging running averages
            recompute_bn_statistics(model, data[0])
            final = evaluate(model, data, nn.CrossEntropyLoss())["loss"]  # statistics of the final weights
    except TrainingDivergedError:
        curve, final, running = [math.inf], math.inf, math.inf
    final = final if math.isfinite(final) else math.inf
    running = running if math.isfinite(running) else math.inf
    return {"curve": curve, "final_loss": final, "eval_loss_running": running,
            "trains": final < TRAINS_BELOW}


def run(quick: bool = False, out: Path | None = None) -> LessonResult:
    n, epochs = (1000, 3) if quick else (5000, 5)
    lrs = (0.01, 0.1, 0.5, 1.0, 2.0) if quick else (0.003, 0.01, 0.03, 0.1, 0.3, 0.5, 1.0, 2.0, 4.0)
    data, _ = load_data(n, 1)

    runs = {(bn, lr): train(bn, lr, data, epochs) for bn in (False, True) for lr in lrs}
    rows = []
    for lr in lrs:
        plain, normed = runs[False, lr], runs[True, lr]
        rows.append([lr, plain["final_loss"], _verdict(plain), normed["final_loss"], _verdict(normed),
                     normed["eval_loss_running"]])

    def largest(bn: bool) -> float:
        ok = [lr for lr in lrs if runs[bn, lr]["trains"]]
        return max(ok) if ok else 0.0

    best_plain = min(runs[False, lr]["final_loss"] for lr in lrs)
    best_bn = min(runs[True, lr]["final_loss"] for lr in lrs)
    # learning rates at which BN trains but the plain net diverges or stalls
    only_bn = [lr for lr in lrs if runs[True, lr]["trains"] and not runs[False, lr]["trains"]]
    values = {
        "lrs": list(lrs),
        "final_loss_plain": {lr: runs[False, lr]["final_loss"] for lr in lrs},
        "final_loss_bn": {lr: runs[True, lr]["final_loss"] for lr in lrs},
        "eval_loss_running_bn": {lr: runs[True, lr]["eval_loss_running"] for lr in lrs},
        "largest_lr_plain": largest(False),
        "largest_lr_bn": largest(True),
        "lrs_only_bn_trains": only_bn,
        "best_loss_plain": best_plain,
        "best_loss_bn": best_bn,
    }
    headline = (
        f"{DEPTH}-layer ReLU MLP, SGD, {epochs} epochs on {n} MNIST images: without batch norm "
        f"the largest learning rate that trains is {values['largest_lr_plain']:g}, with it "
        f"{values['largest_lr_bn']:g}; best final training loss {best_plain:.3f} without vs "
        f"{best_bn:.3f} with batch norm (BN statistics re-estimated on the training set)"
    )
    result = LessonResult(NAME, headline,
                          ["lr", "plain: final loss", "plain", "batch norm: final loss", "batch norm",
                           "batch norm: eval loss, running stats"],
                          rows, values)

    path = figure_path(out, "batch_norm.png")
    if path is not None:
        from ..plots._mpl import new_figure, save_png

        fig = new_figure(NAME, figsize=(12, 4.5))
        ax_curve, ax_lr = fig.subplots(1, 2)
        lr_show = values["largest_lr_plain"] or lrs[0]
        for bn, style in ((False, "--"), (True, "-")):
            for lr in sorted({lr_show, values["largest_lr_bn"] or lrs[0]}):
                c = np.minimum(runs[bn, lr]["curve"], 5.0)
                ax_curve.plot(range(1, len(c) + 1), c, style, marker="o",
                              label=f"{'batch norm' if bn else 'plain'}, lr {lr:g}")
        ax_curve.set(title="training loss per epoch", xlabel="epoch", ylabel="loss")
        ax_curve.legend()
        for bn, label in ((False, "plain"), (True, "batch norm")):
            ax_lr.semilogx(lrs, [min(runs[bn, lr]["final_loss"], 5.0) for lr in lrs], marker="o", label=label)
        ax_lr.semilogx(lrs, [min(runs[True, lr]["eval_loss_running"], 5.0) for lr in lrs], ":", marker="x",
                       label="batch norm, eval mode (running stats)")
        ax_lr.axhline(TRAINS_BELOW, color="grey", lw=0.8, ls=":")
        ax_lr.set(title="final training loss vs learning rate (diverged runs at 5)",
                  xlabel="learning rate", ylabel="loss")
        ax_lr.legend()
        result.figures.append(save_png(fig, path))
    return result


def _verdict(r: dict[str, Any]) -> str:
    if not math.isfinite(r["final_loss"]):
        return "diverged"
    return "trains" if r["trains"] else "stalls"

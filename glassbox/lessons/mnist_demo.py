"""Lesson: the notes' handwritten-digit demo — softmax + cross-entropy, a gradient warning
on the output layer, and the per-layer learning-rate fix.

Course story (notes 04, "识别手写数字Demo"):

1. Classify the digits with a softmax output layer and the cross-entropy loss; print the
   loss every epoch to judge whether training converges. For softmax + cross-entropy the
   output layer's error term is simply δ = ŷ − y.
2. At the start of training a warning appears: the output layer's gradient is too large.
   The output layer's weighted sums are not scaled down, and with a large learning rate
   its weights jump by a large share of themselves at every step.
3. The fix: give the output layer alone a smaller learning rate, 0.1, while the hidden
   layers keep theirs. The warning goes away and the net reaches 95 % within four epochs.

Here: the default MLP (784-256-128-10, ReLU, He init) with plain SGD, batch 32, first with
lr 0.8 for every layer, then with lr 0.8 for the hidden layers and 0.1 for the output
layer (an optimizer parameter group). ``GradientMonitor`` watches every step and reports
warnings by layer name; the accuracy columns are on the training images (what the notes
print) and on the test images.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from .. import nn
from ..models import mlp
from ..optim import SGD
from ..random import manual_seed
from ..training import GradientMonitor, TrainingDivergedError, fit
from .base import LessonResult, figure_path
from .overfitting import load_data

NAME = "mnist-demo"
SUMMARY = "the notes' MNIST demo: softmax + cross-entropy, an output-layer gradient warning, a per-layer lr fix"

LR = 0.8          # for every layer in the first run, for the hidden layers in the second
OUTPUT_LR = 0.1   # the notes' fix: the output layer's own, smaller learning rate
EPOCHS = 4


def train(output_lr: float | None, train_data: tuple, test_data: tuple, epochs: int = EPOCHS
          ) -> dict[str, Any]:
    """Train the default MLP with SGD(LR); ``output_lr`` gives the output layer its own rate."""
    manual_seed(0)
    model = mlp()                       # Flatten, Linear, ReLU, Linear, ReLU, Linear (index 5)
    output_layer = model[5]
    if output_lr is None:
        optimizer = SGD(model.parameters(), lr=LR)
    else:                               # two parameter groups: hidden layers, output layer
        hidden = [p for name, p in model.named_parameters() if not name.startswith("5.")]
        optimizer = SGD([{"params": hidden},
                         {"params": output_layer.parameters(), "lr": output_lr}], lr=LR)
    monitor = GradientMonitor(every=1, warn=False)   # record warnings; the lesson reports them
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            # nn.CrossEntropyLoss applies the softmax to the logits: ŷ = softmax(z), loss −Σ y·log ŷ
            history = fit(model, nn.CrossEntropyLoss(), optimizer, train_data, val_data=test_data,
                          epochs=epochs, batch_size=32, callbacks=[monitor], verbose=0, seed=0).history
    except TrainingDivergedError:
        history = {"loss": [math.inf], "accuracy": [0.0], "val_accuracy": [0.0]}
    warnings = [w for w in monitor.warnings]
    return {
        "loss": list(history["loss"]), "accuracy": list(history["accuracy"]),
        "test_accuracy": list(history["val_accuracy"]),
        "warnings": warnings,
        "output_layer_warned": any(w["kind"] == "exploding" and "output layer" in w["layer"] for w in warnings),
        "first_warning": warnings[0]["message"] if warnings else "",
        "norms": monitor.norms, "steps": monitor.steps,
    }


def run(quick: bool = False, out: Path | None = None) -> LessonResult:
    n_train, n_test = (1500, 2000) if quick else (5000, 10000)
    train_data, test_data = load_data(n_train, n_test)

    same = train(None, train_data, test_data)
    fixed = train(OUTPUT_LR, train_data, test_data)

    rows = []
    for epoch in range(EPOCHS):
        def at(r: dict[str, Any], key: str) -> float:
            return r[key][epoch] if epoch < len(r[key]) else math.nan
        # the notes' "print the loss to judge convergence": one line per epoch, both runs
        rows.append([epoch + 1, at(same, "loss"), at(same, "accuracy"), at(fixed, "loss"),
                     at(fixed, "accuracy"), at(fixed, "test_accuracy")])
    reached = [e + 1 for e, a in enumerate(fixed["accuracy"]) if a >= 0.95]
    values = {
        "n_train": n_train,
        "same_lr_output_warning": same["output_layer_warned"],
        "same_lr_warnings": [(w["kind"], w["layer"], w["step"]) for w in same["warnings"]],
        "same_lr_first_warning": same["first_warning"],
        "fixed_warnings": [(w["kind"], w["layer"], w["step"]) for w in fixed["warnings"]],
        "same_lr_final_accuracy": same["accuracy"][-1],
        "fixed_final_accuracy": fixed["accuracy"][-1],
        "fixed_final_test_accuracy": fixed["test_accuracy"][-1],
        "same_lr_final_loss": same["loss"][-1],
        "fixed_final_loss": fixed["loss"][-1],
        "fixed_losses": fixed["loss"],
        "epoch_reaching_95": reached[0] if reached else None,
    }
    headline = (
        f"SGD lr {LR:g} for every layer: GradientMonitor warns about the output layer "
        f"({'yes' if same['output_layer_warned'] else 'no'}) and after {EPOCHS} epochs training accuracy is "
        f"{same['accuracy'][-1]:.1%}; with the output layer at lr {OUTPUT_LR:g}: "
        f"{len(fixed['warnings'])} warnings, {fixed['accuracy'][-1]:.1%} train / "
        f"{fixed['test_accuracy'][-1]:.1%} test accuracy after {EPOCHS} epochs on {n_train} images"
        + (f" (95 % reached in epoch {reached[0]})" if reached else " (95 % not reached)")
    )
    result = LessonResult(
        NAME, headline,
        ["epoch", f"lr {LR:g}: loss", "train acc", f"output lr {OUTPUT_LR:g}: loss", "train acc", "test acc"],
        rows, values)

    path = figure_path(out, "mnist_demo.png")
    if path is not None:
        from ..plots._mpl import new_figure, save_png

        fig = new_figure(NAME, figsize=(12, 4.5))
        ax_loss, ax_norm = fig.subplots(1, 2)
        for r, label in ((same, f"lr {LR:g} everywhere"), (fixed, f"output layer lr {OUTPUT_LR:g}")):
            ax_loss.plot(range(1, len(r["loss"]) + 1), np.minimum(r["loss"], 10.0), marker="o", label=label)
            name = next((k for k in r["norms"] if "output layer" in k), None)
            if name is not None:
                ax_norm.semilogy(r["steps"], r["norms"][name], lw=0.8, label=label)
        ax_loss.set(title="training loss per epoch", xlabel="epoch", ylabel="cross-entropy")
        ax_loss.legend()
        ax_norm.set(title="output layer: gradient norm per step", xlabel="step", ylabel="‖g‖")
        ax_norm.legend()
        result.figures.append(save_png(fig, path))
    return result

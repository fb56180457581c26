"""Lesson: the learning rate — too small crawls, too large diverges; decay it, and find it.

Course claims (notes, "学习率" and "学习率衰减"):

* gradient descent w ← w − η·∂L/∂w only works for a band of learning rates η: too small
  and the loss barely moves, too large and every step overshoots until the loss
  explodes to inf/NaN (``fit`` stops with ``TrainingDivergedError``);
* decaying η during training — in steps (×½ every so often) or along a cosine from η₀
  to 0 — lets the early steps move fast and the late ones settle;
* a *learning-rate range test* finds a good η in one short run: raise η exponentially
  from tiny to huge over a few hundred batches, record the loss, and pick the rate where
  the loss falls fastest (roughly an order of magnitude below where it is lowest).

All runs train the same small MLP (784-64-10, ReLU, plain SGD, batches of 32) on
mnist-5k from the same initial weights: a 1,000-image subset for 2 epochs in quick
mode, all 5,000 images for 5 epochs in full mode.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .. import nn
from ..core.tensor import Tensor
from ..data import load_mnist
from ..nn import functional as F
from ..optim import SGD, CosineAnnealingLR, StepLR
from ..random import manual_seed
from ..training import LambdaCallback, LRSchedulerCallback, TrainingDivergedError, evaluate, fit
from .base import LessonResult, figure_path

NAME = "learning-rate"
SUMMARY = "learning rate too small / right / too large, step and cosine decay, and the range test"

BATCH = 32
SMALL, RIGHT, LARGE = 0.001, 0.1, 5.0
DECAY_START = 0.2
BLOWUP = 10  # the schedules start higher than RIGHT and end lower


def make_model(hidden: int) -> nn.Sequential:
    manual_seed(0)  # the same initial weights for every run
    return nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 10))


def train(lr: float, data: tuple, test: tuple, epochs: int, hidden: int,
          schedule: str | None = None) -> dict[str, Any]:
    """Train with SGD at ``lr`` (optionally decayed per batch); the per-batch losses, the last
    epoch's mean loss and the test accuracy, or ``diverged`` with the error message."""
    model = make_model(hidden)
    opt = SGD(model.parameters(), lr=lr)
    batch_losses: list[float] = []

    def record(step: int, logs: dict[str, Any]) -> None:
        batch_losses.append(logs["loss"])
        # fit itself stops at an inf/NaN loss; with ReLU the explosion can instead end in
        # dead units and a finite loss, so we also call a jump to 10× the first loss divergence
        if logs["loss"] > BLOWUP * batch_losses[0]:
            raise TrainingDivergedError(
                f"loss {logs['loss']:.3g} at batch {len(batch_losses)} is more than {BLOWUP}× "
                f"the first batch's {batch_losses[0]:.3g} (lr={lr:g}): the training diverged")

    callbacks: list[Any] = [LambdaCallback(on_after_backward=record)]
    total = epochs * -(-len(data[0]) // BATCH)  # optimizer steps in the whole run
    lr_log = None
    if schedule == "step":      # halve the rate every quarter of the run
        lr_log = LRSchedulerCallback(StepLR(opt, step_size=max(1, total // 4), gamma=0.5), per="batch")
    elif schedule == "cosine":  # η_t = η₀·½(1 + cos(πt/T))
        lr_log = LRSchedulerCallback(CosineAnnealingLR(opt, T_max=total), per="batch")
    if lr_log is not None:
        callbacks.append(lr_log)
    try:
        hist = fit(model, nn.CrossEntropyLoss(), opt, data, epochs=epochs, batch_size=BATCH,
                   verbose=0, seed=0, callbacks=callbacks)
    except TrainingDivergedError as err:
        # Notice: the loss was finite for a while and then exploded; fit names the step.
        return {"lr": lr, "diverged": True, "message": str(err), "losses": batch_losses,
                "final_loss": float("nan"), "test_acc": float("nan")}
    return {"lr": lr, "diverged": False, "losses": batch_losses,
            "final_loss": hist.history["loss"][-1],
            "test_acc": evaluate(model, test)["accuracy"],
            "lrs": lr_log.lrs if lr_log is not None else None}


def range_test(data: tuple, steps: int, hidden: int, lr_min: float = 1e-4,
               lr_max: float = 10.0) -> dict[str, Any]:
    """Raise η geometrically from ``lr_min`` to ``lr_max`` over ``steps`` batches, one SGD step
    each, and record the loss; stop once the smoothed loss is 3× its minimum (or not finite)."""
    model = make_model(hidden)
    opt = SGD(model.parameters(), lr=lr_min)
    x, y = data
    rng = np.random.default_rng(0)
    order = np.concatenate([rng.permutation(len(x)) for _ in range(steps * BATCH // len(x) + 1)])
    factor = (lr_max / lr_min) ** (1 / (steps - 1))
    lrs, raw, smooth = [], [], []
    avg, best = 0.0, np.inf
    for t in range(steps):
        lr = lr_min * factor ** t
        opt.param_groups[0]["lr"] = lr
        idx = order[t * BATCH:(t + 1) * BATCH]
        loss = F.cross_entropy(model(Tensor(x[idx])), y[idx])
        value = loss.item()
        if not np.isfinite(value):
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
        # exponential moving average of the loss, bias-corrected like Adam's moments
        avg = 0.9 * avg + 0.1 * value
        s = avg / (1 - 0.9 ** (t + 1))
        lrs.append(lr)
        raw.append(value)
        smooth.append(s)
        best = min(best, s)
        if s > 3 * best:
            break
    lrs_a, smooth_a = np.array(lrs), np.array(smooth)
    # steepest descent of the smoothed loss against log η, ignoring the noisy first tenth
    slope = np.gradient(smooth_a, np.log10(lrs_a))
    lowest = int(np.argmin(smooth_a))
    start = min(max(1, len(slope) // 10), lowest)
    steepest = float(lrs_a[start + int(np.argmin(slope[start:lowest + 1]))])
    at_min = float(lrs_a[lowest])
    return {"lrs": lrs_a, "losses": np.array(raw), "smooth": smooth_a, "steepest": steepest,
            "at_min": at_min, "tenth_of_min": at_min / 10}


def run(quick: bool = False, out: Path | None = None) -> LessonResult:
    (x, y), (xt, yt) = load_mnist(flatten=True, download=False, progress=False)
    if quick:  # a random subset: mnist-5k's training images are sorted by label
        pick = np.random.default_rng(0).permutation(len(x))[:1000]
        x, y, xt, yt = x[pick], y[pick], xt[:2000], yt[:2000]
    epochs, hidden, range_steps = (2, 64, 150) if quick else (5, 64, 300)
    data, test = (x, y), (xt, yt)

    runs = {
        "too small": train(SMALL, data, test, epochs, hidden),
        "right": train(RIGHT, data, test, epochs, hidden),
        "too large": train(LARGE, data, test, epochs, hidden),
        "step decay": train(DECAY_START, data, test, epochs, hidden, schedule="step"),
        "cosine": train(DECAY_START, data, test, epochs, hidden, schedule="cosine"),
    }
    rt = range_test(data, range_steps, hidden)
    suggested = rt["steepest"]
    runs["range-test pick"] = train(suggested, data, test, epochs, hidden)

    rows = []
    for name, r in runs.items():
        how = ("fixed" if r.get("lrs") is None else
               f"{r['lrs'][0]:.2g} → {r['lrs'][-1]:.2g}") if not r["diverged"] else "fixed"
        rows.append([name, r["lr"], how, "DIVERGED" if r["diverged"] else r["final_loss"],
                     "—" if r["diverged"] else r["test_acc"]])
    values: dict[str, Any] = {name: {"lr": r["lr"], "diverged": r["diverged"],
                                     "final_loss": r["final_loss"], "test_acc": r["test_acc"]}
                              for name, r in runs.items()}
    values["range_test"] = {"suggested": suggested, "lr_at_min": rt["at_min"],
                            "tenth_of_min": rt["tenth_of_min"], "stopped_at": float(rt["lrs"][-1])}
    values["diverged_message"] = runs["too large"].get("message", "")
    r = runs
    headline = (
        f"after {epochs} epochs lr {SMALL} leaves the loss at {r['too small']['final_loss']:.2f} "
        f"vs {r['right']['final_loss']:.2f} at lr {RIGHT}; lr {LARGE} "
        + ("diverges (TrainingDivergedError)" if r["too large"]["diverged"] else
           f"ends at {r['too large']['final_loss']:.2f}")
        + f"; step decay / cosine from {DECAY_START} end at {r['step decay']['final_loss']:.2f} / "
        f"{r['cosine']['final_loss']:.2f}; the range test suggests lr {suggested:.2g} (loss lowest "
        f"at {rt['at_min']:.2g}), which reaches {r['range-test pick']['final_loss']:.2f}"
    )
    result = LessonResult(NAME, headline, ["run", "lr", "schedule", "final epoch loss",
                                           "test accuracy"], rows, values)

    if figure_path(out, "learning_rate_curves.png") is not None:
        result.figures += _figures(out, runs, rt)
    return result


def _figures(out: Path, runs: dict[str, dict[str, Any]], rt: dict[str, Any]) -> list[Path]:
    from ..plots._mpl import new_figure, save_png

    fig = new_figure(NAME, figsize=(13, 4.5))
    ax1, ax2 = fig.subplots(1, 2)
    for name, r in runs.items():
        losses = np.asarray(r["losses"], dtype=float)
        if len(losses) == 0:
            continue
        if r["diverged"]:  # a few batches: draw them raw, the explosion is the point
            ax1.plot(losses, "x-", label=f"{name} (lr {r['lr']:.2g}): diverged")
            continue
        smooth = np.convolve(losses, np.ones(10) / 10, mode="valid")
        ax1.plot(smooth, label=f"{name} (lr {r['lr']:.2g})")
    ax1.set_yscale("log")
    ax1.set_xlabel(f"batch ({BATCH} images)")
    ax1.set_ylabel("training loss (10-batch mean)")
    ax1.set_title("learning rate: too small, right, too large, decayed")
    ax1.legend(fontsize=7)
    ax1.grid(alpha=0.3, which="both")

    ax2.plot(rt["lrs"], rt["losses"], alpha=0.3, label="batch loss")
    ax2.plot(rt["lrs"], rt["smooth"], label="smoothed")
    ax2.axvline(rt["steepest"], color="green", ls="--", label=f"steepest fall: {rt['steepest']:.2g}")
    ax2.axvline(rt["at_min"], color="red", ls=":", label=f"lowest loss: {rt['at_min']:.2g}")
    ax2.set_xscale("log")
    ax2.set_xlabel("learning rate (raised every batch)")
    ax2.set_ylabel("loss")
    ax2.set_title("learning-rate range test")
    ax2.legend(fontsize=8)
    ax2.grid(alpha=0.3, which="both")
    return [save_png(fig, figure_path(out, "learning_rate_curves.png"))]

"""Training curves: loss/accuracy per epoch, the learning rate schedule, gradient norms."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from ._mpl import new_figure, save_png


def history_dict(history: Any, fn: str) -> tuple[dict[str, list[Any]], np.ndarray | None]:
    """(metrics dict, 0-based epoch indices or None) from a History, its ``to_dict()``, or a dict."""
    epochs = getattr(history, "epoch", None)
    if hasattr(history, "history"):
        data = history.history
    elif isinstance(history, Mapping) and isinstance(history.get("history"), Mapping):
        data, epochs = history["history"], history.get("epoch")
    elif isinstance(history, Mapping):
        data = history
    else:
        raise TypeError(f"{fn}: expected a History or a dict of per-epoch lists, got {type(history).__name__}")
    epochs = np.asarray(epochs, dtype=np.int64) if epochs is not None and len(epochs) else None
    return dict(data), epochs


def _series(data: Mapping[str, Any], key: str) -> np.ndarray | None:
    v = data.get(key)
    if v is None or np.ndim(v) == 0 or len(v) == 0:
        return None
    return np.asarray(v, dtype=np.float64)


def plot_history(history: Any, path: str | os.PathLike, stopped_epoch: int | None = None,
                 planned_epochs: int | None = None, title: str | None = None) -> Path:
    """Loss (and accuracy, when recorded) per epoch, train vs validation, saved as a PNG.

    Epochs are drawn 1-based. ``test_*`` series (the test set evaluated after each epoch) are
    drawn as "test", never as validation. A dashed green line marks the best epoch (minimum
    ``val_loss``; the test set never chooses one).
    A red dotted line marks an early stop at ``stopped_epoch`` (0-based, like ``History.epoch``
    and Keras' EarlyStopping), taken from the argument, from a ``"stopped_epoch"`` entry in the
    history, or inferred as the last epoch when fewer than ``planned_epochs`` ran.
    """
    fn = "plot_history"
    data, epochs = history_dict(history, fn)
    loss = _series(data, "loss")
    if loss is None:
        raise ValueError(f"{fn}: history has no 'loss' values; keys are {sorted(data)}")
    x = (epochs if epochs is not None and len(epochs) == len(loss) else np.arange(len(loss))) + 1
    if stopped_epoch is None and data.get("stopped_epoch") is not None:
        se = data["stopped_epoch"]
        stopped_epoch = int(se[-1] if np.ndim(se) else se)
    if stopped_epoch is None and planned_epochs is not None and x[-1] < planned_epochs:
        stopped_epoch = int(x[-1]) - 1
    panels = [("loss", "loss")]
    if any(_series(data, k) is not None for k in ("accuracy", "val_accuracy", "test_accuracy")):
        panels.append(("accuracy", "accuracy"))
    fig = new_figure(fn, figsize=(5.5 * len(panels), 4))
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    val_loss = _series(data, "val_loss")
    best = int(np.nanargmin(val_loss)) if val_loss is not None and not np.all(np.isnan(val_loss)) else None
    for ax, (key, label) in zip(axes, panels):
        for prefix, name, style in (("", "train", "o-"), ("val_", "validation", "s-"), ("test_", "test", "^-")):
            y = _series(data, prefix + key)
            if y is not None:
                ax.plot(x[: len(y)], y, style, ms=3, label=name)
        if best is not None:
            ax.axvline(x[best], color="tab:green", ls="--", lw=1,
                       label=f"best epoch {x[best]} (val_loss {val_loss[best]:.4g})")
        if stopped_epoch is not None:
            ax.axvline(stopped_epoch + 1, color="tab:red", ls=":", lw=1.5,
                       label=f"early stop (epoch {stopped_epoch + 1})")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.set_title(label)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        ax.xaxis.get_major_locator().set_params(integer=True)
    if title:
        fig.suptitle(title)
    return save_png(fig, path)


def plot_lr(history_or_lrs: Any, path: str | os.PathLike, title: str = "learning rate") -> Path:
    """The learning rate per epoch (from a history's ``"lr"``) or per step (from a sequence).

    The y axis turns logarithmic when the rate spans more than a factor of 20 (decay schedules).
    """
    fn = "plot_lr"
    if hasattr(history_or_lrs, "history") or isinstance(history_or_lrs, Mapping):
        data, epochs = history_dict(history_or_lrs, fn)
        lrs = _series(data, "lr")
        if lrs is None:
            raise ValueError(f"{fn}: history has no 'lr' values; keys are {sorted(data)}")
        x = (epochs if epochs is not None and len(epochs) == len(lrs) else np.arange(len(lrs))) + 1
        xlabel = "epoch"
    else:
        lrs = np.asarray(history_or_lrs, dtype=np.float64).ravel()
        if lrs.size == 0:
            raise ValueError(f"{fn}: no learning rates to plot")
        x, xlabel = np.arange(lrs.size), "step"
    fig = new_figure(fn, figsize=(6, 3.5))
    ax = fig.subplots()
    ax.plot(x, lrs, ".-" if lrs.size <= 200 else "-")
    positive = lrs[lrs > 0]
    if positive.size and positive.max() / positive.min() > 20:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("lr")
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    return save_png(fig, path)


def plot_gradient_norms(norms_by_layer: Mapping[str, Sequence[float]], path: str | os.PathLike,
                        steps: Sequence[int] | None = None,
                        title: str = "gradient norm per layer") -> Path:
    """One line per layer of ||grad||_2 over training steps, on a log y axis.

    Vanishing gradients show as early layers' lines sitting decades below the later ones;
    exploding ones as lines shooting up. Zeros (and non-finite values) are left out of the log plot.
    """
    fn = "plot_gradient_norms"
    if not norms_by_layer:
        raise ValueError(f"{fn}: norms_by_layer is empty")
    fig = new_figure(fn, figsize=(7, 4))
    ax = fig.subplots()
    for name, norms in norms_by_layer.items():
        y = np.asarray(norms, dtype=np.float64).ravel()
        if steps is not None and len(steps) != y.size:
            raise ValueError(f"{fn}: layer {name!r} has {y.size} norms but {len(steps)} steps")
        x = np.asarray(steps) if steps is not None else np.arange(y.size)
        y = np.where(np.isfinite(y) & (y > 0), y, np.nan)
        ax.plot(x, y, "-" if y.size > 50 else ".-", lw=1.2, label=str(name))
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("gradient L2 norm")
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return save_png(fig, path)

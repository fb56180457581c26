"""``TensorBoard``: training logs as TensorBoard event files (written with tensorboardX).

``fit(..., callbacks=[TensorBoard("runs/tb")])`` — then ``tensorboard --logdir runs/tb`` —
shows, under these tags:

    epoch/<metric>              every number fit logs per epoch (loss, accuracy, val_loss,
                                val_accuracy — test_* for fit(val_name="test") —, lr, time),
                                x axis = epoch (1, 2, ...)
    step/loss                   the batch loss, every ``update_freq`` optimizer steps
    step/accuracy               the epoch's running accuracy so far (as the progress bar)
    step/lr                     the learning rate at that step (schedules change it per step)
    gradients/norm/<layer>      ‖g_l‖ = √(Σ g²) over the layer's parameters   } from
    gradients/update_ratio/<layer>  ‖Δθ_l‖ / ‖θ_l‖ of the optimizer step      } GradientMonitor
    weights/<param>, grads/<param>  histograms, every ``histogram_freq`` epochs
    confusion_matrix, misclassified  images at the end of training, on ``val_data``
    hyperparameters             the HParams dashboard (and a text table) with the final metrics

Layers are named as in ``model.named_modules()`` ("layer1.0.conv1"), parameters as in
``state_dict()``. Gradient norms come from a ``GradientMonitor``: pass the one you already
train with as ``gradient_monitor=``, or the callback runs its own (warnings off), measuring
every ``update_freq`` steps.
"""
from __future__ import annotations

import math
import os
from numbers import Real
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from .callbacks import Callback
from .gradient_monitor import GradientMonitor

_MAX_IMAGES = 25


def _require_writer() -> Any:
    try:
        from tensorboardX import SummaryWriter
    except ImportError:
        raise ImportError("TensorBoard needs the tensorboardX package: "
                          "pip install 'glassbox[tensorboard]'") from None
    return SummaryWriter


def _plain(value: Any) -> Any:
    """A hyperparameter as TensorBoard's HParams plugin takes it: bool, number or string."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, Real):
        return float(value) if not isinstance(value, (int, np.integer)) else int(value)
    return str(value)


class TensorBoard(Callback):
    """Write scalars, gradient statistics, histograms, images and hyperparameters for
    TensorBoard (see the module docstring for the tags).

    Args:
        log_dir: folder for the event files (created); one run per folder.
        update_freq: log step scalars and gradient statistics every this many optimizer
            steps (counted over the whole run).
        histogram_freq: weight/gradient histograms every this many epochs (0: none).
        gradient_monitor: a ``GradientMonitor`` that is also among fit's callbacks, to
            read norms from; None runs a private one (``every=update_freq``, no warnings).
            ``gradients=False`` turns gradient statistics off.
        val_data: ``(x, y)`` for the confusion matrix and misclassified grid at the end
            (class logits models); None skips them.
        class_names: labels for those images.
        hparams: the run's hyperparameters (name → number, string or bool); the model,
            optimizer, lr and epochs are added when not given.
    """

    def __init__(self, log_dir: str | os.PathLike = "runs", update_freq: int = 50,
                 histogram_freq: int = 1, gradient_monitor: GradientMonitor | None = None,
                 gradients: bool = True, val_data: Any = None,
                 class_names: list[str] | None = None, hparams: Mapping[str, Any] | None = None) -> None:
        from .. import validate as check

        self.log_dir = Path(os.fspath(log_dir))
        self.update_freq = check.positive_int(update_freq=update_freq, where="TensorBoard")
        self.histogram_freq = check.non_negative_int(histogram_freq=histogram_freq, where="TensorBoard")
        if val_data is not None and (not isinstance(val_data, (tuple, list)) or len(val_data) != 2):
            raise ValueError(f"TensorBoard: val_data must be a pair (x, y), got {type(val_data).__name__}")
        self.val_data = val_data
        self.class_names = class_names
        self.hparams = dict(hparams or {})
        self.gradients = bool(gradients)
        self._own_monitor = gradient_monitor is None and self.gradients
        self.monitor = (GradientMonitor(every=self.update_freq, first_steps=0, warn=False) if self._own_monitor
                        else gradient_monitor)
        self.writer: Any = None
        self.global_step = 0
        self._monitor_written = 0
        self._last_epoch_logs: dict[str, Any] = {}

    # ---------------------------------------------------------------- set-up
    def set_trainer(self, trainer: Any) -> None:
        super().set_trainer(trainer)
        if self._own_monitor:
            self.monitor.set_trainer(trainer)

    def on_train_begin(self, logs: dict[str, Any]) -> None:
        self.writer = _require_writer()(logdir=str(self.log_dir))
        self.global_step = 0
        self._monitor_written = 0
        if self._own_monitor:
            self.monitor.on_train_begin(logs)

    # ----------------------------------------------------------------- steps
    def on_after_backward(self, batch: int, logs: dict[str, Any]) -> None:
        if self._own_monitor:
            self.monitor.on_after_backward(batch, logs)
        if self.global_step % self.update_freq == 0 and "loss" in logs:
            self.writer.add_scalar("step/loss", float(logs["loss"]), self.global_step)

    def on_batch_end(self, batch: int, logs: dict[str, Any]) -> None:
        if self._own_monitor:
            self.monitor.on_batch_end(batch, logs)
        if self.global_step % self.update_freq == 0:
            if "accuracy" in logs:
                self.writer.add_scalar("step/accuracy", float(logs["accuracy"]), self.global_step)
            lr = self._lr()
            if lr is not None:
                self.writer.add_scalar("step/lr", lr, self.global_step)
        self._write_gradients()
        self.global_step += 1

    def _lr(self) -> float | None:
        groups = getattr(self.optimizer, "param_groups", None)
        return float(groups[0]["lr"]) if groups and "lr" in groups[0] else None

    def _write_gradients(self) -> None:
        """Norms and update ratios of every monitored step whose update is measured."""
        monitor = self.monitor
        if monitor is None or not monitor._layers:
            return
        done = min(len(monitor.steps), *(len(monitor.update_ratios.get(label, ()))
                                        for _, label, _ in monitor._layers))
        for i in range(self._monitor_written, done):
            step = monitor.steps[i]
            for name, label, _ in monitor._layers:
                layer = name or "model"
                self.writer.add_scalar(f"gradients/norm/{layer}", monitor.norms[label][i], step)
                self.writer.add_scalar(f"gradients/update_ratio/{layer}", monitor.update_ratios[label][i], step)
        self._monitor_written = max(self._monitor_written, done)

    # ---------------------------------------------------------------- epochs
    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        step = epoch + 1
        for key, value in logs.items():
            if isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value):
                self.writer.add_scalar(f"epoch/{key}", float(value), step)
        self._last_epoch_logs = dict(logs)
        if self.histogram_freq and step % self.histogram_freq == 0:
            for name, p in self.model.named_parameters():
                self.writer.add_histogram(f"weights/{name}", np.asarray(p.numpy(), dtype=np.float64), step)
                if p.grad is not None:
                    self.writer.add_histogram(f"grads/{name}", np.asarray(p.grad.numpy(), dtype=np.float64), step)
        self._write_gradients()
        self.writer.flush()

    def on_train_end(self, logs: dict[str, Any]) -> None:
        try:
            self._write_gradients()
            if self.val_data is not None:
                self._write_images()
            self._write_hparams()
        finally:
            self.writer.close()

    # ----------------------------------------------------------------- images
    def _write_images(self) -> None:
        from ..metrics import confusion_matrix
        from .fit import predict

        x, y = self.val_data
        x = np.asarray(x.numpy() if hasattr(x, "numpy") else x)
        y = np.asarray(y.numpy() if hasattr(y, "numpy") else y)
        logits = predict(self.model, x)
        if logits.ndim != 2 or y.ndim != 1:
            return  # not class logits with integer labels: no confusion matrix
        pred = logits.argmax(axis=1)
        k = int(max(logits.shape[1], y.max() + 1))
        cm = confusion_matrix(y, pred, num_classes=k)
        step = len(self.trainer.history.epoch) if self.trainer is not None else 0
        wrong = np.flatnonzero(pred != y)[:_MAX_IMAGES]
        figures = _matplotlib_figures(cm, x[wrong], y[wrong], pred[wrong], self.class_names)
        if figures is not None:
            for tag, image in figures.items():
                self.writer.add_image(tag, image, step, dataformats="HWC")
        else:
            self.writer.add_image("confusion_matrix", confusion_image(cm), step, dataformats="HW")
            if len(wrong) and x.ndim == 4:
                self.writer.add_images("misclassified", _unit_range(x[wrong]), step, dataformats="NCHW")
        names = self.class_names or [str(i) for i in range(k)]
        caption = "; ".join(f"{i + 1}: true {names[y[j]]} / pred {names[pred[j]]}" for i, j in enumerate(wrong))
        self.writer.add_text("misclassified", caption or "no mistakes", step)

    # ---------------------------------------------------------- hyperparameters
    def _write_hparams(self) -> None:
        params: dict[str, Any] = {}
        if self.model is not None:
            params["model"] = type(self.model).__name__
            params["num_parameters"] = self.model.num_parameters()
        if self.optimizer is not None:
            params["optimizer"] = type(self.optimizer).__name__
            lr = self._lr()
            if lr is not None:
                params["lr"] = lr
        if self.trainer is not None:
            params["epochs"] = self.trainer.epochs
        params.update(self.hparams)
        params = {k: _plain(v) for k, v in params.items() if v is not None}
        final = {f"hparam/{k}": float(v) for k, v in self._last_epoch_logs.items()
                 if (k in ("loss", "accuracy") or k.endswith(("_loss", "_accuracy")))
                 and isinstance(v, Real) and math.isfinite(v)}
        table = "| hyperparameter | value |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in params.items())
        self.writer.add_text("hyperparameters", table, 0)
        self.writer.add_hparams(params, final, name="hparams")


def confusion_image(cm: Any, cell: int = 16) -> np.ndarray:
    """A (K·cell, K·cell) grey image of a confusion matrix, each row divided by its sum
    (white = all of the true class predicted there), without matplotlib."""
    cm = np.asarray(cm, dtype=np.float64)
    rows = cm.sum(axis=1, keepdims=True)
    frac = np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0)
    return np.kron(frac, np.ones((cell, cell))).astype(np.float32)


def _unit_range(images: np.ndarray) -> np.ndarray:
    lo, hi = float(images.min()), float(images.max())
    return ((images - lo) / (hi - lo) if hi > lo else np.zeros_like(images)).astype(np.float32)


def _matplotlib_figures(cm: np.ndarray, images: np.ndarray, y: np.ndarray, pred: np.ndarray,
                        class_names: list[str] | None) -> dict[str, np.ndarray] | None:
    """The annotated PNGs of ``glassbox.plots`` as HWC uint8 arrays (None without matplotlib)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return None
    import tempfile

    from PIL import Image

    from ..plots import plot_confusion_matrix, plot_misclassified

    out: dict[str, np.ndarray] = {}
    with tempfile.TemporaryDirectory() as tmp:
        paths = {"confusion_matrix": plot_confusion_matrix(cm, Path(tmp) / "cm.png", class_names=class_names)}
        if len(images) and images.ndim in (3, 4):
            paths["misclassified"] = plot_misclassified(images, y, pred, Path(tmp) / "mis.png",
                                                        class_names=class_names)
        for tag, path in paths.items():
            with Image.open(path) as img:
                out[tag] = np.asarray(img.convert("RGB"))
    return out


__all__ = ["TensorBoard", "confusion_image"]

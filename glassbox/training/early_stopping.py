"""``EarlyStopping``: stop when the validation metric stops improving, keep the best weights.

Course notes ("其他正则化方法": early stopping): the training loss keeps falling while
the validation loss turns back up once the network starts to overfit; stopping at the
validation minimum keeps the weights of that epoch. (The notes also warn that it couples
two goals, fitting and not overfitting, in one knob; L2 keeps them separate.)
"""
from __future__ import annotations

from typing import Any

from .callbacks import Callback
from .monitor import improved, metric_value, non_negative, resolve_mode


class EarlyStopping(Callback):
    """Stop training after ``patience`` epochs without improvement of ``monitor``.

    An epoch improves when its value beats the best so far by more than ``min_delta``
    (below it in mode "min", above in "max"; "auto" picks "max" for accuracy-like names).
    Epochs without the metric (skipped by ``validation_freq``) are not counted.

    Args:
        monitor: the logs key to watch, e.g. "val_loss" or "val_accuracy".
        patience: how many epochs in a row without improvement are tolerated.
        min_delta: the smallest change that counts as an improvement.
        mode: "auto", "min" or "max".
        restore_best_weights: at the end of training put back the weights of the best
            epoch (a copy of the model's state is kept each time the metric improves).
        baseline: stop if the metric has not beaten this value after ``patience`` epochs.
        start_from_epoch: epochs to wait before counting (warm-up).

    After training: ``best_epoch`` and ``stopped_epoch`` (0-based, like ``History.epoch``;
    ``stopped_epoch`` is None when training ran to the end), ``best`` (the value), and
    ``history.history["best_epoch"]`` / ``["stopped_epoch"]`` (one-element lists) for
    ``plot_history``, which marks the stop.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 mode: str = "auto", restore_best_weights: bool = True,
                 baseline: float | None = None, start_from_epoch: int = 0) -> None:
        self.monitor = monitor
        self.patience = non_negative(patience, "patience", "EarlyStopping", integer=True)
        self.min_delta = non_negative(min_delta, "min_delta", "EarlyStopping")
        self.mode = resolve_mode(monitor, mode, "EarlyStopping")
        self.restore_best_weights = bool(restore_best_weights)
        self.baseline = None if baseline is None else float(baseline)
        self.start_from_epoch = non_negative(start_from_epoch, "start_from_epoch", "EarlyStopping", integer=True)

    def on_train_begin(self, logs: dict[str, Any]) -> None:
        self.wait = 0
        self.best: float | None = self.baseline
        self.best_epoch: int | None = None
        self.stopped_epoch: int | None = None
        self.best_weights = None
        self.seen_metric = False

    _STATE = ("wait", "best", "best_epoch", "stopped_epoch", "seen_metric")

    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {k: getattr(self, k) for k in self._STATE}
        state["best_weights"] = None if self.best_weights is None else dict(self.best_weights)
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for key in self._STATE:
            setattr(self, key, state[key])
        self.best_weights = state["best_weights"]

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        current = metric_value(logs, self.monitor)
        if current is None or epoch < self.start_from_epoch:
            return
        self.seen_metric = True
        if improved(current, self.best, self.mode, self.min_delta):
            self.best, self.best_epoch, self.wait = current, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.state_dict()  # copies
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.trainer.stop_training = True

    def on_train_end(self, logs: dict[str, Any]) -> None:
        if not self.seen_metric:
            import warnings

            warnings.warn(f"EarlyStopping: the monitored metric {self.monitor!r} never appeared in the "
                          "epoch logs (no validation data?); nothing was monitored", RuntimeWarning,
                          stacklevel=2)
            return
        history = self.trainer.history
        if self.best_epoch is not None:
            history.history["best_epoch"] = [self.best_epoch]
        if self.stopped_epoch is not None:
            history.history["stopped_epoch"] = [self.stopped_epoch]
        if self.restore_best_weights and self.best_weights is not None:
            self.model.load_state_dict(self.best_weights)

    def __repr__(self) -> str:
        return (f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, "
                f"min_delta={self.min_delta:g}, mode={self.mode!r})")

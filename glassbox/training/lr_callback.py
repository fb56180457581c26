"""``LRSchedulerCallback``: drive a learning-rate scheduler from ``fit``."""
from __future__ import annotations

from typing import Any

from ..optim.lr_scheduler import ReduceLROnPlateau
from .callbacks import Callback
from .monitor import metric_value


class LRSchedulerCallback(Callback):
    """Call ``scheduler.step()`` once per epoch (``per="epoch"``) or per batch (``per="batch"``).

    * per epoch: after each epoch; ``ReduceLROnPlateau`` gets the epoch's ``monitor``
      value (epochs without it, e.g. skipped by ``validation_freq``, are not counted).
    * per batch: the scheduler's t counts optimizer steps. Each batch's step is taken
      just before the next batch (and the last one at the end of training), so the
      learning rate ``fit`` records in the history for an epoch is the one its last batch
      used, and every batch k of the run uses the rate at t = k.

    ``fit`` logs the first group's rate as ``lr`` each epoch; ``lrs`` here holds every
    rate used, one entry per epoch or per batch (``plot_lr(callback.lrs, ...)``), and
    ``group_lrs`` the same for every parameter group.
    """

    def __init__(self, scheduler: Any, per: str = "epoch", monitor: str = "val_loss") -> None:
        if per not in ("epoch", "batch"):
            raise ValueError(f"LRSchedulerCallback: per must be 'epoch' or 'batch', got {per!r}")
        if not hasattr(scheduler, "step") or not hasattr(scheduler, "optimizer"):
            raise TypeError(f"LRSchedulerCallback: expected a learning-rate scheduler, got "
                            f"{type(scheduler).__name__}")
        self.plateau = isinstance(scheduler, ReduceLROnPlateau)
        if self.plateau and per == "batch":
            raise ValueError("LRSchedulerCallback: ReduceLROnPlateau steps on a metric once per epoch; "
                             "use per='epoch'")
        self.scheduler, self.per, self.monitor = scheduler, per, monitor
        self.lrs: list[float] = []
        self.group_lrs: list[list[float]] = []

    def on_train_begin(self, logs: dict[str, Any]) -> None:
        if self.trainer is not None and self.scheduler.optimizer is not self.trainer.optimizer:
            raise ValueError("LRSchedulerCallback: the scheduler was built for another optimizer than "
                             "the one fit uses")
        self._pending = False

    def state_dict(self) -> dict[str, Any]:
        return {"scheduler": self.scheduler.state_dict(), "pending": self._pending,
                "lrs": list(self.lrs), "group_lrs": [list(g) for g in self.group_lrs]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.scheduler.load_state_dict(state["scheduler"])
        self._pending = bool(state["pending"])
        self.lrs, self.group_lrs = list(state["lrs"]), [list(g) for g in state["group_lrs"]]

    def _record(self) -> None:
        rates = [float(g["lr"]) for g in self.scheduler.optimizer.param_groups]
        self.group_lrs.append(rates)
        self.lrs.append(rates[0])

    def on_batch_begin(self, batch: int, logs: dict[str, Any]) -> None:
        if self.per != "batch":
            return
        if self._pending:
            self.scheduler.step()
        self._pending = True
        self._record()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any]) -> None:
        if self.per == "epoch" and not logs.get("resumed_at_step"):  # recorded before the kill
            self._record()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        if self.per != "epoch":
            return
        if self.plateau:
            value = metric_value(logs, self.monitor)
            if value is not None:
                self.scheduler.step(value)
        else:
            self.scheduler.step()

    def on_train_end(self, logs: dict[str, Any]) -> None:
        if self.per == "batch" and self._pending:
            self.scheduler.step()
            self._pending = False

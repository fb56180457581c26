"""``ModelCheckpoint``: save the model (and optimizer) during training, atomically.

Every file it writes also holds the trainer's state (where in the run, the loader's
position, the schedulers' and early stopping's states, the random state), so
``fit(..., resume="<folder>/last.npz")`` continues an interrupted run bit for bit.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

from .callbacks import Callback
from .checkpoint import save_checkpoint
from .monitor import improved, metric_value, non_negative, resolve_mode


class ModelCheckpoint(Callback):
    """Write checkpoints (``save_checkpoint``: weights, optimizer, epoch, history; atomic).

    Two layouts:

    * ``path`` is a folder (no ``.npz`` suffix): ``<folder>/best.npz`` each time ``monitor``
      improves, and ``<folder>/last.npz`` after every epoch (unless ``save_last=False``).
    * ``path`` is a file name ending in ``.npz``, possibly with fields filled from the
      epoch's logs, e.g. ``"ckpt-{epoch:02d}-{val_loss:.3f}.npz"`` (``epoch`` 1-based):
      written after every epoch, or only when ``monitor`` improves with ``save_best_only``.

    Epochs without the metric (skipped by ``validation_freq``) never count as best;
    ``monitor=None`` keeps no best file at all (e.g. when the only evaluation data is the
    test set, which must not choose the model).

    ``every_n_steps=N`` also writes ``last.npz`` (folder layout) after every N optimizer
    steps, so a kill in a long epoch loses at most N steps. ModelCheckpoint runs after the
    other callbacks at each hook (``order = 100``), so what it saves includes their updates.
    A write that fails (a full disk) raises ``OSError`` naming the file; the previous file
    of that name is intact (the writes are atomic).

    Attributes after training: ``best`` (value), ``best_epoch`` (0-based), ``best_path``,
    ``last_path``, and ``saved`` (every path written, in order).
    """

    order = 100

    def __init__(self, path: str | os.PathLike, monitor: str | None = "val_loss", mode: str = "auto",
                 save_best_only: bool = False, save_last: bool = True, min_delta: float = 0.0,
                 save_optimizer: bool = True, config: dict[str, Any] | None = None,
                 every_n_steps: int | None = None, extra: dict[str, Any] | None = None) -> None:
        self.path = Path(path)
        self.monitor = monitor
        self.mode = resolve_mode(monitor, mode, "ModelCheckpoint") if monitor is not None else None
        if every_n_steps is not None:
            if isinstance(every_n_steps, bool) or not isinstance(every_n_steps, int) or every_n_steps < 1:
                raise ValueError(f"ModelCheckpoint: every_n_steps must be a positive integer, got {every_n_steps!r}")
        self.every_n_steps = every_n_steps
        self.extra = extra
        self.save_best_only = bool(save_best_only)
        self.save_last = bool(save_last)
        self.min_delta = non_negative(min_delta, "min_delta", "ModelCheckpoint")
        self.save_optimizer = bool(save_optimizer)
        self.config = config
        self.is_folder = self.path.suffix.lower() != ".npz"
        if every_n_steps is not None and not self.is_folder:
            raise ValueError("ModelCheckpoint: every_n_steps needs the folder layout (a path without .npz)")
        if monitor is None and save_best_only:
            raise ValueError("ModelCheckpoint: save_best_only needs a monitor")
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.best_path: Path | None = None
        self.last_path: Path | None = None
        self.saved: list[Path] = []

    def on_train_begin(self, logs: dict[str, Any]) -> None:
        self._seen_metric = False

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch, "seen_metric": self._seen_metric,
                "best_path": None if self.best_path is None else str(self.best_path)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.best_epoch = state["best"], state["best_epoch"]
        self._seen_metric = bool(state["seen_metric"])
        self.best_path = None if state.get("best_path") is None else Path(state["best_path"])

    def _save(self, path: Path, epoch: int) -> Path:
        written = save_checkpoint(path, self.model, self.optimizer if self.save_optimizer else None,
                                  epoch=epoch, history=self.trainer.history, config=self.config,
                                  extra=self.extra, trainer_state=self.trainer.state_dict())
        self.saved.append(written)
        return written

    def on_batch_end(self, batch: int, logs: dict[str, Any]) -> None:
        if self.every_n_steps and self.trainer.global_step % self.every_n_steps == 0:
            last = self.trainer.steps is not None and batch + 1 >= self.trainer.steps
            if not last:  # the end of the epoch writes it anyway, with the epoch's metrics
                self.last_path = self._save(self.path / "last.npz", self.trainer.epoch)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        epoch_count = epoch + 1
        current = metric_value(logs, self.monitor) if self.monitor is not None else None
        is_best = current is not None and improved(current, self.best, self.mode, self.min_delta)
        if current is not None:
            self._seen_metric = True
        if is_best:
            self.best, self.best_epoch = current, epoch
        if self.is_folder:
            if is_best:
                self.best_path = self._save(self.path / "best.npz", epoch_count)
            if self.save_last:
                self.last_path = self._save(self.path / "last.npz", epoch_count)
            return
        if self.save_best_only and not is_best:
            return
        fields = {k: v for k, v in logs.items()}
        fields["epoch"] = epoch + 1
        try:
            target = Path(str(self.path).format(**fields))
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"ModelCheckpoint: cannot fill the file name {str(self.path)!r} from the "
                             f"epoch logs (keys: epoch, {', '.join(logs)}): {exc!r}") from None
        written = self._save(target, epoch_count)
        self.last_path = written
        if is_best:
            self.best_path = written

    def on_train_end(self, logs: dict[str, Any]) -> None:
        if self.monitor is not None and not self._seen_metric and (self.is_folder or self.save_best_only):
            warnings.warn(f"ModelCheckpoint: the monitored metric {self.monitor!r} never appeared in "
                          "the epoch logs (no validation data?), so no best checkpoint was saved",
                          RuntimeWarning, stacklevel=2)

    def __repr__(self) -> str:
        return f"ModelCheckpoint({str(self.path)!r}, monitor={self.monitor!r}, mode={self.mode!r})"

"""``ModelCheckpoint``: save the model (and optimizer) during training, atomically."""
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

    Epochs without the metric (skipped by ``validation_freq``) never count as best.

    Attributes after training: ``best`` (value), ``best_epoch`` (0-based), ``best_path``,
    ``last_path``, and ``saved`` (every path written, in order).
    """

    def __init__(self, path: str | os.PathLike, monitor: str = "val_loss", mode: str = "auto",
                 save_best_only: bool = False, save_last: bool = True, min_delta: float = 0.0,
                 save_optimizer: bool = True, config: dict[str, Any] | None = None) -> None:
        self.path = Path(path)
        self.monitor = monitor
        self.mode = resolve_mode(monitor, mode, "ModelCheckpoint")
        self.save_best_only = bool(save_best_only)
        self.save_last = bool(save_last)
        self.min_delta = non_negative(min_delta, "min_delta", "ModelCheckpoint")
        self.save_optimizer = bool(save_optimizer)
        self.config = config
        self.is_folder = self.path.suffix.lower() != ".npz"
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.best_path: Path | None = None
        self.last_path: Path | None = None
        self.saved: list[Path] = []

    def on_train_begin(self, logs: dict[str, Any]) -> None:
        self._seen_metric = False

    def _save(self, path: Path, epoch: int) -> Path:
        written = save_checkpoint(path, self.model, self.optimizer if self.save_optimizer else None,
                                  epoch=epoch + 1, history=self.trainer.history, config=self.config)
        self.saved.append(written)
        return written

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        current = metric_value(logs, self.monitor)
        is_best = current is not None and improved(current, self.best, self.mode, self.min_delta)
        if current is not None:
            self._seen_metric = True
        if is_best:
            self.best, self.best_epoch = current, epoch
        if self.is_folder:
            if is_best:
                self.best_path = self._save(self.path / "best.npz", epoch)
            if self.save_last:
                self.last_path = self._save(self.path / "last.npz", epoch)
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
        written = self._save(target, epoch)
        self.last_path = written
        if is_best:
            self.best_path = written

    def on_train_end(self, logs: dict[str, Any]) -> None:
        if not self._seen_metric and (self.is_folder or self.save_best_only):
            warnings.warn(f"ModelCheckpoint: the monitored metric {self.monitor!r} never appeared in "
                          "the epoch logs (no validation data?), so no best checkpoint was saved",
                          RuntimeWarning, stacklevel=2)

    def __repr__(self) -> str:
        return f"ModelCheckpoint({str(self.path)!r}, monitor={self.monitor!r}, mode={self.mode!r})"

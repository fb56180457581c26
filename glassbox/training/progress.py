"""A dependency-free progress bar for ``fit`` (Keras-style ``verbose``).

* ``verbose=0``: silent.
* ``verbose=1``: on a terminal, one line per epoch redrawn in place with ``\\r`` (at
  most ~10 times a second) showing batch i/n, running loss and accuracy, throughput
  and ETA, replaced at the end of the epoch by its summary line. When the stream is
  not a terminal (a pipe, a CI log) only the summary lines are printed.
* ``verbose=2``: only the summary line of each epoch.
"""
from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from .callbacks import Callback

# How log keys are shown; other numeric keys are printed under their own name.
_SHORT = {"loss": "loss", "accuracy": "acc"}
_HIDDEN = {"time", "lr", "samples_per_sec"}


def format_duration(seconds: float) -> str:
    """``42s``, ``3m05s``, ``1h02m``: short enough for an ETA."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"


def format_metrics(logs: dict[str, Any], val_label: str = "val") -> str:
    """``loss 0.1234  acc 0.9651  val_loss 0.2000  val_acc 0.9400`` from a logs dict."""
    parts = []
    for key, value in logs.items():
        if key in _HIDDEN or not isinstance(value, (int, float)) or isinstance(value, bool):
            continue
        name = key
        if key.startswith("val_"):
            base = key[4:]
            name = f"{val_label}_{_SHORT.get(base, base)}"
        else:
            name = _SHORT.get(key, key)
        parts.append(f"{name} {value:.4f}")
    return "  ".join(parts)


class ProgressBar(Callback):
    """Prints training progress to ``stream`` (default ``sys.stdout``).

    Args:
        verbose: 0 silent, 1 bar + summary (bar only on a terminal), 2 summary only.
        stream: where to write.
        val_label: the name shown for validation metrics (e.g. "test" when the
            validation data is the test set).
        width: characters of the bar itself.
        refresh: minimum seconds between two redraws of the bar.
    """

    def __init__(self, verbose: int = 1, stream: TextIO | None = None, val_label: str = "val",
                 width: int = 24, refresh: float = 0.1) -> None:
        if verbose not in (0, 1, 2):
            raise ValueError(f"ProgressBar: verbose must be 0, 1 or 2, got {verbose!r}")
        self.verbose = verbose
        self.stream = stream
        self.val_label = val_label
        self.width = width
        self.refresh = refresh
        self._last_len = 0

    # The stream is looked up when used, so pytest's capsys (which swaps sys.stdout) works.
    @property
    def out(self) -> TextIO:
        return self.stream if self.stream is not None else sys.stdout

    def _is_tty(self) -> bool:
        isatty = getattr(self.out, "isatty", None)
        try:
            return bool(isatty and isatty())
        except (ValueError, OSError):  # closed stream
            return False

    def on_train_begin(self, logs: dict[str, Any]) -> None:
        self.live = self.verbose == 1 and self._is_tty()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any]) -> None:
        self.epoch = epoch
        self.start = time.perf_counter()
        self.last_draw = float("-inf")  # the first batch is always drawn
        self.seen = 0
        self._last_len = 0

    def on_batch_end(self, batch: int, logs: dict[str, Any]) -> None:
        # samples seen by all ranks (data-parallel: equal shards, so rank's count × ranks)
        self.seen = logs.get("seen", self.seen) * getattr(self.trainer, "world_size", 1)
        if not self.live:
            return
        now = time.perf_counter()
        steps = self.trainer.steps if self.trainer is not None else None
        last = steps is not None and batch + 1 >= steps
        if now - self.last_draw < self.refresh and not last:
            return
        self.last_draw = now
        self._draw(self._bar_line(batch + 1, steps, now - self.start, logs))

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        if self.verbose == 0:
            return
        elapsed = logs.get("time", time.perf_counter() - self.start)
        rate = self.seen / elapsed if elapsed > 0 else 0.0
        line = (f"{self._epoch_label()}  {format_duration(elapsed) if elapsed >= 1 else f'{elapsed:.2f}s'}"
                f"  {rate:,.0f} img/s  {format_metrics(logs, self.val_label)}")
        if self.live:
            self._draw(line)
            self.out.write("\n")
        else:
            self.out.write(line + "\n")
        self.out.flush()

    # ---------------------------------------------------------------- drawing
    def _epoch_label(self) -> str:
        epochs = self.trainer.epochs if self.trainer is not None else None
        return f"Epoch {self.epoch + 1}/{epochs}" if epochs else f"Epoch {self.epoch + 1}"

    def _bar_line(self, done: int, steps: int | None, elapsed: float, logs: dict[str, Any]) -> str:
        rate = self.seen / elapsed if elapsed > 0 else 0.0
        metrics = format_metrics({k: logs[k] for k in ("loss", "accuracy") if k in logs})
        if steps:
            filled = int(self.width * min(done, steps) / steps)
            arrow = ">" if filled < self.width else ""
            bar = "[" + "=" * filled + arrow + "." * (self.width - filled - len(arrow)) + "]"
            eta = elapsed / done * (steps - done) if done else 0.0
            return (f"{self._epoch_label()}  {bar} {done}/{steps}  {metrics}  "
                    f"{rate:,.0f} img/s  ETA {format_duration(eta)}")
        return f"{self._epoch_label()}  {done} batches  {metrics}  {rate:,.0f} img/s"

    def _draw(self, line: str) -> None:
        pad = max(0, self._last_len - len(line))  # blank out the rest of a longer previous line
        self.out.write("\r" + line + " " * pad)
        self.out.flush()
        self._last_len = len(line)

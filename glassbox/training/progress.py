"""The progress bar of ``fit`` (Keras-style ``verbose``), drawn by tqdm.

* ``verbose=0``: silent.
* ``verbose=1``: on a terminal, a tqdm bar per epoch that fits the terminal's width
  (batch i/n, running loss and accuracy, rate, ETA), replaced at the end of the epoch by its
  summary line; in Jupyter, tqdm's notebook widget. When the stream is neither (a pipe, a
  CI log) only the summary lines are printed.
* ``verbose=2``: only the summary line of each epoch.

tqdm does the drawing (terminal width, throttling, notebooks); this class only adds what
tqdm does not know about: the Keras-style per-epoch summary line with the epoch's metrics
and throughput, and the "print only summaries when not interactive" rule.
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
    """``loss 0.1234  acc 0.9651  val_loss 0.2000  val_acc 0.9400`` from a logs dict
    (``val_*`` keys shown as ``<val_label>_*``; ``test_*`` keys as they are)."""
    parts = []
    for key, value in logs.items():
        if key in _HIDDEN or not isinstance(value, (int, float)) or isinstance(value, bool):
            continue
        name = key
        prefix, _, base = key.partition("_")
        if prefix in ("val", "test") and base:
            name = f"{val_label if prefix == 'val' else prefix}_{_SHORT.get(base, base)}"
        else:
            name = _SHORT.get(key, key)
        parts.append(f"{name} {value:.4f}")
    return "  ".join(parts)


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (where tqdm.auto draws a widget)."""
    shell = sys.modules.get("IPython")
    try:
        ip = shell.get_ipython() if shell is not None else None  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001
        return False
    return ip is not None and "IPKernelApp" in getattr(ip, "config", {})


class ProgressBar(Callback):
    """Prints training progress to ``stream`` (default ``sys.stdout``).

    Args:
        verbose: 0 silent, 1 bar + summary (bar only on a terminal or in a notebook),
            2 summary only.
        stream: where to write.
        val_label: the name shown for validation metrics (e.g. "test" when the
            validation data is the test set).
        width: the bar line's width in characters; None fits the terminal (and follows
            its resizing).
        refresh: minimum seconds between two redraws of the bar.
    """

    def __init__(self, verbose: int = 1, stream: TextIO | None = None, val_label: str = "val",
                 width: int | None = None, refresh: float = 0.1) -> None:
        if verbose not in (0, 1, 2):
            raise ValueError(f"ProgressBar: verbose must be 0, 1 or 2, got {verbose!r}")
        self.verbose = verbose
        self.stream = stream
        self.val_label = val_label
        self.width = width
        self.refresh = refresh
        self._bar: Any = None

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
        self.notebook = self.verbose == 1 and self.stream is None and _in_notebook()
        self.live = self.verbose == 1 and (self._is_tty() or self.notebook)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any]) -> None:
        self.epoch = epoch
        self.start = time.perf_counter()
        self.seen = 0
        if self.live:
            if self.notebook:
                from tqdm.auto import tqdm
            else:
                from tqdm import tqdm
            steps = self.trainer.steps if self.trainer is not None else None
            self._bar = tqdm(total=steps, initial=logs.get("resumed_at_step", 0), desc=self._epoch_label(),
                             file=None if self.notebook else self.out, leave=False,
                             dynamic_ncols=self.width is None, ncols=self.width,
                             mininterval=self.refresh, unit="batch")

    def on_batch_end(self, batch: int, logs: dict[str, Any]) -> None:
        # samples seen by all ranks (data-parallel: equal shards, so rank's count × ranks)
        self.seen = logs.get("seen", self.seen) * getattr(self.trainer, "world_size", 1)
        if self._bar is None:
            return
        self._bar.set_postfix_str(format_metrics({k: logs[k] for k in ("loss", "accuracy") if k in logs}),
                                  refresh=False)
        self._bar.update(1)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        if self._bar is not None:
            self._bar.close()  # leave=False: the bar's line is cleared
            self._bar = None
        if self.verbose == 0:
            return
        elapsed = logs.get("time", time.perf_counter() - self.start)
        rate = self.seen / elapsed if elapsed > 0 else 0.0
        line = (f"{self._epoch_label()}  {format_duration(elapsed) if elapsed >= 1 else f'{elapsed:.2f}s'}"
                f"  {rate:,.0f} img/s  {format_metrics(logs, self.val_label)}")
        self.out.write(line + "\n")
        self.out.flush()

    def on_train_end(self, logs: dict[str, Any]) -> None:
        if self._bar is not None:  # training stopped inside an epoch
            self._bar.close()
            self._bar = None

    def _epoch_label(self) -> str:
        epochs = self.trainer.epochs if self.trainer is not None else None
        return f"Epoch {self.epoch + 1}/{epochs}" if epochs else f"Epoch {self.epoch + 1}"

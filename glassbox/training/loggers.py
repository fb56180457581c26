"""``CSVLogger`` and ``JSONLogger``: the epoch metrics on disk, rewritten atomically every epoch.

Each epoch the whole file is written again to a temporary file and renamed over the old
one (``atomic.py``), so a crash never leaves a half-written line and a reader (a plot
script polling the file) always sees a complete file. New metrics appearing later (e.g.
validation only every few epochs) simply add a column; missing values are left empty
(CSV) or ``null`` (JSON). NaN and ±inf are written as ``nan``/``inf`` in CSV and ``null``
in JSON (which has no such numbers).
"""
from __future__ import annotations

import csv
import io
import json
import math
import numbers
import os
from pathlib import Path
from typing import Any

from .atomic import atomic_write_bytes, atomic_write_json
from .callbacks import Callback


def _scalar(value: Any) -> Any:
    """A plain Python number/str for a log value; None for what cannot be written."""
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, str):
        return value
    item = getattr(value, "item", None)
    if item is not None and getattr(value, "size", 2) == 1:
        return _scalar(item())
    return None


class _EpochLogger(Callback):
    def __init__(self, path: str | os.PathLike, append: bool = False) -> None:
        self.path = Path(path)
        self.append = bool(append)
        self.rows: list[dict[str, Any]] = []

    def on_train_begin(self, logs: dict[str, Any]) -> None:
        self.rows = self._read_existing() if self.append and self.path.exists() else []

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        row: dict[str, Any] = {"epoch": epoch}
        for key, value in logs.items():
            v = _scalar(value)
            if v is not None and key != "epoch":
                row[key] = v
        self.rows.append(row)
        self._write()

    def _read_existing(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _write(self) -> None:
        raise NotImplementedError


class CSVLogger(_EpochLogger):
    """One row per epoch: ``epoch`` (0-based, like ``History.epoch``) then every metric.

    Args:
        path: the CSV file.
        separator: the field separator.
        append: keep the rows already in the file (resuming a run) instead of starting over.
    """

    def __init__(self, path: str | os.PathLike, separator: str = ",", append: bool = False) -> None:
        super().__init__(path, append)
        self.separator = separator

    def _columns(self) -> list[str]:
        cols = ["epoch"]
        for row in self.rows:
            cols += [k for k in row if k not in cols]
        return cols

    def _write(self) -> None:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=self._columns(), delimiter=self.separator,
                                restval="", lineterminator="\n")
        writer.writeheader()
        for row in self.rows:
            writer.writerow({k: (repr(v) if isinstance(v, float) and not math.isfinite(v) else v)
                             for k, v in row.items()})
        atomic_write_bytes(self.path, buf.getvalue().encode("utf-8"))

    def _read_existing(self) -> list[dict[str, Any]]:
        with open(self.path, newline="", encoding="utf-8") as f:
            rows = []
            for raw in csv.DictReader(f, delimiter=self.separator):
                row: dict[str, Any] = {}
                for k, v in raw.items():
                    if v in ("", None):
                        continue
                    try:
                        row[k] = int(v) if k == "epoch" else float(v)
                    except ValueError:
                        row[k] = v
                rows.append(row)
            return rows


class JSONLogger(_EpochLogger):
    """``{"epochs": [{"epoch": 0, "loss": ..., ...}, ...]}``, rewritten after every epoch."""

    def _write(self) -> None:
        clean = [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}
                 for row in self.rows]
        atomic_write_json(self.path, {"epochs": clean})

    def _read_existing(self) -> list[dict[str, Any]]:
        data = json.loads(self.path.read_text(encoding="utf-8"))
        return list(data.get("epochs", [])) if isinstance(data, dict) else []

"""Shared by EarlyStopping, ModelCheckpoint and the LR callback: reading a monitored metric.

``mode="auto"`` means "max" for metrics that grow when the model gets better (accuracy,
precision, recall, F1, AUC) and "min" for everything else (losses, errors).
"""
from __future__ import annotations

import math
import numbers
from typing import Any

_MAX_HINTS = ("acc", "precision", "recall", "f1", "auc", "iou")


def resolve_mode(monitor: str, mode: str, where: str) -> str:
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{where}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    name = monitor.lower()
    return "max" if any(h in name for h in _MAX_HINTS) else "min"


def improved(current: float, best: float | None, mode: str, min_delta: float = 0.0) -> bool:
    """True when ``current`` beats ``best`` by more than ``min_delta`` (any value beats None)."""
    if best is None:
        return True
    return current < best - min_delta if mode == "min" else current > best + min_delta


def metric_value(logs: dict[str, Any], monitor: str) -> float | None:
    """The monitored value of this epoch, or None when it was not computed (e.g. an epoch that
    ``validation_freq`` skipped) or is NaN."""
    value = logs.get(monitor)
    if value is None or isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    value = float(value)
    return None if math.isnan(value) else value


def non_negative(value: Any, name: str, where: str, integer: bool = False) -> Any:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value) and value >= 0
    if ok and integer:
        ok = float(value).is_integer()
    if not ok:
        raise ValueError(f"{where}: {name} must be a non-negative {'integer' if integer else 'number'}, "
                         f"got {value!r}")
    return int(value) if integer else float(value)

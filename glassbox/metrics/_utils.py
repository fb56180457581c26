"""Shared input checks and the zero-division rule for the metrics."""
from __future__ import annotations

import warnings
from typing import Any, Literal, Union

import numpy as np

ZeroDivision = Union[float, Literal["warn"]]


class UndefinedMetricWarning(UserWarning):
    """A metric divided by zero and was set to the ``zero_division`` value (scikit-learn's name)."""


def as_labels(y: Any, name: str, fn: str) -> np.ndarray:
    """Integer class ids as a 1-D int64 array (Tensors, lists and arrays are all accepted)."""
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"{fn}: {name} must be 1-D class ids of shape (n,), got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if not np.all(np.equal(np.mod(arr, 1), 0)):
            raise ValueError(f"{fn}: {name} must hold integer class ids, got dtype {arr.dtype}")
    out = arr.astype(np.int64, copy=False)
    if out.size and out.min() < 0:
        raise ValueError(f"{fn}: {name} must be class ids >= 0, found {int(out.min())}")
    return out


def check_pair(y_true: Any, y_pred: Any, fn: str) -> tuple[np.ndarray, np.ndarray]:
    t = as_labels(y_true, "y_true", fn)
    p = as_labels(y_pred, "y_pred", fn)
    if t.shape != p.shape:
        raise ValueError(f"{fn}: y_true and y_pred must have the same length, got {t.shape[0]} and {p.shape[0]}")
    return t, p


def resolve_num_classes(num_classes: int | None, fn: str, *arrays: np.ndarray) -> int:
    seen = max((int(a.max()) + 1 for a in arrays if a.size), default=0)
    if num_classes is None:
        return seen
    if num_classes < seen:
        raise ValueError(f"{fn}: num_classes={num_classes} but a class id {seen - 1} was found")
    return int(num_classes)


def check_zero_division(zero_division: ZeroDivision, fn: str) -> float:
    """The number a 0/0 becomes: 0.0 for "warn", else the given 0.0, 1.0 or nan."""
    if isinstance(zero_division, str):
        if zero_division != "warn":
            raise ValueError(f"{fn}: zero_division must be 'warn', 0.0, 1.0 or nan, got {zero_division!r}")
        return 0.0
    value = float(zero_division)
    if not (value in (0.0, 1.0) or np.isnan(value)):
        raise ValueError(f"{fn}: zero_division must be 'warn', 0.0, 1.0 or nan, got {zero_division!r}")
    return value


def safe_divide(num: np.ndarray, den: np.ndarray, zero_division: ZeroDivision, *, warn: bool,
                what: str, why: str, fn: str) -> np.ndarray:
    """``num / den`` elementwise, with the ``zero_division`` value where ``den == 0``.

    Warns (once per call) only when ``zero_division == "warn"`` and ``warn`` is set, the way
    scikit-learn does: e.g. "Precision is ill-defined ... in labels with no predicted samples".
    """
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    value = check_zero_division(zero_division, fn)
    bad = den == 0
    out = np.divide(num, den, out=np.full(num.shape, value), where=~bad)
    if warn and zero_division == "warn" and bad.any():
        warnings.warn(
            f"{fn}: {what} is ill-defined and being set to 0.0 in labels with {why}. "
            "Use the zero_division parameter to control this behaviour.",
            UndefinedMetricWarning, stacklevel=3)
    return out

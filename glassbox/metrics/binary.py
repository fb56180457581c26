"""Binary classification from scores: threshold, then count TP/FP/FN/TN.

    predicted positive  <=>  score >= threshold

With probabilities (sigmoid outputs) the usual threshold is 0.5; with raw logits use 0.0
(sigmoid(z) >= 0.5 exactly when z >= 0). Lowering the threshold trades precision for recall.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ._utils import ZeroDivision, safe_divide


def binary_targets(y_true: Any, fn: str) -> np.ndarray:
    """0/1 targets as a bool array (anything else is an error)."""
    t = np.asarray(y_true)
    if t.size and not np.all((t == 0) | (t == 1)):
        bad = t[(t != 0) & (t != 1)].ravel()[0]
        raise ValueError(f"{fn}: y_true must hold only 0/1 (or False/True), found {bad!r}")
    return t.astype(bool)


def binary_metrics(y_true: Any, scores: Any, threshold: float = 0.5,
                   zero_division: ZeroDivision = "warn") -> dict[str, float | int]:
    """Precision, recall, F1, accuracy and the four counts of a thresholded binary classifier.

    ``y_true`` and ``scores`` are 1-D of the same length (a trailing axis of size 1, as a
    ``Linear(d, 1)`` produces, is accepted). Returns plain Python numbers (JSON-ready).
    """
    fn = "binary_metrics"
    t = binary_targets(y_true, fn)
    s = np.asarray(scores)
    if s.ndim == 2 and s.shape[1] == 1:
        s = s[:, 0]
    if t.ndim == 2 and t.shape[1] == 1:
        t = t[:, 0]
    if t.ndim != 1 or s.shape != t.shape:
        raise ValueError(f"{fn}: y_true and scores must both be (n,), got {t.shape} and {s.shape}")
    p = s >= threshold
    tp = int(np.count_nonzero(t & p))
    fp = int(np.count_nonzero(~t & p))
    fn_ = int(np.count_nonzero(t & ~p))
    tn = int(t.size - tp - fp - fn_)
    prec = safe_divide(tp, tp + fp, zero_division, warn=True, what="Precision",
                       why="no predicted samples", fn=fn)
    rec = safe_divide(tp, tp + fn_, zero_division, warn=True, what="Recall",
                      why="no true samples", fn=fn)
    f1 = safe_divide(2 * tp, 2 * tp + fp + fn_, zero_division, warn=True, what="F-score",
                     why="no true nor predicted samples", fn=fn)
    return {"precision": float(prec), "recall": float(rec), "f1": float(f1),
            "accuracy": (tp + tn) / t.size if t.size else 0.0,
            "tp": tp, "fp": fp, "fn": fn_, "tn": tn, "threshold": float(threshold)}

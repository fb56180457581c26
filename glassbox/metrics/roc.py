"""ROC curve and the area under it, for binary labels and real-valued scores.

Sweeping a threshold t from +∞ down, every sample with score ≥ t is called positive:

    TPR(t) = TP(t) / P     (recall, y axis)      FPR(t) = FP(t) / N     (x axis)

The curve has one point per distinct score (tied scores enter together, so a tie makes
a diagonal step), starting at (0, 0). The AUC is the trapezoid area under those points,
which equals P(score of a random positive > score of a random negative) with ties
counted ½ — the Mann–Whitney statistic. For a verification network whose score is a
distance, pass −distance: higher must mean "more likely positive".
"""
from __future__ import annotations

from typing import Any

import numpy as np


def _binary_inputs(y_true: Any, scores: Any, fn: str) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true)
    s = np.asarray(scores, dtype=np.float64)
    if y.ndim != 1 or s.ndim != 1 or y.shape != s.shape:
        raise ValueError(
            f"{fn}: y_true and scores must be 1-D of the same length, got shapes {y.shape} and {s.shape}"
        )
    if not np.all((y == 0) | (y == 1)):
        raise ValueError(f"{fn}: y_true must be binary 0/1 (or bool), got values {np.unique(y)[:5]}")
    if not np.all(np.isfinite(s)):
        raise ValueError(f"{fn}: scores must be finite (found NaN or inf)")
    y = y.astype(bool)
    if y.all() or not y.any():
        raise ValueError(
            f"{fn}: y_true holds only one class ({int(y[0]) if y.size else 'empty'}); "
            "the ROC curve needs both positives and negatives"
        )
    return y, s


def roc_curve(y_true: Any, scores: Any,
              drop_intermediate: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ROC curve as ``(fpr, tpr, thresholds)``, like scikit-learn's.

    ``thresholds`` decrease; point i counts scores ≥ thresholds[i] as positive, and the
    first point (0, 0) has threshold +∞. With ``drop_intermediate`` the points lying on a
    straight segment between their neighbours are left out (the area does not change).
    """
    y, s = _binary_inputs(y_true, scores, "roc_curve")
    order = np.argsort(-s, kind="stable")
    s, y = s[order], y[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # end of each distinct score
    tps = np.cumsum(y)[last_of_tie]
    fps = (last_of_tie + 1) - tps
    thresholds = s[last_of_tie]
    if drop_intermediate and len(tps) > 2:
        # a point whose neighbours on both sides move in the same direction is collinear
        keep = np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True]
        tps, fps, thresholds = tps[keep], fps[keep], thresholds[keep]
    tps, fps = np.r_[0, tps], np.r_[0, fps]
    thresholds = np.r_[np.inf, thresholds]
    return fps / fps[-1], tps / tps[-1], thresholds


def roc_auc_score(y_true: Any, scores: Any) -> float:
    """Area under the ROC curve by the trapezoid rule (0.5 = chance, 1 = perfect ranking)."""
    fpr, tpr, _ = roc_curve(y_true, scores, drop_intermediate=False)
    return float(np.trapezoid(tpr, fpr))

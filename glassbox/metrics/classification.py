"""Single-label classification metrics: accuracy, top-k, confusion matrix, precision/recall/F1.

Notation (per class c, counted over n samples with true ids t_i and predicted ids p_i):

    TP_c = #{i : t_i = c and p_i = c}       (the diagonal of the confusion matrix)
    FP_c = #{i : t_i != c and p_i = c}      (column sum minus TP)
    FN_c = #{i : t_i = c and p_i != c}      (row sum minus TP)

    precision_c = TP_c / (TP_c + FP_c)      recall_c = TP_c / (TP_c + FN_c)
    F1_c = 2 P R / (P + R) = 2 TP_c / (2 TP_c + FP_c + FN_c)

A 0/0 becomes ``zero_division`` as in scikit-learn: "warn" (default) gives 0.0 and an
``UndefinedMetricWarning``; 0.0, 1.0 or nan give that value silently. F1 is only undefined when
TP = FP = FN = 0 (the class is neither present nor predicted), since it is computed from counts.

Averages: ``"macro"`` is the unweighted mean over classes, ``"weighted"`` weights each class by
its support (TP + FN), ``"micro"`` pools the counts of all classes first (for single-label data
micro P = micro R = micro F1 = accuracy). With ``num_classes=None`` the averaged classes are the
ones that occur in ``y_true`` or ``y_pred`` (scikit-learn's ``labels=None``); with an explicit
``num_classes`` every class 0..K-1 counts, present or not.
"""
from __future__ import annotations

from typing import Any, Literal

import numpy as np

from ._utils import ZeroDivision, check_pair, check_zero_division, resolve_num_classes, safe_divide

Average = Literal["macro", "micro", "weighted"] | None
_AVERAGES = (None, "macro", "micro", "weighted")


def accuracy(y_true: Any, y_pred: Any) -> float:
    """Fraction of samples with ``y_pred == y_true``; 0.0 for empty input."""
    t, p = check_pair(y_true, y_pred, "accuracy")
    return float(np.mean(t == p)) if t.size else 0.0


def top_k_accuracy(y_true: Any, scores: Any, k: int = 5) -> float:
    """Fraction of samples whose true class is among the ``k`` highest scores.

    ``scores`` is (n, C) logits or probabilities. The true class counts as in the top k when
    fewer than k classes score strictly higher than it, so ties are resolved in its favour.
    """
    fn = "top_k_accuracy"
    s = np.asarray(scores)
    if s.ndim != 2:
        raise ValueError(f"{fn}: scores must be (n, num_classes), got shape {s.shape}")
    t = check_pair(y_true, np.zeros(s.shape[0], np.int64), fn)[0]
    if not 1 <= k:
        raise ValueError(f"{fn}: k must be >= 1, got {k}")
    if t.size and t.max() >= s.shape[1]:
        raise ValueError(f"{fn}: class id {int(t.max())} but scores has only {s.shape[1]} columns")
    if not t.size:
        return 0.0
    true_score = s[np.arange(t.size), t][:, None]
    rank = np.count_nonzero(s > true_score, axis=1)
    return float(np.mean(rank < k))


def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int | None = None) -> np.ndarray:
    """(K, K) int64 counts: entry [i, j] is the number of samples of true class i predicted as j.

    Rows sum to each class's support, columns to how often each class was predicted, the whole
    matrix to n, and the trace to the number of correct predictions. Built with one bincount of
    the flat index ``t * K + p``.
    """
    t, p = check_pair(y_true, y_pred, "confusion_matrix")
    k = resolve_num_classes(num_classes, "confusion_matrix", t, p)
    return np.bincount(t * k + p, minlength=k * k).reshape(k, k)


def class_counts(y_true: Any, y_pred: Any, num_classes: int | None = None,
                 fn: str = "class_counts") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-class (TP, predicted count = TP + FP, true count = TP + FN), each of length K."""
    t, p = check_pair(y_true, y_pred, fn)
    k = resolve_num_classes(num_classes, fn, t, p)
    tp = np.bincount(t[t == p], minlength=k)
    return tp, np.bincount(p, minlength=k), np.bincount(t, minlength=k)


def _nanaverage(x: np.ndarray, weights: np.ndarray | None, empty: float) -> float:
    """Mean (or weighted mean) ignoring nan entries (they come from zero_division=nan)."""
    keep = ~np.isnan(x)
    if not keep.any():
        return float("nan")
    if weights is None:
        return float(np.mean(x[keep]))
    w = weights[keep]
    return float(np.sum(x[keep] * w) / w.sum()) if w.sum() > 0 else empty


def prf_from_counts(tp: np.ndarray, pred: np.ndarray, true: np.ndarray, *, average: Average,
                    zero_division: ZeroDivision, labels: np.ndarray | None = None,
                    warn_for: tuple[str, ...] = ("precision", "recall", "f1"),
                    fn: str = "precision_recall_f1") -> tuple[Any, Any, Any]:
    """Precision, recall and F1 from per-class counts; the shared core of every P/R/F1 here.

    ``labels`` (bool mask or index array) picks the classes that enter an average; per-class
    results (``average=None``) always cover every class.
    """
    if average not in _AVERAGES:
        raise ValueError(f"{fn}: average must be one of None, 'macro', 'micro', 'weighted', got {average!r}")
    value = check_zero_division(zero_division, fn)
    if labels is not None and average is not None:
        tp, pred, true = tp[labels], pred[labels], true[labels]
    if average == "micro":
        tp, pred, true = (np.atleast_1d(a.sum()) for a in (tp, pred, true))
    precision = safe_divide(tp, pred, zero_division, warn="precision" in warn_for,
                            what="Precision", why="no predicted samples", fn=fn)
    recall = safe_divide(tp, true, zero_division, warn="recall" in warn_for,
                         what="Recall", why="no true samples", fn=fn)
    f1 = safe_divide(2 * tp, true + pred, zero_division, warn="f1" in warn_for,
                     what="F-score", why="no true nor predicted samples", fn=fn)
    if average is None:
        return precision, recall, f1
    weights = true.astype(np.float64) if average == "weighted" else None
    return tuple(_nanaverage(m, weights, value) for m in (precision, recall, f1))


def _labels_mask(pred: np.ndarray, true: np.ndarray, num_classes: int | None) -> np.ndarray | None:
    return None if num_classes is not None else (pred + true) > 0


def precision_recall_f1(y_true: Any, y_pred: Any, average: Average = None,
                        num_classes: int | None = None, zero_division: ZeroDivision = "warn",
                        ) -> tuple[Any, Any, Any]:
    """(precision, recall, f1): float64 arrays of length K for ``average=None``, else floats."""
    tp, pred, true = class_counts(y_true, y_pred, num_classes, "precision_recall_f1")
    return prf_from_counts(tp, pred, true, average=average, zero_division=zero_division,
                           labels=_labels_mask(pred, true, num_classes))


def _one(index: int, name: str, y_true: Any, y_pred: Any, average: Average,
         num_classes: int | None, zero_division: ZeroDivision) -> Any:
    tp, pred, true = class_counts(y_true, y_pred, num_classes, name)
    return prf_from_counts(tp, pred, true, average=average, zero_division=zero_division,
                           labels=_labels_mask(pred, true, num_classes),
                           warn_for=(("precision", "recall", "f1")[index],), fn=name)[index]


def precision(y_true: Any, y_pred: Any, average: Average = None, num_classes: int | None = None,
              zero_division: ZeroDivision = "warn") -> Any:
    """TP / (TP + FP) per class or averaged; warns only about precision's own 0/0."""
    return _one(0, "precision", y_true, y_pred, average, num_classes, zero_division)


def recall(y_true: Any, y_pred: Any, average: Average = None, num_classes: int | None = None,
           zero_division: ZeroDivision = "warn") -> Any:
    """TP / (TP + FN) per class or averaged; warns only about recall's own 0/0."""
    return _one(1, "recall", y_true, y_pred, average, num_classes, zero_division)


def f1_score(y_true: Any, y_pred: Any, average: Average = None, num_classes: int | None = None,
             zero_division: ZeroDivision = "warn") -> Any:
    """2 TP / (2 TP + FP + FN) per class or averaged; 0/0 only when TP = FP = FN = 0."""
    return _one(2, "f1_score", y_true, y_pred, average, num_classes, zero_division)

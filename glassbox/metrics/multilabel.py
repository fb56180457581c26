"""Multi-label metrics: each sample may carry several labels at once ("car and bus").

Targets and predictions are (n, L) 0/1 matrices; predictions come from per-label sigmoid
scores thresholded independently: ``Y_hat[i, l] = scores[i, l] >= threshold``. Each label is
its own binary problem with counts TP_l, FP_l, FN_l (column sums), giving per-label precision,
recall and F1 with the single-label formulas; "macro" averages the L per-label values, "micro"
pools the counts first (so frequent labels weigh more). Also reported: subset accuracy (the
whole row right) and Hamming loss (fraction of wrong entries).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ._utils import ZeroDivision
from .binary import binary_targets
from .classification import prf_from_counts


def multilabel_metrics(y_true: Any, scores: Any, threshold: float = 0.5,
                       label_names: Sequence[str] | None = None,
                       zero_division: ZeroDivision = "warn") -> dict[str, Any]:
    """Per-label and micro/macro/weighted precision, recall, F1 of thresholded scores.

    ``scores`` may already be 0/1 predictions (threshold 0.5 leaves them as they are).
    Returns a JSON-ready dict: ``{"per_label": {name: {precision, recall, f1, support}},
    "micro": {...}, "macro": {...}, "weighted": {...}, "subset_accuracy", "hamming_loss",
    "threshold"}``.
    """
    fn = "multilabel_metrics"
    t = binary_targets(y_true, fn)
    s = np.asarray(scores)
    if t.ndim != 2 or s.shape != t.shape:
        raise ValueError(f"{fn}: y_true and scores must both be (n, num_labels), got {t.shape} and {s.shape}")
    n, num_labels = t.shape
    if label_names is None:
        label_names = [str(i) for i in range(num_labels)]
    elif len(label_names) != num_labels:
        raise ValueError(f"{fn}: {len(label_names)} label_names for {num_labels} labels")
    p = s >= threshold
    tp = np.count_nonzero(t & p, axis=0)
    pred = np.count_nonzero(p, axis=0)
    true = np.count_nonzero(t, axis=0)
    kw = dict(zero_division=zero_division, fn=fn)
    per = prf_from_counts(tp, pred, true, average=None, **kw)
    out: dict[str, Any] = {"per_label": {
        str(name): {"precision": float(per[0][i]), "recall": float(per[1][i]),
                    "f1": float(per[2][i]), "support": int(true[i])}
        for i, name in enumerate(label_names)}}
    for avg in ("micro", "macro", "weighted"):
        # the per-label call above already warned about any 0/0
        P, R, F = prf_from_counts(tp, pred, true, average=avg, warn_for=(), **kw)
        out[avg] = {"precision": P, "recall": R, "f1": F, "support": int(true.sum())}
    out["subset_accuracy"] = float(np.mean(np.all(t == p, axis=1))) if n else 0.0
    out["hamming_loss"] = float(np.mean(t != p)) if t.size else 0.0
    out["threshold"] = float(threshold)
    return out

"""Error analysis: which classes get confused with which, and the most confident mistakes."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ._utils import as_labels
from .classification import confusion_matrix


def to_probabilities(probs_or_logits: Any, fn: str = "to_probabilities") -> np.ndarray:
    """(n, C) rows that are already distributions pass through; anything else gets a softmax.

    A row counts as a distribution when every entry is in [0, 1] and each row sums to 1 (within
    1e-3). softmax(z)_j = exp(z_j - max z) / sum_k exp(z_k - max z), shifted for stability.
    """
    s = np.asarray(probs_or_logits, dtype=np.float64)
    if s.ndim != 2:
        raise ValueError(f"{fn}: expected (n, num_classes) scores, got shape {s.shape}")
    if s.size and s.min() >= 0 and s.max() <= 1 and np.allclose(s.sum(axis=1), 1.0, atol=1e-3):
        return s
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def error_analysis(y_true: Any, probs_or_logits: Any, top_pairs: int = 10, top_examples: int = 25,
                   class_names: Sequence[str] | None = None) -> dict[str, Any]:
    """Summary of a classifier's mistakes, as plain ints/floats/strings (JSON-serializable).

    Returns ``{"num_samples", "num_errors", "error_rate",
    "confused_pairs": [{"true", "predicted", "count", "fraction_of_true"}...],   # most frequent first
    "confident_errors": [{"index", "true", "predicted", "confidence", "true_probability"}...],
    "per_class_error_rate": [...]}``; with ``class_names``, entries also carry ``true_name`` and
    ``predicted_name``. ``confidence`` is the probability of the (wrong) predicted class; ties are
    broken by class ids (pairs) and sample index (examples) so the output is deterministic.
    """
    fn = "error_analysis"
    probs = to_probabilities(probs_or_logits, fn)
    t = as_labels(y_true, "y_true", fn)
    n, c = probs.shape
    if t.shape[0] != n:
        raise ValueError(f"{fn}: {t.shape[0]} labels for {n} rows of scores")
    if t.size and t.max() >= c:
        raise ValueError(f"{fn}: class id {int(t.max())} but scores has only {c} columns")
    if class_names is not None and len(class_names) != c:
        raise ValueError(f"{fn}: {len(class_names)} class_names for {c} classes")
    pred = probs.argmax(axis=1)
    conf = probs[np.arange(n), pred]
    cm = confusion_matrix(t, pred, num_classes=c)
    support = cm.sum(axis=1)

    off = cm.copy()
    np.fill_diagonal(off, 0)
    rows, cols = np.nonzero(off)
    counts = off[rows, cols]
    order = np.lexsort((cols, rows, -counts))[:top_pairs]  # count desc, then (true, pred) asc
    pairs = [{"true": int(rows[i]), "predicted": int(cols[i]), "count": int(counts[i]),
              "fraction_of_true": float(counts[i] / support[rows[i]])} for i in order]

    wrong = np.flatnonzero(pred != t)
    cand = wrong
    if 0 < top_examples < wrong.size:  # keep every candidate tied with the k-th largest, then sort few
        kth = np.partition(conf[wrong], wrong.size - top_examples)[wrong.size - top_examples]
        cand = wrong[conf[wrong] >= kth]
    order = cand[np.lexsort((cand, -conf[cand]))][:max(top_examples, 0)]
    examples = [{"index": int(i), "true": int(t[i]), "predicted": int(pred[i]),
                 "confidence": float(conf[i]), "true_probability": float(probs[i, t[i]])}
                for i in order]
    if class_names is not None:
        for entry in pairs + examples:
            entry["true_name"] = str(class_names[entry["true"]])
            entry["predicted_name"] = str(class_names[entry["predicted"]])

    errors_per_class = support - np.diag(cm)
    rate = np.divide(errors_per_class, support, out=np.zeros(c), where=support > 0)
    return {"num_samples": int(n), "num_errors": int(wrong.size),
            "error_rate": float(wrong.size / n) if n else 0.0,
            "confused_pairs": pairs, "confident_errors": examples,
            "per_class_error_rate": [float(r) for r in rate]}

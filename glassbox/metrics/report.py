"""classification_report: per-class precision/recall/F1/support plus averages, as a dict and a table."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ._utils import ZeroDivision
from .classification import class_counts, prf_from_counts

_AVG_ROWS = (("macro avg", "macro"), ("weighted avg", "weighted"))


def classification_report(y_true: Any, y_pred: Any, class_names: Sequence[str] | None = None,
                          num_classes: int | None = None,
                          zero_division: ZeroDivision = "warn") -> dict[str, Any]:
    """scikit-learn-style report as plain data (JSON-ready).

    ``{name: {"precision", "recall", "f1-score", "support"} for each class,
    "accuracy": float, "macro avg": {...}, "weighted avg": {...}}``.

    Classes listed: all of ``class_names`` (or 0..num_classes-1) when given, otherwise those
    that occur in ``y_true`` or ``y_pred``; the averages run over the listed classes.
    """
    fn = "classification_report"
    if class_names is not None:
        if num_classes is not None and num_classes != len(class_names):
            raise ValueError(f"{fn}: num_classes={num_classes} but {len(class_names)} class_names")
        num_classes = len(class_names)
    tp, pred, true = class_counts(y_true, y_pred, num_classes, fn)
    listed = np.arange(tp.size) if num_classes is not None else np.flatnonzero(pred + true)
    names = [str(class_names[c]) if class_names is not None else str(c) for c in listed]
    P, R, F = prf_from_counts(tp, pred, true, average=None, zero_division=zero_division, fn=fn)
    report: dict[str, Any] = {}
    for name, c in zip(names, listed):
        report[name] = {"precision": float(P[c]), "recall": float(R[c]), "f1-score": float(F[c]),
                        "support": int(true[c])}
    n = int(true.sum())
    report["accuracy"] = float(tp.sum() / n) if n else 0.0
    for row, avg in _AVG_ROWS:
        p, r, f = prf_from_counts(tp, pred, true, average=avg, zero_division=zero_division,
                                  labels=listed, warn_for=(), fn=fn)
        report[row] = {"precision": p, "recall": r, "f1-score": f, "support": int(true[listed].sum())}
    return report


def format_classification_report(report: dict[str, Any], digits: int = 4) -> str:
    """The report dict as an aligned text table (the layout scikit-learn prints)."""
    rows = [k for k in report if k not in ("accuracy",) + tuple(r for r, _ in _AVG_ROWS)]
    width = max([len(r) for r in rows] + [len("weighted avg"), digits])
    head = f"{'':>{width}} " + " ".join(f"{h:>9}" for h in ("precision", "recall", "f1-score", "support"))
    lines = [head, ""]

    def line(name: str, d: dict[str, Any]) -> str:
        nums = " ".join(f"{d[k]:>9.{digits}f}" for k in ("precision", "recall", "f1-score"))
        return f"{name:>{width}} {nums} {d['support']:>9}"

    lines += [line(r, report[r]) for r in rows]
    lines.append("")
    if "accuracy" in report:
        support = report.get("macro avg", {}).get("support", "")
        lines.append(f"{'accuracy':>{width}} {'':>9} {'':>9} {report['accuracy']:>9.{digits}f} {support:>9}")
    lines += [line(r, report[r]) for r, _ in _AVG_ROWS if r in report]
    return "\n".join(lines) + "\n"

"""Evaluation metrics and error analysis, in plain NumPy (accepts Tensors, arrays or lists).

- ``classification``: accuracy, top-k accuracy, confusion matrix, precision/recall/F1.
- ``binary``: thresholded scores -> precision, recall, F1, accuracy, TP/FP/FN/TN.
- ``multilabel``: (n, L) sigmoid outputs -> per-label and micro/macro metrics.
- ``report``: scikit-learn-style classification report (dict + text table).
- ``error_analysis``: most-confused class pairs and most confident mistakes.
"""
from ._utils import UndefinedMetricWarning
from .binary import binary_metrics
from .classification import (
    accuracy, class_counts, confusion_matrix, f1_score, precision, precision_recall_f1, recall,
    top_k_accuracy,
)
from .error_analysis import error_analysis, to_probabilities
from .multilabel import multilabel_metrics
from .report import classification_report, format_classification_report

__all__ = [
    "UndefinedMetricWarning", "accuracy", "binary_metrics", "class_counts", "classification_report",
    "confusion_matrix", "error_analysis", "f1_score", "format_classification_report",
    "multilabel_metrics", "precision", "precision_recall_f1", "recall", "to_probabilities",
    "top_k_accuracy",
]

# --- ROC curve and AUC (issue 5: verification) ---
from .roc import roc_auc_score, roc_curve  # noqa: E402

__all__ += ["roc_curve", "roc_auc_score"]

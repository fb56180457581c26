"""Figures for training and evaluation, saved as PNG files (needs the ``plot`` extra: matplotlib).

Every function draws on its own Agg figure, writes the PNG atomically and returns its path;
none opens a window. matplotlib is imported only when a figure is drawn, so ``import
glassbox.plots`` works without it and a draw call raises ImportError naming the extra.
"""
from ._mpl import MISSING
from .confusion import plot_confusion_matrix
from .history import plot_gradient_norms, plot_history, plot_lr
from .images import filters_to_images, plot_filters, plot_misclassified

__all__ = [
    "MISSING", "filters_to_images", "plot_confusion_matrix", "plot_filters", "plot_gradient_norms",
    "plot_history", "plot_lr", "plot_misclassified",
]

"""Confusion-matrix heat map."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ._mpl import as_array, new_figure, save_png


def plot_confusion_matrix(cm: Any, path: str | os.PathLike, class_names: Sequence[str] | None = None,
                          normalize: bool = False, title: str | None = None) -> Path:
    """Heat map of a (K, K) confusion matrix (rows = true class, columns = predicted).

    With ``normalize=True`` each row is divided by its sum, so cell [i, j] reads "fraction of
    class i predicted as j" and the diagonal is per-class recall. Cells are annotated with their
    values when K <= 20.
    """
    fn = "plot_confusion_matrix"
    m = as_array(cm).astype(np.float64)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"{fn}: expected a square (K, K) matrix, got shape {m.shape}")
    k = m.shape[0]
    names = [str(c) for c in (class_names if class_names is not None else range(k))]
    if len(names) != k:
        raise ValueError(f"{fn}: {len(names)} class_names for a {k}x{k} matrix")
    if normalize:
        rows = m.sum(axis=1, keepdims=True)
        m = np.divide(m, rows, out=np.zeros_like(m), where=rows > 0)
    size = min(12.0, 2.5 + 0.55 * k)
    fig = new_figure(fn, figsize=(size + 1.2, size))
    ax = fig.subplots()
    im = ax.imshow(m, cmap="Blues", vmin=0, interpolation="nearest")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xticks(range(k), labels=names, rotation=45 if max(map(len, names)) > 2 else 0, ha="right" if max(map(len, names)) > 2 else "center")
    ax.set_yticks(range(k), labels=names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if k <= 20:
        cut = m.max() / 2 if m.max() > 0 else 1
        for i, j in np.ndindex(k, k):
            text = f"{m[i, j]:.2f}" if normalize else f"{int(m[i, j])}"
            ax.text(j, i, text, ha="center", va="center", fontsize=8 if k <= 10 else 6,
                    color="white" if m[i, j] > cut else "black")
    ax.set_title(title or ("confusion matrix (row-normalized)" if normalize else "confusion matrix"))
    return save_png(fig, path)

"""Image grids: learned filters / weights, and misclassified examples."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ._mpl import as_array, grid_shape, new_figure, save_png


def filters_to_images(weight: Any, image_shape: tuple[int, int] | None = None,
                      fn: str = "plot_filters") -> np.ndarray:
    """Weights as (k, H, W) grey or (k, H, W, 3) colour images, one per unit / filter.

    - ``Linear(d, k)`` weight (k, d): row j reshaped to ``image_shape`` (default: sqrt(d) square,
      e.g. 784 -> 28x28), the input pattern unit j responds to most.
    - ``Conv2d`` weight (out, in, kh, kw): in == 3 -> an RGB image per filter, in == 1 -> grey,
      otherwise the mean over input channels.
    """
    w = as_array(weight).astype(np.float64, copy=False)
    if w.ndim == 2:
        k, d = w.shape
        if image_shape is None:
            side = int(round(np.sqrt(d)))
            if side * side != d:
                raise ValueError(f"{fn}: cannot reshape {d} inputs to a square; pass image_shape=(H, W)")
            image_shape = (side, side)
        if int(np.prod(image_shape)) != d:
            raise ValueError(f"{fn}: image_shape {tuple(image_shape)} does not hold {d} inputs")
        return w.reshape(k, *image_shape)
    if w.ndim == 4:
        if w.shape[1] == 3:
            return np.moveaxis(w, 1, -1)
        return w.mean(axis=1)
    raise ValueError(f"{fn}: expected a (out, in) Linear or (out, in, kh, kw) Conv2d weight, got shape {w.shape}")


def _image_grid(fig: Any, imgs: np.ndarray, rows: int, cols: int, grey_cmap: str,
                symmetric: bool) -> list[tuple[int, Any]]:
    """Draw ``imgs`` on a rows×cols grid of axes (extra axes blank); returns (index, axes)
    for the drawn images. Colour images are min-max scaled; grey ones use ``grey_cmap``,
    centred on 0 when ``symmetric``."""
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    drawn = []
    for i, ax in enumerate(axes):
        ax.set_axis_off()
        if i >= imgs.shape[0]:
            continue
        img = imgs[i]
        if img.ndim == 3:
            lo, hi = img.min(), img.max()
            ax.imshow((img - lo) / (hi - lo) if hi > lo else np.zeros_like(img), interpolation="nearest")
        elif symmetric:
            m = np.abs(img).max() or 1.0
            ax.imshow(img, cmap=grey_cmap, vmin=-m, vmax=m, interpolation="nearest")
        else:
            ax.imshow(img, cmap=grey_cmap, interpolation="nearest")
        drawn.append((i, ax))
    return drawn


def plot_filters(weight: Any, path: str | os.PathLike, image_shape: tuple[int, int] | None = None,
                 max_filters: int = 64, cols: int | None = None, title: str | None = None) -> Path:
    """The first ``max_filters`` learned filters as an image grid.

    Grey filters use a diverging colour map centred on 0 (red positive, blue negative), scaled
    per filter; colour filters are min-max scaled to [0, 1] per filter.
    """
    fn = "plot_filters"
    imgs = filters_to_images(weight, image_shape, fn)[:max_filters]
    n = imgs.shape[0]
    rows, cols = grid_shape(n, cols)
    fig = new_figure(fn, figsize=(1.2 * cols, 1.2 * rows + (0.4 if title else 0)))
    for i, ax in _image_grid(fig, imgs, rows, cols, "RdBu_r", symmetric=True):
        ax.set_title(str(i), fontsize=7, pad=2)
    fig.suptitle(title or f"{n} learned filters")
    return save_png(fig, path)


def _as_images(images: Any, fn: str) -> np.ndarray:
    """(n, H, W) grey or (n, H, W, 3) colour from (n, H, W), (n, H*W square), (n, 1|3, H, W), (n, H, W, 3)."""
    x = as_array(images).astype(np.float64, copy=False)
    if x.ndim == 2:
        side = int(round(np.sqrt(x.shape[1])))
        if side * side != x.shape[1]:
            raise ValueError(f"{fn}: flat images of {x.shape[1]} pixels are not square")
        return x.reshape(-1, side, side)
    if x.ndim == 4 and x.shape[1] in (1, 3):
        return x[:, 0] if x.shape[1] == 1 else np.moveaxis(x, 1, -1)
    if x.ndim == 3 or (x.ndim == 4 and x.shape[-1] == 3):
        return x
    raise ValueError(f"{fn}: expected images (n, H, W), (n, H*W), (n, C, H, W) or (n, H, W, 3), got {x.shape}")


def plot_misclassified(images: Any, y_true: Any, y_pred: Any, path: str | os.PathLike,
                       confidences: Any = None, class_names: Sequence[str] | None = None,
                       max_images: int = 25, cols: int | None = None,
                       title: str = "misclassified examples") -> Path:
    """A grid of images captioned "true X / pred Y (confidence)".

    Pass the misclassified examples themselves, e.g. the ``confident_errors`` of
    ``glassbox.metrics.error_analysis`` gathered by index.
    """
    fn = "plot_misclassified"
    imgs = _as_images(images, fn)[:max_images]
    t = np.asarray(y_true).ravel()[:max_images]
    p = np.asarray(y_pred).ravel()[:max_images]
    c = None if confidences is None else np.asarray(confidences, dtype=np.float64).ravel()[:max_images]
    n = imgs.shape[0]
    if t.size != n or p.size != n or (c is not None and c.size != n):
        raise ValueError(f"{fn}: {n} images but {t.size} y_true, {p.size} y_pred"
                         + ("" if c is None else f", {c.size} confidences"))
    name = (lambda k: str(class_names[int(k)])) if class_names is not None else (lambda k: str(int(k)))
    rows, cols = grid_shape(max(n, 1), cols)
    fig = new_figure(fn, figsize=(1.7 * cols, 1.9 * rows + 0.4))
    for i, ax in _image_grid(fig, imgs, rows, cols, "gray_r", symmetric=False):
        caption = f"true {name(t[i])}\npred {name(p[i])}"
        if c is not None:
            caption += f" ({c[i]:.2f})"
        ax.set_title(caption, fontsize=7, color="tab:red" if t[i] != p[i] else "black", pad=2)
    fig.suptitle(title)
    return save_png(fig, path)

"""Small 2-D data sets and grids that the lessons draw on.

Two classic toy problems that no straight line can separate, so they show what
non-linear activations buy:

* ``spirals(n, classes, noise, seed)``: ``classes`` interleaved spiral arms.
* ``moons(n, noise, seed)``: two interleaved half circles.

Both return ``(x, y)``: ``x`` float32 of shape (n, 2), roughly centred with unit scale,
and ``y`` int64 class labels of shape (n,). Both are deterministic given ``seed``.

For pictures: ``grid`` gives the points of a rectangle, ``loss_surface`` evaluates
f(x, y) on it (for contour plots of optimizer races) and ``plot_decision_boundary``
colours a 2-D plane by a classifier's prediction.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np


def _check(fn: str, n: int, noise: float) -> None:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{fn}: n must be a positive integer, got {n!r}")
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"{fn}: noise must be a non-negative number, got {noise!r}")


def spirals(n: int = 300, classes: int = 3, noise: float = 0.2,
            seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points (in total) on ``classes`` spiral arms, point i on arm i mod ``classes``.

    Arm k at parameter t ∈ [0, 1] sits at radius t and angle 4t + 2πk/classes (plus
    Gaussian ``noise`` on the angle), so every arm turns about 2/3 of a revolution and
    the arms interleave: a linear classifier gets about 1/classes of them right.
    """
    _check("spirals", n, noise)
    if isinstance(classes, bool) or not isinstance(classes, (int, np.integer)) or classes < 2:
        raise ValueError(f"spirals: classes must be an integer ≥ 2, got {classes!r}")
    rng = np.random.default_rng(seed)
    y = np.arange(n, dtype=np.int64) % classes
    t = rng.uniform(0.0, 1.0, n)
    angle = 4.0 * t + 2.0 * np.pi * y / classes + noise * rng.standard_normal(n)
    r = t * 2.0  # radius up to 2: unit-scale features
    x = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
    return x.astype(np.float32), y


def moons(n: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points on two interleaved half circles (class 0 on top, class 1 below).

    The upper moon is the unit half circle, the lower one its mirror image shifted by
    (1, −0.5); Gaussian ``noise`` (std, in those units) is added to both coordinates and
    the result is centred on (0.5, 0.25) so the data sits around the origin.
    """
    _check("moons", n, noise)
    rng = np.random.default_rng(seed)
    y = np.arange(n, dtype=np.int64) % 2
    t = rng.uniform(0.0, np.pi, n)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    x = np.where(y[:, None] == 0, upper, lower) + noise * rng.standard_normal((n, 2))
    x -= np.array([0.5, 0.25])
    return x.astype(np.float32), y


def grid(xlim: tuple[float, float], ylim: tuple[float, float],
         steps: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """The ``steps × steps`` mesh ``(X, Y)`` over the rectangle xlim × ylim (float64)."""
    return np.meshgrid(np.linspace(*xlim, steps), np.linspace(*ylim, steps))


def loss_surface(f: Callable[[np.ndarray, np.ndarray], np.ndarray], xlim: tuple[float, float],
                 ylim: tuple[float, float], steps: int = 100
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(X, Y, Z)`` with Z = f(X, Y) on a ``grid``: ready for ``ax.contour(X, Y, Z)``.

    ``f`` must work elementwise on arrays (e.g. ``lambda x, y: 0.5 * (x**2 + 100 * y**2)``).
    """
    X, Y = grid(xlim, ylim, steps)
    return X, Y, np.asarray(f(X, Y), dtype=np.float64)


_PALETTE = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
            "#7f7f7f", "#bcbd22", "#17becf"]


def plot_decision_boundary(ax: Any, predict: Callable[[np.ndarray], np.ndarray], x: np.ndarray,
                           y: np.ndarray, steps: int = 150, title: str | None = None) -> None:
    """Colour the plane around ``x`` by ``predict`` (points (k, 2) → class labels (k,))
    on a matplotlib ``ax`` and scatter the labelled points on top."""
    pad = 0.3
    X, Y = grid((x[:, 0].min() - pad, x[:, 0].max() + pad),
                (x[:, 1].min() - pad, x[:, 1].max() + pad), steps)
    points = np.stack([X.ravel(), Y.ravel()], axis=1).astype(np.float32)
    labels = np.asarray(predict(points)).reshape(X.shape)
    classes = int(max(labels.max(), y.max())) + 1
    from matplotlib.colors import ListedColormap

    colours = ListedColormap([_PALETTE[k % len(_PALETTE)] for k in range(classes)])
    levels = np.arange(classes + 1) - 0.5
    ax.contourf(X, Y, labels, levels=levels, cmap=colours, alpha=0.25)
    ax.scatter(x[:, 0], x[:, 1], c=y, cmap=colours, s=8, edgecolors="none", vmin=-0.5,
               vmax=classes - 0.5)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)

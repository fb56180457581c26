"""Lazy matplotlib access and atomic PNG saving shared by every plot.

matplotlib is an optional extra (``pip install glassbox[plot]``), imported only when a figure is
drawn. Figures are built with the object-oriented ``Figure`` API on an Agg canvas, never through
pyplot, so drawing needs no display, never pops up a window and leaves pyplot's global state
(and the user's chosen backend) alone.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..training.atomic import atomic_write

MISSING = "install glassbox[plot] (matplotlib) to draw figures"


def new_figure(fn: str, **kwargs: Any) -> Any:
    """A fresh ``matplotlib.figure.Figure`` attached to an Agg canvas."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ImportError(f"{fn}: {MISSING}") from err
    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)
    return fig


def save_png(fig: Any, path: str | os.PathLike, dpi: int = 100) -> Path:
    """Write ``fig`` as PNG to a temp file beside ``path``, then ``os.replace`` it into place."""
    path = Path(path)
    return atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=dpi, bbox_inches="tight"))


def as_array(x: Any) -> np.ndarray:
    """Tensors, Parameters, lists -> ndarray (Tensors expose ``.data``; ``__array__`` also works);
    device arrays are copied to the host."""
    if isinstance(x, np.ndarray):
        return x
    from .. import backend

    return np.asarray(backend.to_host(getattr(x, "data", x)))


def grid_shape(n: int, cols: int | None = None) -> tuple[int, int]:
    cols = cols or max(1, int(np.ceil(np.sqrt(n))))
    return max(1, int(np.ceil(n / cols))), cols

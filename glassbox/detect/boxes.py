"""Box formats and conversions.

Two layouts of a box, each as the last axis of an array (..., 4):

* corners ``(x1, y1, x2, y2)``: left, top, right, bottom;
* centre/size ``(x, y, w, h)``: the centre and the width and height.

Coordinates are either *relative* (fractions of the image: top-left (0, 0), bottom-right
(1, 1), as in the course's localization target) or *absolute* pixels. Pixel boxes use
pixel-edge coordinates: pixel column i covers [i, i + 1), so a box around columns 3..5
has x1 = 3, x2 = 6. All functions are vectorized over the leading axes.
"""
from __future__ import annotations

from typing import Any

import numpy as np


def as_boxes(boxes: Any, where: str) -> np.ndarray:
    """``boxes`` as a float array whose last axis is 4 (float64 stays float64, anything else
    becomes float32); an empty input becomes shape (0, 4)."""
    arr = np.asarray(boxes)
    arr = arr.astype(np.float64 if arr.dtype == np.float64 else np.float32, copy=False)
    if arr.size == 0:
        return arr.reshape(0, 4)
    if arr.shape[-1] != 4:
        raise ValueError(f"{where}: boxes must have a last axis of 4, got shape {arr.shape}")
    return arr


def corners_to_center(boxes: Any) -> np.ndarray:
    """(x1, y1, x2, y2) → (x, y, w, h): x = (x1 + x2)/2, w = x2 − x1 (likewise y, h)."""
    b = as_boxes(boxes, "corners_to_center")
    out = np.empty_like(b)
    out[..., 0] = (b[..., 0] + b[..., 2]) / 2
    out[..., 1] = (b[..., 1] + b[..., 3]) / 2
    out[..., 2] = b[..., 2] - b[..., 0]
    out[..., 3] = b[..., 3] - b[..., 1]
    return out


def center_to_corners(boxes: Any) -> np.ndarray:
    """(x, y, w, h) → (x1, y1, x2, y2): x1 = x − w/2, x2 = x + w/2 (likewise y)."""
    b = as_boxes(boxes, "center_to_corners")
    out = np.empty_like(b)
    out[..., 0] = b[..., 0] - b[..., 2] / 2
    out[..., 1] = b[..., 1] - b[..., 3] / 2
    out[..., 2] = b[..., 0] + b[..., 2] / 2
    out[..., 3] = b[..., 1] + b[..., 3] / 2
    return out


def _size_scale(size: Any, where: str) -> np.ndarray:
    """(width, height) of the image → the factors (W, H, W, H) for the 4 coordinates
    (the same in either box layout, since x and w both scale with the width)."""
    if np.ndim(size) == 0:
        w = h = float(size)
    else:
        if len(size) != 2:
            raise ValueError(f"{where}: image size must be a number or (width, height), got {size!r}")
        w, h = (float(v) for v in size)
    if not (w > 0 and h > 0):
        raise ValueError(f"{where}: image size must be positive, got {size!r}")
    return np.array([w, h, w, h])


def to_absolute(boxes: Any, size: Any) -> np.ndarray:
    """Relative (0–1) boxes → pixels of an image of ``size`` = S or (width, height)."""
    b = as_boxes(boxes, "to_absolute")
    return (b * _size_scale(size, "to_absolute")).astype(b.dtype, copy=False)


def to_relative(boxes: Any, size: Any) -> np.ndarray:
    """Pixel boxes → fractions of an image of ``size`` = S or (width, height)."""
    b = as_boxes(boxes, "to_relative")
    return (b / _size_scale(size, "to_relative")).astype(b.dtype, copy=False)


def box_area(boxes: Any) -> np.ndarray:
    """Area (x2 − x1)·(y2 − y1) of corner boxes; 0 for a degenerate (inverted) box."""
    b = as_boxes(boxes, "box_area")
    return np.clip(b[..., 2] - b[..., 0], 0, None) * np.clip(b[..., 3] - b[..., 1], 0, None)


def clip_boxes(boxes: Any, size: Any) -> np.ndarray:
    """Corner boxes cut to the image [0, W] × [0, H] (``size`` in the boxes' units)."""
    b = as_boxes(boxes, "clip_boxes").copy()
    w, h = _size_scale(size, "clip_boxes")[:2]
    b[..., 0::2] = np.clip(b[..., 0::2], 0, w)
    b[..., 1::2] = np.clip(b[..., 1::2], 0, h)
    return b

"""Detection data from real digits: MNIST digits pasted at random positions and sizes on a
black canvas, with the box and the label of each.

Each digit (28×28) is resized to s×s pixels (s drawn from [min_scale, max_scale]) by a
separable linear interpolation, patch = R·image·Rᵀ with R the (s, 28) interpolation
matrix, done for all digits of one size at once. Its box is the tight box around its ink
(pixels > ``ink_threshold``) in pixel-edge coordinates (x1, y1, x2, y2). A new digit's
position is redrawn (up to ``tries`` times, else the digit is left out) while its box
overlaps an earlier box of the canvas with IoU > ``max_iou``. Overlapping pixels take the
brighter value. Everything is drawn from ``numpy.random.default_rng(seed)``, so the
same arguments give the same canvases.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .iou import box_iou


def resize_matrix(src: int, dst: int) -> np.ndarray:
    """(dst, src) linear-interpolation matrix: pixel centres (i + ½)·src/dst − ½, edges clamped."""
    pos = np.clip((np.arange(dst) + 0.5) * src / dst - 0.5, 0, src - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, src - 1)
    frac = pos - lo
    r = np.zeros((dst, src))
    r[np.arange(dst), lo] += 1 - frac
    r[np.arange(dst), hi] += frac
    return r


def resize_images(images: np.ndarray, height: int, width: int) -> np.ndarray:
    """(M, H, W) → (M, height, width) by separable linear interpolation."""
    rh = resize_matrix(images.shape[1], height)
    rw = resize_matrix(images.shape[2], width)
    return np.einsum("ij,mjk,lk->mil", rh, images, rw, optimize=True)


def ink_boxes(patches: np.ndarray, threshold: float) -> np.ndarray:
    """Tight (x1, y1, x2, y2) around the pixels > threshold of each (M, s, s) patch."""
    ink = patches > threshold
    rows, cols = ink.any(axis=2), ink.any(axis=1)
    s = patches.shape[1]
    y1, x1 = rows.argmax(axis=1), cols.argmax(axis=1)
    y2 = s - rows[:, ::-1].argmax(axis=1)
    x2 = s - cols[:, ::-1].argmax(axis=1)
    return np.stack([x1, y1, x2, y2], axis=1).astype(np.float64)


def make_canvases(images: Any, labels: Any, n: int, size: int = 64, max_digits: int = 3,
                  seed: int = 0, min_digits: int = 1, min_scale: int = 14, max_scale: int = 28,
                  max_iou: float = 0.1, ink_threshold: float = 0.3, tries: int = 20
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` canvases with ``min_digits``–``max_digits`` digits each.

    Args:
        images: (M, 28, 28) or (M, 1, 28, 28) digits in [0, 1]; labels: (M,) classes.

    Returns:
        canvases float32 (n, 1, size, size); boxes float32 (n, max_digits, 4) in pixels,
        corners, zero rows for padding; classes int64 (n, max_digits), −1 for padding.
        Digits are listed in the order they were placed.
    """
    imgs = np.asarray(images, dtype=np.float64)
    if imgs.ndim == 4 and imgs.shape[1] == 1:
        imgs = imgs[:, 0]
    labels = np.asarray(labels).reshape(-1)
    if imgs.ndim != 3 or len(imgs) != len(labels) or len(imgs) == 0:
        raise ValueError(f"make_canvases: expected images (M, H, W) and labels (M,), got "
                         f"{np.asarray(images).shape} and {labels.shape}")
    if not 1 <= min_digits <= max_digits:
        raise ValueError(f"make_canvases: need 1 ≤ min_digits ≤ max_digits, got {min_digits}, {max_digits}")
    if not 1 <= min_scale <= max_scale <= size:
        raise ValueError(f"make_canvases: need 1 ≤ min_scale ≤ max_scale ≤ size ({size}), got "
                         f"{min_scale}, {max_scale}")
    rng = np.random.default_rng(seed)
    counts = rng.integers(min_digits, max_digits + 1, size=n)
    pick = rng.integers(0, len(imgs), size=(n, max_digits))
    scales = rng.integers(min_scale, max_scale + 1, size=(n, max_digits))
    # resize every drawn digit, all digits of one size in one product
    patches = np.empty((n, max_digits), dtype=object)
    tight = np.zeros((n, max_digits, 4))
    for s in np.unique(scales):
        where = np.nonzero(scales == s)
        p = resize_images(imgs[pick[where]], s, s)
        tight[where] = ink_boxes(p, ink_threshold)
        for (i, j), patch in zip(zip(*where), p):
            patches[i, j] = patch
    canvases = np.zeros((n, 1, size, size), dtype=np.float32)
    boxes = np.zeros((n, max_digits, 4), dtype=np.float32)
    classes = np.full((n, max_digits), -1, dtype=np.int64)
    offsets = rng.integers(0, size - scales[..., None, None] + 1, size=(n, max_digits, tries, 2))
    for i in range(n):
        placed = 0
        for j in range(counts[i]):
            # all candidate positions at once; take the first that overlaps little enough
            cand = tight[i, j][None, :] + np.tile(offsets[i, j][:, ::-1], 2)  # (tries, 4)
            if placed:
                ok = (box_iou(cand, boxes[i, :placed]) <= max_iou).all(axis=1)
                if not ok.any():
                    continue
                t = int(ok.argmax())
            else:
                t = 0
            y0, x0 = offsets[i, j, t]
            s = scales[i, j]
            region = canvases[i, 0, y0:y0 + s, x0:x0 + s]
            np.maximum(region, patches[i, j], out=region, casting="unsafe")
            boxes[i, placed] = cand[t]
            classes[i, placed] = labels[pick[i, j]]
            placed += 1
    return canvases, boxes, classes

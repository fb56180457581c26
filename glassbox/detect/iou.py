"""Intersection over union (交并比): how much two boxes agree, from 0 (disjoint) to 1 (equal).

    IoU(A, B) = area(A ∩ B) / area(A ∪ B),   area(A ∪ B) = area(A) + area(B) − area(A ∩ B)

The intersection of two corner boxes is the box (max x1, max y1, min x2, min y2), empty
when min x2 ≤ max x1 or min y2 ≤ max y1. A detection usually counts as correct at IoU ≥ 0.5.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .boxes import as_boxes, box_area


def box_iou(a: Any, b: Any) -> np.ndarray:
    """Pairwise IoU of corner boxes a (M, 4) and b (N, 4) → (M, N), with no Python loop.

    Two boxes of zero area have IoU 0 (not 0/0).
    """
    a = as_boxes(a, "box_iou")
    b = as_boxes(b, "box_iou")
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"box_iou: expected boxes (M, 4) and (N, 4), got {a.shape} and {b.shape}")
    lt = np.maximum(a[:, None, :2], b[None, :, :2])        # (M, N, 2) top-left of A ∩ B
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])        # bottom-right of A ∩ B
    wh = np.clip(rb - lt, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    union = box_area(a)[:, None] + box_area(b)[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0).astype(
        np.result_type(a, b), copy=False)


def shape_iou(hw_a: Any, hw_b: Any) -> np.ndarray:
    """IoU of boxes given only by their sizes (h, w), all centred at the same point:
    (M, 2) × (N, 2) → (M, N). Used to match an object to its anchor box by shape alone:
    the intersection is min(h)·min(w)."""
    a = np.asarray(hw_a, dtype=np.float64).reshape(-1, 2)
    b = np.asarray(hw_b, dtype=np.float64).reshape(-1, 2)
    inter = np.minimum(a[:, None, 0], b[None, :, 0]) * np.minimum(a[:, None, 1], b[None, :, 1])
    union = (a[:, 0] * a[:, 1])[:, None] + (b[:, 0] * b[:, 1])[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)

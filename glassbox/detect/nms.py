"""Non-max suppression (非极大值抑制): keep the most confident box, drop the boxes that overlap
it by more than a threshold, repeat with the most confident box left.

Greedy, score-sorted:
    order boxes by score, high to low
    while boxes remain: keep the first b; remove every remaining box with IoU(b, ·) > t
``batched_nms`` runs it separately for each class, so a box never suppresses a box of
another class (the course runs NMS once per class).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .boxes import as_boxes
from .iou import box_iou


def _check(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float, where: str) -> None:
    if boxes.ndim != 2 or scores.shape != (boxes.shape[0],):
        raise ValueError(f"{where}: expected boxes (K, 4) and scores (K,), got {boxes.shape} "
                         f"and {scores.shape}")
    if not 0.0 <= iou_threshold <= 1.0:
        raise ValueError(f"{where}: iou_threshold must be in [0, 1], got {iou_threshold}")


def nms(boxes: Any, scores: Any, iou_threshold: float = 0.5) -> np.ndarray:
    """Indices of the boxes kept, in decreasing score order (ties: the earlier box first).

    A box is suppressed when its IoU with a kept, higher-scored box is *greater* than
    ``iou_threshold``. Each round computes the IoU of the current box against all the
    remaining ones at once.
    """
    boxes = as_boxes(boxes, "nms")
    scores = np.asarray(scores).reshape(-1) if np.size(scores) else np.zeros(0)
    _check(boxes, scores, iou_threshold, "nms")
    order = np.argsort(-scores, kind="stable")
    keep = []
    while order.size:
        i = order[0]
        keep.append(i)
        rest = order[1:]
        if not rest.size:
            break
        overlap = box_iou(boxes[i:i + 1], boxes[rest])[0]
        order = rest[overlap <= iou_threshold]
    return np.asarray(keep, dtype=np.int64)


def batched_nms(boxes: Any, scores: Any, classes: Any, iou_threshold: float = 0.5) -> np.ndarray:
    """NMS within each class; the indices kept over all classes, in decreasing score order."""
    boxes = as_boxes(boxes, "batched_nms")
    scores = np.asarray(scores).reshape(-1) if np.size(scores) else np.zeros(0)
    classes = np.asarray(classes).reshape(-1) if np.size(classes) else np.zeros(0, dtype=np.int64)
    _check(boxes, scores, iou_threshold, "batched_nms")
    if classes.shape != scores.shape:
        raise ValueError(f"batched_nms: classes {classes.shape} must match scores {scores.shape}")
    keep = [np.flatnonzero(classes == c)[nms(boxes[classes == c], scores[classes == c], iou_threshold)]
            for c in np.unique(classes)]
    if not keep:
        return np.zeros(0, dtype=np.int64)
    kept = np.concatenate(keep)
    return kept[np.argsort(-scores[kept], kind="stable")]

"""Mean average precision (mAP), PASCAL VOC style.

For one class, detections of all images are ranked by score. Walking down the ranking,
a detection is a true positive when its best-overlapping ground-truth box of that class
in the same image has IoU ≥ the threshold and has not been claimed by a higher-scored
detection; otherwise it is a false positive (also when its best box is already taken).
After the k-th detection

    precision_k = TP_k / k,    recall_k = TP_k / (number of ground-truth boxes).

AP is the area under the precision/recall curve with all-point interpolation: precision
at recall r is replaced by the best precision at any recall ≥ r (the curve becomes
monotone), and the area is Σ (r_k − r_{k−1}) · p_interp(r_k). mAP is the mean of the
classes' APs over the classes that have ground truth.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .iou import box_iou


def average_precision(recall: Any, precision: Any) -> float:
    """All-point interpolated area under a precision/recall curve (recall increasing)."""
    r = np.concatenate([[0.0], np.asarray(recall, dtype=np.float64), [1.0]])
    p = np.concatenate([[0.0], np.asarray(precision, dtype=np.float64), [0.0]])
    if r.shape != p.shape:
        raise ValueError(f"average_precision: recall and precision lengths differ "
                         f"({r.size - 2} and {p.size - 2})")
    p = np.maximum.accumulate(p[::-1])[::-1]          # best precision at any recall ≥ r
    step = np.flatnonzero(r[1:] != r[:-1]) + 1        # where recall moves
    return float(np.sum((r[step] - r[step - 1]) * p[step]))


def _per_image(boxes: Any, classes: Any) -> tuple[np.ndarray, np.ndarray]:
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    c = np.asarray(classes).reshape(-1)
    keep = c >= 0  # padding rows (class −1) are not objects
    return b[keep], c[keep].astype(np.int64)


def match_detections(detections: Sequence[dict[str, Any]], gt_boxes: Sequence[Any],
                     gt_classes: Sequence[Any], cls: int, iou_threshold: float = 0.5
                     ) -> tuple[np.ndarray, np.ndarray, int]:
    """For class ``cls``: (scores sorted high to low, 1/0 true-positive flags, number of
    ground-truth boxes)."""
    det_img, det_box, det_score = [], [], []
    gts, n_gt = [], 0
    for i, (det, gb, gc) in enumerate(zip(detections, gt_boxes, gt_classes)):
        gb, gc = _per_image(gb, gc)
        gts.append(gb[gc == cls])
        n_gt += int((gc == cls).sum())
        sel = np.asarray(det["classes"]).reshape(-1) == cls
        db = np.asarray(det["boxes"], dtype=np.float64).reshape(-1, 4)[sel]
        det_img.append(np.full(len(db), i))
        det_box.append(db)
        det_score.append(np.asarray(det["scores"], dtype=np.float64).reshape(-1)[sel])
    img = np.concatenate(det_img) if det_img else np.zeros(0, dtype=np.int64)
    box = np.concatenate(det_box) if det_box else np.zeros((0, 4))
    score = np.concatenate(det_score) if det_score else np.zeros(0)
    order = np.argsort(-score, kind="stable")
    img, box, score = img[order], box[order], score[order]
    # one vectorized IoU per image; the greedy claiming below has to go in rank order
    best_iou = np.zeros(len(score))
    best_gt = np.full(len(score), -1)
    for i in np.unique(img):
        rows = np.flatnonzero(img == i)
        if len(gts[i]):
            ious = box_iou(box[rows], gts[i])
            best_gt[rows] = ious.argmax(axis=1)
            best_iou[rows] = ious.max(axis=1)
    taken = [np.zeros(len(g), dtype=bool) for g in gts]
    tp = np.zeros(len(score))
    for k in np.flatnonzero(best_iou >= iou_threshold):
        claimed = taken[img[k]]
        if not claimed[best_gt[k]]:
            claimed[best_gt[k]] = True
            tp[k] = 1.0
    return score, tp, n_gt


def mean_average_precision(detections: Sequence[dict[str, Any]], gt_boxes: Sequence[Any],
                           gt_classes: Sequence[Any], num_classes: int,
                           iou_threshold: float = 0.5) -> dict[str, Any]:
    """mAP@iou_threshold over images.

    Args:
        detections: one dict per image with ``boxes`` (K, 4) corners, ``scores`` (K,),
            ``classes`` (K,) (what ``yolo.detect`` returns).
        gt_boxes, gt_classes: per image, the true corner boxes (in the same units) and
            classes; rows with class −1 are padding.

    Returns:
        ``{"map": float, "ap": (num_classes,) array (NaN for a class with no ground truth),
        "num_gt": (num_classes,) counts}``.
    """
    if not (len(detections) == len(gt_boxes) == len(gt_classes)):
        raise ValueError(f"mean_average_precision: {len(detections)} detection lists but "
                         f"{len(gt_boxes)} ground-truth box lists and {len(gt_classes)} class lists")
    if not 0.0 < iou_threshold <= 1.0:
        raise ValueError(f"mean_average_precision: iou_threshold must be in (0, 1], got {iou_threshold}")
    ap = np.full(num_classes, np.nan)
    counts = np.zeros(num_classes, dtype=np.int64)
    for c in range(num_classes):
        _, tp, n_gt = match_detections(detections, gt_boxes, gt_classes, c, iou_threshold)
        counts[c] = n_gt
        if n_gt == 0:
            continue
        cum_tp = np.cumsum(tp)
        ranks = np.arange(1, len(tp) + 1)
        ap[c] = average_precision(cum_tp / n_gt, cum_tp / ranks) if len(tp) else 0.0
    valid = ~np.isnan(ap)
    return {"map": float(ap[valid].mean()) if valid.any() else float("nan"), "ap": ap,
            "num_gt": counts}

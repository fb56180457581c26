"""YOLO on an S×S grid with B anchor boxes: the target tensor, decoding, and the loss.

Target (the course's y for every cell and anchor), shape (S, S, B, 5 + C):

    y = [p_c, b_x, b_y, b_h, b_w, c_1, …, c_C]

* An object belongs to the cell (row, col) that contains its centre, and within it to the
  anchor whose shape matches best (IoU of the sizes with both boxes centred, ``shape_iou``).
  Every other (cell, anchor) has p_c = 0 and the rest of its vector 0 too.
* b_x, b_y: the centre's position inside its cell, 0–1 from the cell's top-left corner:
  b_x = S·x − col, b_y = S·y − row (x, y relative to the image).
* b_h, b_w: the box's height and width relative to the *image* (the course's
  localization convention: the image runs from (0, 0) to (1, 1)), so they may exceed
  the cell.
* c_1..c_C: the one-hot class.
If two objects fall on the same cell *and* anchor, the later one in the list overwrites
the earlier (the grid can hold only one object per cell and anchor).

Network output, same shape, raw numbers t (logits):

    p_c = σ(t_o),  b_x = σ(t_x),  b_y = σ(t_y),
    b_h = a_h·e^{t_h},  b_w = a_w·e^{t_w}   (a_h, a_w: the anchor's size relative to the image),
    class probabilities = softmax(t_c1..t_cC).

Loss per image (summed over cells and anchors, averaged over the batch):

    L = Σ_obj BCE(t_o, 1) + λ_noobj Σ_noobj BCE(t_o, 0)                  logistic, everywhere
      + λ_coord Σ_obj [(σ(t_x) − b_x)² + (σ(t_y) − b_y)²
                       + (t_h − ln(b_h/a_h))² + (t_w − ln(b_w/a_w))²]   squared error, objects only
      + Σ_obj CE(softmax(t_c), c)                                       softmax cross-entropy, objects only

The size terms compare log-sizes (as YOLOv2), so a box twice too big costs as much
as one half as big, whatever its size.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..core.tensor import Tensor
from ..nn import functional as F
from ..ops.shape import cat
from .boxes import as_boxes, center_to_corners, corners_to_center
from .iou import shape_iou
from .nms import batched_nms


def check_anchors(anchors: Any, where: str) -> np.ndarray:
    """Anchors as a float array (B, 2) of positive (h, w), relative to the image."""
    a = np.asarray(anchors, dtype=np.float64)
    if a.ndim != 2 or a.shape[1] != 2 or a.shape[0] < 1 or not np.all(a > 0):
        raise ValueError(f"{where}: anchors must be (B, 2) positive (h, w) sizes relative to "
                         f"the image, got {np.asarray(anchors).tolist()}")
    return a


def encode_targets(boxes: Any, classes: Any, grid_size: int, anchors: Any,
                   num_classes: int) -> np.ndarray:
    """The target tensor for relative corner boxes.

    Args:
        boxes: (K, 4) for one image or (N, K, 4) for a batch, corners (x1, y1, x2, y2) in
            0–1. Rows whose class is negative are padding and are ignored.
        classes: (K,) or (N, K) integer classes in [0, num_classes), −1 for padding.
        grid_size: S. anchors: (B, 2) sizes (h, w) relative to the image.

    Returns:
        float32 (S, S, B, 5 + C), or (N, S, S, B, 5 + C) for a batch.
    """
    anchors = check_anchors(anchors, "encode_targets")
    single = np.ndim(classes) == 1
    boxes = as_boxes(boxes, "encode_targets").astype(np.float64)
    classes = np.asarray(classes)
    if single:
        boxes, classes = boxes.reshape(1, -1, 4), classes.reshape(1, -1)
    if boxes.shape[:2] != classes.shape:
        raise ValueError(f"encode_targets: boxes {boxes.shape} and classes {classes.shape} "
                         f"do not match (expected boxes (…, K, 4) and classes (…, K))")
    if classes.size and classes.dtype.kind not in "iu":
        raise TypeError(f"encode_targets: classes must be integers, got dtype {classes.dtype}")
    if classes.size and classes.max() >= num_classes:
        raise ValueError(f"encode_targets: class {int(classes.max())} is outside [0, {num_classes})")
    s, b = int(grid_size), anchors.shape[0]
    target = np.zeros((classes.shape[0], s, s, b, 5 + num_classes), dtype=np.float32)
    n_idx, k_idx = np.nonzero(classes >= 0)
    if n_idx.size == 0:
        return target[0] if single else target
    cx, cy, w, h = corners_to_center(boxes[n_idx, k_idx]).T
    col = np.clip(np.floor(cx * s).astype(np.int64), 0, s - 1)
    row = np.clip(np.floor(cy * s).astype(np.int64), 0, s - 1)
    best = shape_iou(np.stack([h, w], axis=1), anchors).argmax(axis=1)
    cls = classes[n_idx, k_idx].astype(np.int64)
    vec = np.zeros((n_idx.size, 5 + num_classes))
    vec[:, 0] = 1.0
    vec[:, 1], vec[:, 2] = cx * s - col, cy * s - row
    vec[:, 3], vec[:, 4] = h, w
    vec[np.arange(n_idx.size), 5 + cls] = 1.0
    target[n_idx, row, col, best] = vec
    return target[0] if single else target


def _grid_offsets(s: int) -> tuple[np.ndarray, np.ndarray]:
    """(col, row) of every cell, shaped (S, S, 1) to broadcast over anchors."""
    rows, cols = np.meshgrid(np.arange(s), np.arange(s), indexing="ij")
    return cols[..., None], rows[..., None]


def _check_grid(arr: np.ndarray, where: str) -> np.ndarray:
    if arr.ndim == 4:
        arr = arr[None]
    if arr.ndim != 5 or arr.shape[1] != arr.shape[2] or arr.shape[-1] < 6:
        raise ValueError(f"{where}: expected (N, S, S, B, 5 + C) with C ≥ 1, got shape {arr.shape}")
    return arr


def _cells_to_corners(bx: np.ndarray, by: np.ndarray, bh: np.ndarray, bw: np.ndarray) -> np.ndarray:
    s = bx.shape[1]
    col, row = _grid_offsets(s)
    centre = np.stack([(col + bx) / s, (row + by) / s, bw, bh], axis=-1)
    return center_to_corners(centre).reshape(bx.shape[0], -1, 4)


def decode_targets(target: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Target tensor(s) → (boxes (N, S·S·B, 4) relative corners, p_c (N, S·S·B),
    class one-hots (N, S·S·B, C)), the inverse of ``encode_targets``."""
    t = _check_grid(np.asarray(target, dtype=np.float64), "decode_targets")
    n = t.shape[0]
    boxes = _cells_to_corners(t[..., 1], t[..., 2], t[..., 3], t[..., 4])
    return boxes, t[..., 0].reshape(n, -1), t[..., 5:].reshape(n, -1, t.shape[-1] - 5)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -z))


def decode_predictions(pred: Any, anchors: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw network outputs (N, S, S, B, 5 + C) → (boxes (N, S·S·B, 4) relative corners,
    objectness σ(t_o) (N, S·S·B), class probabilities softmax(t_c) (N, S·S·B, C))."""
    p = _check_grid(np.asarray(getattr(pred, "data", pred), dtype=np.float64), "decode_predictions")
    anchors = check_anchors(anchors, "decode_predictions")
    if p.shape[3] != anchors.shape[0]:
        raise ValueError(f"decode_predictions: {p.shape[3]} anchors in the predictions but "
                         f"{anchors.shape[0]} anchor sizes given")
    n = p.shape[0]
    bh = anchors[:, 0] * np.exp(np.clip(p[..., 3], -20, 20))
    bw = anchors[:, 1] * np.exp(np.clip(p[..., 4], -20, 20))
    boxes = _cells_to_corners(_sigmoid(p[..., 1]), _sigmoid(p[..., 2]), bh, bw)
    logits = p[..., 5:]
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probs = e / e.sum(axis=-1, keepdims=True)
    return boxes, _sigmoid(p[..., 0]).reshape(n, -1), probs.reshape(n, -1, probs.shape[-1])


def postprocess(boxes: np.ndarray, objectness: np.ndarray, class_probs: np.ndarray,
                score_threshold: float = 0.5, iou_threshold: float = 0.5,
                max_detections: int | None = None) -> list[dict[str, np.ndarray]]:
    """The course's last steps for each image: score = p_c × the best class probability,
    drop boxes scoring below ``score_threshold``, then NMS per class (then keep at most
    ``max_detections``, the best-scored).

    Returns one dict per image with ``boxes`` (K, 4), ``scores`` (K,), ``classes`` (K,),
    sorted by decreasing score.
    """
    out = []
    for b, obj, probs in zip(boxes, objectness, class_probs):
        cls = probs.argmax(axis=-1)
        scores = obj * probs[np.arange(len(cls)), cls]
        sel = np.flatnonzero(scores >= score_threshold)
        keep = sel[batched_nms(b[sel], scores[sel], cls[sel], iou_threshold)][:max_detections]
        out.append({"boxes": b[keep].astype(np.float32), "scores": scores[keep].astype(np.float32),
                    "classes": cls[keep].astype(np.int64)})
    return out


def detect(pred: Any, anchors: Any, score_threshold: float = 0.5, iou_threshold: float = 0.5,
           max_detections: int | None = None) -> list[dict[str, np.ndarray]]:
    """Decode raw predictions and run ``postprocess``: the detections of each image."""
    return postprocess(*decode_predictions(pred, anchors), score_threshold, iou_threshold,
                       max_detections)


def yolo_loss(pred: Tensor, target: Any, anchors: Any, lambda_coord: float = 5.0,
              lambda_noobj: float = 0.5, return_parts: bool = False) -> Any:
    """The YOLO loss of the module docstring, averaged over the N images of the batch.

    Args:
        pred: raw outputs (N, S, S, B, 5 + C), a Tensor in the graph.
        target: ``encode_targets`` output of the same shape.
        return_parts: also return a dict of the four terms (floats, already weighted).
    """
    t = np.asarray(getattr(target, "data", target))
    if tuple(pred.shape) != t.shape or pred.ndim != 5:
        raise ValueError(f"yolo_loss: predictions {tuple(pred.shape)} and target {t.shape} must "
                         f"both be (N, S, S, B, 5 + C)")
    anchors = check_anchors(anchors, "yolo_loss")
    if pred.shape[3] != anchors.shape[0]:
        raise ValueError(f"yolo_loss: {pred.shape[3]} anchors in the predictions but "
                         f"{anchors.shape[0]} anchor sizes given")
    dtype = pred.dtype
    n = pred.shape[0]
    obj = t[..., 0] > 0.5
    # logistic loss on p_c for every (cell, anchor); no-object ones weighted by λ_noobj
    weights = np.where(obj, 1.0, lambda_noobj).astype(dtype)
    bce = F.binary_cross_entropy_with_logits(pred[..., 0], obj.astype(dtype), reduction="none")
    conf = (bce * weights).sum()
    parts = {"objectness": conf}
    total = conf
    idx = np.nonzero(obj)
    if idx[0].size:
        rows = pred[idx]                                              # (K, 5 + C)
        a = anchors[idx[3]]                                            # (K, 2) its anchors
        t_obj = t[idx]
        box_target = np.concatenate(
            [t_obj[:, 1:3], np.log(t_obj[:, 3:5] / a)], axis=1).astype(dtype)
        box_pred = cat([rows[:, 1:3].sigmoid(), rows[:, 3:5]], axis=1)
        coord = F.mse_loss(box_pred, box_target, reduction="sum") * lambda_coord
        cls = F.cross_entropy(rows[:, 5:], t_obj[:, 5:].argmax(axis=1), reduction="sum")
        parts.update(box=coord, classification=cls)
        total = total + coord + cls
    loss = total / float(n)
    if return_parts:
        return loss, {k: float(v.item()) / n for k, v in parts.items()}
    return loss

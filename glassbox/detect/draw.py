"""PNG figures of images with their detected boxes, labels and scores (matplotlib from the
``plot`` extra, drawn on an Agg canvas and written atomically)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..plots._mpl import grid_shape, new_figure, save_png


def _images(images: Any) -> np.ndarray:
    arr = np.asarray(getattr(images, "data", images), dtype=np.float32)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim == 4 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 3:
        raise ValueError(f"draw_detections: expected grey images (H, W), (K, H, W) or "
                         f"(K, 1, H, W), got shape {arr.shape}")
    return arr


def draw_detections(images: Any, detections: Any, path: str | os.PathLike,
                    ground_truth: Sequence[dict[str, Any]] | None = None,
                    class_names: Sequence[str] | None = None, cols: int | None = None,
                    title: str | None = None, panel_size: float = 2.4) -> Path:
    """Save the images in a grid with each detection's box (pixel corners) and
    "label score" drawn on top; true boxes, when given, as dashed green outlines.

    Args:
        images: (H, W) or (K, H, W) / (K, 1, H, W) grey images.
        detections: a dict (one image) or a list of dicts with ``boxes`` (pixels,
            (x1, y1, x2, y2)), ``classes`` and optionally ``scores``.
        ground_truth: per image a dict with ``boxes`` and ``classes`` (class −1 = padding).
    """
    imgs = _images(images)
    dets = [detections] if isinstance(detections, dict) else list(detections)
    if len(dets) != len(imgs):
        raise ValueError(f"draw_detections: {len(imgs)} images but {len(dets)} detection lists")
    if ground_truth is not None and len(ground_truth) != len(imgs):
        raise ValueError(f"draw_detections: {len(imgs)} images but {len(ground_truth)} ground truths")
    rows, cols = grid_shape(len(imgs), cols)
    fig = new_figure("draw_detections", figsize=(panel_size * cols, panel_size * rows + (0.4 if title else 0)))
    from matplotlib.patches import Rectangle

    name = (lambda c: class_names[c]) if class_names is not None else str
    for k, img in enumerate(imgs):
        ax = fig.add_subplot(rows, cols, k + 1)
        ax.imshow(img, cmap="gray", vmin=0.0, vmax=max(1.0, float(img.max())),
                  extent=(0, img.shape[1], img.shape[0], 0), interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        if ground_truth is not None:
            gt = ground_truth[k]
            for box, c in zip(np.asarray(gt["boxes"]).reshape(-1, 4), np.asarray(gt["classes"]).reshape(-1)):
                if c >= 0:
                    x1, y1, x2, y2 = box
                    ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, edgecolor="lime",
                                           linestyle="--", linewidth=1.0))
        det = dets[k]
        boxes = np.asarray(det["boxes"]).reshape(-1, 4)
        classes = np.asarray(det["classes"]).reshape(-1)
        scores = np.asarray(det.get("scores", np.full(len(classes), np.nan))).reshape(-1)
        for (x1, y1, x2, y2), c, s in zip(boxes, classes, scores):
            ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, edgecolor="red",
                                   linewidth=1.5))
            text = name(int(c)) if np.isnan(s) else f"{name(int(c))} {s:.2f}"
            ax.text(x1, y1 - 0.5, text, color="white", fontsize=7, va="bottom", ha="left",
                    bbox={"facecolor": "red", "edgecolor": "none", "pad": 0.8, "alpha": 0.85})
        ax.set_xlim(0, img.shape[1])
        ax.set_ylim(img.shape[0], 0)
    if title:
        fig.suptitle(title)
    return save_png(fig, path)

"""Training and evaluating the detector on digit canvases: Adam on the YOLO loss with a
cosine learning-rate decay, fresh canvases every epoch (drawn from the same training
digits with a new seed, so the network never sees the same layout twice), and
mAP@0.5 on held-out canvases."""
from __future__ import annotations

import math
import time
from typing import Any, Callable

import numpy as np

from ..core.grad_mode import no_grad
from ..core.tensor import Tensor
from ..optim import Adam
from ..random import manual_seed
from .boxes import to_absolute, to_relative
from .metrics import mean_average_precision
from .synthetic import make_canvases
from .yolo import detect, encode_targets, yolo_loss


def predict(model: Any, canvases: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Raw outputs (N, S, S, B, 5 + C) in eval mode, without recording a graph."""
    was_training = model.training
    model.eval()
    outs = []
    with no_grad():
        for i in range(0, len(canvases), batch_size):
            outs.append(model(Tensor(canvases[i:i + batch_size])).data)
    model.train(was_training)
    return np.concatenate(outs) if outs else np.zeros((0,))


def detect_canvases(model: Any, canvases: np.ndarray, score_threshold: float = 0.5,
                    iou_threshold: float = 0.5, max_detections: int | None = None
                    ) -> list[dict[str, np.ndarray]]:
    """Detections per canvas with boxes in pixels."""
    dets = detect(predict(model, canvases), model.anchors, score_threshold, iou_threshold,
                  max_detections)
    for d in dets:
        d["boxes"] = to_absolute(d["boxes"], model.image_size)
    return dets


def evaluate_detector(model: Any, canvases: np.ndarray, boxes: np.ndarray, classes: np.ndarray,
                      score_threshold: float = 0.01, iou_threshold: float = 0.5) -> dict[str, Any]:
    """mAP@0.5 of the detector on canvases with pixel boxes. A low score threshold keeps
    the whole precision/recall curve (mAP ranks detections by score)."""
    dets = detect_canvases(model, canvases, score_threshold, iou_threshold)
    return mean_average_precision(dets, boxes, classes, model.num_classes, 0.5)


def train_detector(model: Any, images: np.ndarray, labels: np.ndarray, epochs: int = 12,
                   canvases_per_epoch: int = 5000, batch_size: int = 32, lr: float = 2e-3,
                   seed: int = 0, max_digits: int = 3, lambda_coord: float = 5.0,
                   lambda_noobj: float = 0.5, log: Callable[[str], None] | None = print
                   ) -> dict[str, list[float]]:
    """Train ``model`` (a ``TinyYOLO``) in place on canvases built from ``images``/``labels``.

    Returns the history: mean loss and its parts per epoch, and seconds per epoch.
    """
    manual_seed(seed)
    rng = np.random.default_rng(seed)
    opt = Adam(model.parameters(), lr=lr)
    steps = epochs * math.ceil(canvases_per_epoch / batch_size)
    history: dict[str, list[float]] = {"loss": [], "objectness": [], "box": [],
                                       "classification": [], "seconds": []}
    step = 0
    model.train()
    for epoch in range(epochs):
        start = time.perf_counter()
        x, b, c = make_canvases(images, labels, canvases_per_epoch, size=model.image_size,
                                max_digits=max_digits, seed=seed * 1000 + epoch + 1)
        y = encode_targets(to_relative(b, model.image_size), c, model.grid_size, model.anchors,
                           model.num_classes)
        order = rng.permutation(len(x))
        sums = {k: 0.0 for k in ("loss", "objectness", "box", "classification")}
        for i in range(0, len(x), batch_size):
            idx = order[i:i + batch_size]
            for group in opt.param_groups:  # cosine decay from lr to 0 over all steps
                group["lr"] = 0.5 * lr * (1 + math.cos(math.pi * step / steps))
            loss, parts = yolo_loss(model(Tensor(x[idx])), y[idx], model.anchors,
                                    lambda_coord, lambda_noobj, return_parts=True)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            sums["loss"] += loss.item() * len(idx)
            for k, v in parts.items():
                sums[k] += v * len(idx)
        for k, v in sums.items():
            history[k].append(v / len(x))
        history["seconds"].append(time.perf_counter() - start)
        if log:
            log(f"epoch {epoch + 1}/{epochs}  loss {history['loss'][-1]:.3f}  "
                f"(obj {history['objectness'][-1]:.3f}, box {history['box'][-1]:.3f}, "
                f"cls {history['classification'][-1]:.3f})  {history['seconds'][-1]:.0f}s")
    model.eval()
    return history

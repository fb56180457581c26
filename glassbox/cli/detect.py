"""``glassbox detect CHECKPOINT IMAGE.png``: find digits in a grey image with a trained
detector, print them and draw them."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from .common import CliError, add_subcommand


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = add_subcommand(
        subparsers, "detect", run, help="detect digits in a grey PNG with a trained detector checkpoint",
        description="Load a detector saved by examples/detect_digits.py, run it on a grey PNG "
                    "(light digits on a dark background, like MNIST; a mostly light image is "
                    "inverted), print each detection (class, score, box in the image's pixels) "
                    "and save a copy of the image with the boxes drawn.\n\nAn image of another "
                    "size is scaled so its longer side fits the detector's canvas and padded "
                    "with black at the bottom/right.", checkpoint="detector checkpoint (.npz)")
    p.add_argument("image", metavar="IMAGE", help="grey (or RGB, averaged) PNG image")
    p.add_argument("--out", default=None, metavar="PNG",
                   help="where to draw the detections (default: IMAGE_detections.png beside IMAGE)")
    p.add_argument("--threshold", type=float, default=0.5,
                   help="keep boxes whose score p_c × class probability is at least this")
    p.add_argument("--iou", type=float, default=0.5, help="IoU threshold of non-max suppression")
    p.add_argument("--max-detections", type=int, default=20, metavar="K",
                   help="report at most the K best-scored boxes")
    return p


def load_detector(path: str) -> tuple[Any, Any]:
    """The detector rebuilt from the checkpoint's config, with its weights."""
    from ..detect.model import build_detector
    from ..training.checkpoint import load_checkpoint

    ckpt = load_checkpoint(path)
    config = ckpt.config
    if not isinstance(config, dict) or config.get("name") != "tiny-yolo":
        name = config.get("name") if isinstance(config, dict) else None
        raise CliError(f"{path} is not a detector checkpoint (its config names model {name!r}, "
                       "expected 'tiny-yolo')")
    try:
        model = build_detector(config)
    except (TypeError, ValueError) as exc:
        raise CliError(f"{path}: cannot rebuild the detector from its config: {exc}") from None
    load_checkpoint(path, model=model)
    model.eval()
    return model, ckpt


def read_grey(path: str) -> np.ndarray:
    """A PNG as a float32 (H, W) array in [0, 1]; colour channels are averaged, alpha dropped."""
    try:
        import matplotlib.image as mpimg
    except ImportError:
        raise CliError("reading images needs matplotlib: install glassbox[plot]") from None
    if not Path(path).is_file():
        raise CliError(f"{path}: no such image file")
    try:
        img = np.asarray(mpimg.imread(path), dtype=np.float32)
    except Exception as exc:  # matplotlib/PIL raise several kinds for a non-image file
        raise CliError(f"{path}: cannot read as an image ({exc})") from None
    if img.ndim == 3:
        img = img[..., :3].mean(axis=2)
    if img.ndim != 2 or img.size == 0:
        raise CliError(f"{path}: expected a 2-D grey or RGB image, got shape {img.shape}")
    if img.max() > 1.0:  # 8/16-bit integers read as such
        img = img / (65535.0 if img.max() > 255 else 255.0)
    return img


def fit_to_canvas(img: np.ndarray, size: int) -> tuple[np.ndarray, float]:
    """Scale so the longer side is ``size`` (if it is not already), pad bottom/right with 0;
    returns the canvas and the scale factor (canvas pixels per image pixel)."""
    from ..detect.synthetic import resize_images

    h, w = img.shape
    scale = size / max(h, w)
    if (h, w) != (size, size):
        nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
        img = resize_images(img[None].astype(np.float64), nh, nw)[0]
    canvas = np.zeros((size, size), dtype=np.float32)
    canvas[:img.shape[0], :img.shape[1]] = img
    return canvas, scale


def run(args: argparse.Namespace) -> int:
    from ..detect.draw import draw_detections
    from ..detect.train import detect_canvases

    if not 0.0 <= args.threshold <= 1.0:
        raise CliError(f"--threshold must be in [0, 1], got {args.threshold}")
    if not 0.0 <= args.iou <= 1.0:
        raise CliError(f"--iou must be in [0, 1], got {args.iou}")
    if args.max_detections < 1:
        raise CliError(f"--max-detections must be at least 1, got {args.max_detections}")
    model, _ = load_detector(args.checkpoint)
    img = read_grey(args.image)
    inverted = float(img.mean()) > 0.5
    if inverted:  # the detector was trained on light strokes over black
        img = 1.0 - img
    canvas, scale = fit_to_canvas(img, model.image_size)
    det = detect_canvases(model, canvas[None, None], args.threshold, args.iou,
                          args.max_detections)[0]
    h, w = img.shape
    boxes = det["boxes"] / scale
    boxes[:, 0::2] = np.clip(boxes[:, 0::2], 0, w)
    boxes[:, 1::2] = np.clip(boxes[:, 1::2], 0, h)
    det["boxes"] = boxes
    print(f"{args.image}: {w}×{h} image{' (inverted)' if inverted else ''}, "
          f"{len(boxes)} detection{'s' if len(boxes) != 1 else ''} with score ≥ {args.threshold:g}")
    for c, s, (x1, y1, x2, y2) in zip(det["classes"], det["scores"], boxes):
        print(f"  class {int(c)}  score {s:.3f}  box x1={x1:.1f} y1={y1:.1f} x2={x2:.1f} y2={y2:.1f}")
    out = Path(args.out) if args.out else Path(args.image).with_name(Path(args.image).stem + "_detections.png")
    try:
        draw_detections(img, det, out, title=f"{len(boxes)} detected")
    except ImportError as exc:
        raise CliError(str(exc)) from None
    print(f"drawn to {out}")
    return 0

"""``Classifier``: a trained model from a checkpoint, ready to classify images.

    clf = load_classifier("runs/mnist-mlp-.../checkpoint.npz")
    classes, probabilities = clf.predict(x)          # x: (N, 1, 28, 28) or (N, 28, 28) in [0, 1]
    for p in clf.predict_files(["digit.png"]):       # PNG / JPEG / .npy, converted as trained
        print(p.file, p.name, p.probability, p.notes)

The probabilities are the softmax of the logits, p_k = e^{z_k} / Σ_j e^{z_j} (computed
as e^{z_k − max z} / Σ_j e^{z_j − max z}, which cannot overflow). Inputs go through the
preprocessing recorded in the checkpoint (``config["input"]``): pixels in [0, 1], then
(x − mean) / std (mean 0, std 1 for ``glassbox train``'s models).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import CheckpointError, ShapeError

# What ``glassbox train`` feeds its models (and what older checkpoints, which do not say, got).
DEFAULT_INPUT = {"shape": [1, 28, 28], "range": [0.0, 1.0], "mean": 0.0, "std": 1.0,
                 "background": "dark"}


@dataclass
class Prediction:
    """One classified input: the most probable ``label`` (index), its ``name``, its
    ``probability``, the ``top`` k as ``(name, probability)`` pairs, and ``notes`` on what
    was converted on the way in."""

    file: str | None
    label: int
    name: str
    probability: float
    top: list[tuple[str, float]]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: file, label (the class name; an int for digits), probability, top,
        and class (the index), notes."""
        return {"file": self.file, "label": _label(self.name), "probability": self.probability,
                "top": [{"label": _label(n), "probability": p} for n, p in self.top],
                "class": self.label, "notes": list(self.notes)}


def _label(name: str) -> int | str:
    return int(name) if name.isdigit() else name


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, shifted by each row's maximum (float64)."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class Classifier:
    """A model with its class names and input preprocessing.

    Args:
        model: the ``Module`` (outputs logits, one per class).
        class_names: a name per class (default "0", "1", ...).
        input_spec: ``{"shape": [C, H, W], "mean": m, "std": s, ...}`` (``DEFAULT_INPUT``).
        dataset: the data set it was trained on, if known.
    """

    def __init__(self, model: Any, class_names: Sequence[str] | None = None,
                 input_spec: dict[str, Any] | None = None, dataset: str | None = None) -> None:
        self.model = model
        self.input_spec = {**DEFAULT_INPUT, **(input_spec or {})}
        self.class_names = list(class_names) if class_names is not None else None
        self.dataset = dataset
        self.checkpoint: Any = None  # the Checkpoint it came from, with from_checkpoint

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike) -> "Classifier":
        """Rebuild the model a checkpoint describes (its ``config``), load its weights."""
        from ..data.mnist import CLASS_NAMES
        from ..models import build_from_config
        from .checkpoint import load_checkpoint

        file = Path(path)
        if file.is_dir():
            file = next((file / n for n in ("checkpoint.npz", "last.npz") if (file / n).is_file()),
                        file / "checkpoint.npz")
        ckpt = load_checkpoint(file)
        config = ckpt.config
        if not isinstance(config, dict) or "name" not in config:
            raise CheckpointError(f"{file} does not say how to build its model (no config with a model "
                                  "name); build the model yourself and use load_checkpoint(path, model)")
        try:
            model = build_from_config(config)
        except (TypeError, ValueError) as exc:
            raise CheckpointError(f"{file}: cannot rebuild model {config['name']!r} with "
                                  f"{config.get('kwargs')}: {exc}") from None
        load_checkpoint(file, model=model)
        dataset = config.get("dataset")
        spec = dict(config.get("input") or {})
        if "input_shape" in config and "shape" not in spec:
            spec["shape"] = list(config["input_shape"])
        clf = cls(model, CLASS_NAMES.get(dataset) if dataset else None, spec, dataset)
        clf.checkpoint = ckpt
        return clf

    # ------------------------------------------------------------- arrays
    def _prepare(self, x: Any) -> np.ndarray:
        shape = tuple(self.input_spec["shape"])
        arr = np.asarray(getattr(x, "data", x), dtype=np.float32)
        if arr.shape == shape[1:] or arr.shape == shape:  # one image
            arr = arr.reshape(1, *shape)
        elif arr.ndim == len(shape) and arr.shape[1:] == shape[1:] and shape[0] == 1:
            arr = arr.reshape(len(arr), *shape)  # (N, H, W)
        if arr.shape[1:] != shape:
            raise ShapeError(f"Classifier: the model takes images of shape {shape} (or a batch of "
                             f"them), got an array of shape {arr.shape}")
        mean, std = float(self.input_spec["mean"]), float(self.input_spec["std"])
        return arr if (mean, std) == (0.0, 1.0) else (arr - mean) / std

    def probabilities(self, x: Any, batch_size: int = 1000) -> np.ndarray:
        """Class probabilities (N, C) for images ``x`` in [0, 1]."""
        from .fit import predict

        return softmax(predict(self.model, self._prepare(x), batch_size=batch_size))

    def predict(self, x: Any, batch_size: int = 1000) -> tuple[np.ndarray, np.ndarray]:
        """``(classes, probabilities)``: the most probable class of each image (int64, (N,))
        and its probability ((N,))."""
        p = self.probabilities(x, batch_size)
        classes = p.argmax(axis=1)
        return classes, p[np.arange(len(p)), classes]

    def name(self, k: int) -> str:
        return self.class_names[k] if self.class_names and k < len(self.class_names) else str(k)

    # -------------------------------------------------------------- files
    def predict_files(self, paths: Sequence[str | os.PathLike], top: int = 1,
                      invert: bool | None = None) -> list[Prediction]:
        """Classify image files (PNG, JPEG, .npy; folders give their image files), each
        converted as ``data.images.load_image`` describes, with the notes it made."""
        from ..data.images import image_files, load_image

        if isinstance(top, bool) or not isinstance(top, int) or top < 1:
            raise ValueError(f"predict_files: top must be a positive integer, got {top!r}")
        files = image_files(list(paths))
        size = tuple(self.input_spec["shape"][1:])
        loaded = [load_image(f, size=size, invert=invert) for f in files]  # type: ignore[arg-type]
        if not loaded:
            return []
        probs = self.probabilities(np.stack([arr for arr, _ in loaded])[:, None])
        out = []
        for file, (_, notes), p in zip(files, loaded, probs):
            order = np.argsort(-p, kind="stable")[:min(top, len(p))]
            best = int(order[0])
            out.append(Prediction(str(file), best, self.name(best), float(p[best]),
                                  [(self.name(int(k)), float(p[k])) for k in order], notes))
        return out


def load_classifier(path: str | os.PathLike) -> Classifier:
    """``Classifier.from_checkpoint(path)``: the model of a checkpoint (or run folder)."""
    return Classifier.from_checkpoint(path)

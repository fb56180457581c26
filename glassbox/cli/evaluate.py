"""``glassbox evaluate CHECKPOINT``: rebuild the saved model and report its test accuracy.

Besides the test loss and accuracy it prints the per-class precision / recall / F1 table
and the most-confused class pairs; ``--report DIR`` also writes them (with the confusion
matrix and the most confident mistakes) to ``DIR/report.json``, and, when matplotlib is
installed, ``confusion_matrix.png`` and ``misclassified.png``.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from .common import CHECKPOINT_HELP, DATASETS, CliError, add_subcommand, load_dataset, load_model

from ..data.mnist import CLASS_NAMES

FASHION_CLASSES = CLASS_NAMES["fashion-mnist"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = add_subcommand(
        subparsers, "evaluate", run, help="test loss and accuracy of a saved checkpoint",
        description="Rebuild the model stored in CHECKPOINT (written by `glassbox train`), load "
                    "its weights and print its loss and accuracy on the test set.",
        checkpoint=CHECKPOINT_HELP)
    p.add_argument("--dataset", default=None, choices=DATASETS,
                   help="dataset to test on (default: the one the model was trained on)")
    p.add_argument("--data", metavar="DIR", default=None,
                   help="folder holding the four IDX files, or <dataset>/ inside it")
    p.add_argument("--no-download", action="store_true", help="never download the dataset")
    p.add_argument("--batch-size", type=int, default=1000, help="evaluation batch size")
    p.add_argument("--report", metavar="DIR", default=None,
                   help="write report.json (classification report, error analysis, confusion "
                        "matrix) and, with matplotlib, confusion_matrix.png and misclassified.png here")
    p.add_argument("--top-pairs", type=int, default=5, help="how many most-confused pairs to print")
    return p


def loss_and_logits(model: Any, x: np.ndarray, y: np.ndarray, batch_size: int) -> tuple[float, np.ndarray]:
    """Mean cross-entropy and the logits (n, C) of ``model`` on the test set, in one pass.

    The loss is averaged exactly as ``training.evaluate`` does (batch means weighted by
    batch sizes), so it prints the same number ``glassbox train`` stored."""
    from .. import backend, nn
    from ..core.tensor import Tensor

    logits = backend.to_numpy(nn.utils.inference(model, x, batch_size, where="evaluate"))
    loss_fn = nn.CrossEntropyLoss()
    loss_sum = sum(loss_fn(Tensor(logits[i:i + batch_size]), Tensor(y[i:i + batch_size])).item()
                   * len(logits[i:i + batch_size]) for i in range(0, len(x), batch_size))
    return loss_sum / len(x), logits


def write_report(folder: Path, summary: dict[str, Any], cm: np.ndarray, x: np.ndarray,
                 y: np.ndarray, logits: np.ndarray, errors: dict[str, Any],
                 class_names: list[str]) -> list[Path]:
    """report.json (atomically) and, if matplotlib imports, the two figures; returns the paths."""
    from ..training.atomic import atomic_write_json

    if folder.exists() and not folder.is_dir():
        raise CliError(f"--report {folder}: exists and is not a folder")
    written = [atomic_write_json(folder / "report.json", {**summary, "confusion_matrix": cm.tolist()})]
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("(matplotlib is not installed: no PNG figures; pip install glassbox[plot])")
        return written
    from ..plots import plot_confusion_matrix, plot_misclassified

    written.append(plot_confusion_matrix(cm, folder / "confusion_matrix.png", class_names=class_names))
    worst = [e["index"] for e in errors["confident_errors"]]
    pred = logits.argmax(axis=1)
    conf = [e["confidence"] for e in errors["confident_errors"]]
    written.append(plot_misclassified(x[worst], y[worst], pred[worst], folder / "misclassified.png",
                                      confidences=conf, class_names=class_names,
                                      title=f"the {len(worst)} most confident mistakes"))
    return written


def run(args: argparse.Namespace) -> int:
    from ..metrics import classification_report, confusion_matrix, error_analysis, format_classification_report

    if args.batch_size < 1:
        raise CliError(f"--batch-size must be at least 1, got {args.batch_size}")
    if args.top_pairs < 0:
        raise CliError(f"--top-pairs must be at least 0, got {args.top_pairs}")
    model, ckpt = load_model(args.checkpoint)
    trained_on = (ckpt.config or {}).get("dataset")
    dataset = args.dataset or trained_on or "mnist"
    if trained_on and dataset != trained_on:
        raise CliError(f"{ckpt.path} was trained on {trained_on}, not {dataset}: its classes mean "
                       f"other things there. Evaluate it on {trained_on} (leave out --dataset)")
    _, (x_test, y_test), source = load_dataset(dataset, args.data, download=not args.no_download)
    loss, logits = loss_and_logits(model, x_test, y_test, args.batch_size)
    if logits.ndim != 2 or logits.shape[1] <= int(y_test.max()):
        raise CliError(f"the model outputs shape {logits.shape[1:]} per image, not one logit per class "
                       f"of {dataset} ({int(y_test.max()) + 1})")
    num_classes = logits.shape[1]
    pred = logits.argmax(axis=1)
    accuracy = float(np.mean(pred == y_test))
    names = list(FASHION_CLASSES) if dataset == "fashion-mnist" and num_classes == 10 else \
        [str(c) for c in range(num_classes)]

    print(f"{ckpt.path}: {ckpt.config['name']} on {dataset} ({len(x_test):,} test images from {source.folder})")
    print(f"test accuracy {accuracy:.4f} ({100 * accuracy:.2f} %), test loss {loss:.4f}")

    report = classification_report(y_test, pred, class_names=names, zero_division=0.0)
    errors = error_analysis(y_test, logits, top_pairs=max(args.top_pairs, 10), class_names=names)
    cm = confusion_matrix(y_test, pred, num_classes=num_classes)
    print()
    print(format_classification_report(report), end="")
    pairs = errors["confused_pairs"][:args.top_pairs]
    if pairs:
        print(f"\nmost-confused pairs (true → predicted), of {errors['num_errors']:,} errors:")
        for e in pairs:
            print(f"  {e['true_name']:>12} → {e['predicted_name']:<12} {e['count']:5d}  "
                  f"({100 * e['fraction_of_true']:.1f} % of the {e['true_name']} images)")
    if args.report:
        summary = {"checkpoint": str(ckpt.path), "model": ckpt.config["name"], "dataset": dataset,
                   "data": str(source.folder), "num_test": int(len(x_test)), "test_loss": loss,
                   "test_accuracy": accuracy, "class_names": names,
                   "classification_report": report, "error_analysis": errors}
        written = write_report(Path(args.report), summary, cm, x_test, y_test, logits, errors, names)
        print("\nwrote " + ", ".join(str(p) for p in written))
    return 0

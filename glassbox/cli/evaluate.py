"""``glassbox evaluate CHECKPOINT``: rebuild the saved model and report its test accuracy."""
from __future__ import annotations

import argparse
from typing import Any

from .common import DATASETS, CliError, Formatter, build_model, load_dataset


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "evaluate", help="test loss and accuracy of a saved checkpoint", formatter_class=Formatter,
        description="Rebuild the model stored in CHECKPOINT (written by `glassbox train`), load "
                    "its weights and print its loss and accuracy on the test set.")
    p.add_argument("checkpoint", metavar="CHECKPOINT", help="a checkpoint.npz file (or a run folder)")
    p.add_argument("--dataset", default=None, choices=DATASETS,
                   help="dataset to test on (default: the one the model was trained on)")
    p.add_argument("--data", metavar="DIR", default=None,
                   help="folder holding the four IDX files, or <dataset>/ inside it")
    p.add_argument("--no-download", action="store_true", help="never download the dataset")
    p.add_argument("--batch-size", type=int, default=1000, help="evaluation batch size")
    p.set_defaults(func=run)
    return p


def load_model(path: str) -> tuple[Any, Any]:
    """The model rebuilt from a checkpoint's config, with its weights; and the checkpoint."""
    from pathlib import Path

    from ..training.checkpoint import load_checkpoint

    file = Path(path)
    if file.is_dir():
        file = file / "checkpoint.npz"
    ckpt = load_checkpoint(file)
    config = ckpt.config
    if not isinstance(config, dict) or "name" not in config:
        raise CliError(f"{file} does not say how to build its model (no config with a model "
                       "name); load it in Python with load_checkpoint(path, model)")
    model = build_model(config)
    load_checkpoint(file, model=model)
    return model, ckpt


def run(args: argparse.Namespace) -> int:
    from .. import nn
    from ..training import evaluate

    if args.batch_size < 1:
        raise CliError(f"--batch-size must be at least 1, got {args.batch_size}")
    model, ckpt = load_model(args.checkpoint)
    dataset = args.dataset or (ckpt.config or {}).get("dataset") or "mnist"
    _, (x_test, y_test), where = load_dataset(dataset, args.data, download=not args.no_download)
    result = evaluate(model, (x_test, y_test), nn.CrossEntropyLoss(), batch_size=args.batch_size)
    print(f"{ckpt.path}: {ckpt.config['name']} on {dataset} ({len(x_test):,} test images from {where})")
    print(f"test accuracy {result['accuracy']:.4f} ({100 * result['accuracy']:.2f} %), "
          f"test loss {result['loss']:.4f}")
    return 0

"""``glassbox predict CHECKPOINT FILE_OR_DIR...``: classify image files with a trained model.

Each PNG / JPEG / ``.npy`` file (a folder gives all of its image files) is converted to what
the model was trained on — grey, 28×28, light on dark, the checkpoint's normalization — with
a note for every conversion, then printed with its most probable class (Fashion-MNIST by
name) and that probability; ``--top K`` shows the K most probable classes, ``--json`` prints
a JSON list of ``{"file", "label", "probability", "top", ...}`` objects instead.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .common import CHECKPOINT_HELP, CliError, add_subcommand


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = add_subcommand(subparsers, "predict", run, help="classify PNG/JPEG/.npy images with a checkpoint",
                       description=__doc__.split("\n\n", 1)[1], checkpoint=CHECKPOINT_HELP)
    p.add_argument("inputs", metavar="FILE_OR_DIR", nargs="+", help="image files or folders of them")
    p.add_argument("--top", type=int, default=1, metavar="K", help="show the K most probable classes")
    p.add_argument("--json", action="store_true", help="print a JSON list instead of text")
    p.add_argument("--invert", choices=("auto", "yes", "no"), default="auto",
                   help="invert dark-on-light images: auto decides from the border's brightness")
    return p


def run(args: argparse.Namespace) -> int:
    from ..training.classifier import load_classifier

    if args.top < 1:
        raise CliError(f"--top must be at least 1, got {args.top}")
    clf = load_classifier(args.checkpoint)
    invert = {"auto": None, "yes": True, "no": False}[args.invert]
    predictions = clf.predict_files(args.inputs, top=args.top, invert=invert)
    if args.json:
        json.dump([p.to_dict() for p in predictions], sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    width = max(len(p.file or "") for p in predictions)
    for p in predictions:
        shown = ", ".join(f"{name} {100 * prob:.1f} %" for name, prob in p.top)
        print(f"{p.file:<{width}}  {shown}")
        for note in p.notes:
            print(f"{'':<{width}}  (note: {note})")
    return 0

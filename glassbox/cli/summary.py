"""``glassbox summary MODEL``: print a model's layer table (output shapes, parameters)."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .common import ACTIVATIONS, Formatter, build_model, model_config, parse_int_list


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "summary", help="print a model's layers, output shapes and parameter counts",
        formatter_class=Formatter,
        description="Print the layer table of a model from the zoo (e.g. mlp, lenet5, cnn, "
                    "resnet-small) or of the model saved in a checkpoint file.")
    p.add_argument("model", metavar="MODEL", help="a model name, or a checkpoint.npz")
    p.add_argument("--input-shape", default="1,28,28", metavar="C,H,W",
                   help="shape of one input sample, without the batch axis")
    p.add_argument("--hidden", default=None, metavar="N,N,...", help="hidden widths of an mlp")
    p.add_argument("--activation", default=None, choices=ACTIVATIONS, help="activation of an mlp")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from ..summary import summary

    shape = parse_int_list(args.input_shape, "--input-shape")
    if Path(args.model).is_file() or args.model.endswith(".npz"):
        from .evaluate import load_model

        model, _ = load_model(args.model)
    else:
        model = build_model(model_config(args.model, args.hidden, args.activation))
    summary(model, shape or None)
    return 0

"""``glassbox summary MODEL``: print a model's layer table (output shapes, parameters)."""
from __future__ import annotations

import argparse
from typing import Any

from .common import adaptation_note, add_subcommand, add_model_arguments, model_from_args, parse_int_list


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = add_subcommand(
        subparsers, "summary", run, help="print a model's layers, output shapes and parameter counts",
        description="Print the layer table of a model from the zoo (e.g. mlp, lenet5, cnn, "
                    "resnet-small) or of the model saved in a checkpoint file.")
    add_model_arguments(p)
    return p


def run(args: argparse.Namespace) -> int:
    from ..summary import summary

    shape = parse_int_list(args.input_shape, "--input-shape")
    model, name = model_from_args(args)
    note = adaptation_note(getattr(model, "config", {}).get("name") if isinstance(
        getattr(model, "config", None), dict) else str(name).strip().lower().replace("_", "-"))
    if note:
        print(f"{name}: {note}")
    summary(model, shape or None)
    return 0

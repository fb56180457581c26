"""``glassbox explain MODEL``: each layer's forward formula and backprop gradients, with shapes."""
from __future__ import annotations

import argparse
from typing import Any

from .common import add_model_arguments, add_subcommand, model_from_args, parse_int_list


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = add_subcommand(
        subparsers, "explain", run,
        help="print a model's forward formulas and the gradients backprop computes",
        description="Print, layer by layer, the formula of the forward pass and the gradients "
                    "backpropagation computes, in the course notes' notation (Z[l] = W[l]·A[l-1] "
                    "+ b[l], dZ[l] = dA[l] ⊙ g'(Z[l]), ...), with this model's shapes filled in.")
    add_model_arguments(p)
    p.add_argument("--loss", default="cross-entropy", choices=("cross-entropy", "mse", "none"),
                   help="the loss after the last layer")
    return p


def run(args: argparse.Namespace) -> int:
    from ..explain import explain

    shape = parse_int_list(args.input_shape, "--input-shape")
    model, name = model_from_args(args)
    explain(model, shape or (1, 28, 28), loss=args.loss, name=name)
    return 0

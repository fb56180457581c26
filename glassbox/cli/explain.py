"""``glassbox explain MODEL``: each layer's forward formula and backprop gradients, with shapes."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .common import ACTIVATIONS, Formatter, build_model, model_config, parse_int_list


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "explain", formatter_class=Formatter,
        help="print a model's forward formulas and the gradients backprop computes",
        description="Print, layer by layer, the formula of the forward pass and the gradients "
                    "backpropagation computes, in the course notes' notation (Z[l] = W[l]·A[l-1] "
                    "+ b[l], dZ[l] = dA[l] ⊙ g'(Z[l]), ...), with this model's shapes filled in.")
    p.add_argument("model", metavar="MODEL", help="a model name (mlp, lenet5, cnn, ...) or a checkpoint.npz")
    p.add_argument("--input-shape", default="1,28,28", metavar="C,H,W",
                   help="shape of one input sample, without the batch axis")
    p.add_argument("--hidden", default=None, metavar="N,N,...", help="hidden widths of an mlp")
    p.add_argument("--activation", default=None, choices=ACTIVATIONS, help="activation of an mlp")
    p.add_argument("--loss", default="cross-entropy", choices=("cross-entropy", "mse", "none"),
                   help="the loss after the last layer")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from ..explain import explain

    shape = parse_int_list(args.input_shape, "--input-shape")
    if Path(args.model).is_file() or args.model.endswith(".npz"):
        from .evaluate import load_model

        model, _ = load_model(args.model)
        name = Path(args.model).name
    else:
        model = build_model(model_config(args.model, args.hidden, args.activation))
        name = args.model
    explain(model, shape or (1, 28, 28), loss=args.loss, name=name)
    return 0

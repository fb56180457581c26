"""``glassbox export CHECKPOINT --format onnx|safetensors [-o FILE]``: a trained model for
other tools.

* ``onnx``: the model traced on one input of the training images' shape, written as ONNX
  (opset 17, dynamic batch axis), checked with ``onnx.checker``; when onnxruntime is
  installed the file is also run on a random batch and the largest difference from
  glassbox's outputs is printed.
* ``safetensors``: the weights (``state_dict``, PyTorch-style names) in a ``.safetensors``
  file, with the model's config as JSON in its metadata.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from .common import CHECKPOINT_HELP, CliError, add_subcommand, parse_int_list

FORMATS = ("onnx", "safetensors")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = add_subcommand(
        subparsers, "export", run, help="write a checkpoint's model as ONNX or its weights as safetensors",
        description="Rebuild the model stored in CHECKPOINT (written by `glassbox train`) and "
                    "write it as an ONNX file (run it with onnxruntime) or its weights as a "
                    ".safetensors file (load it in PyTorch with safetensors.torch.load_file).",
        checkpoint=CHECKPOINT_HELP)
    p.add_argument("--format", required=True, choices=FORMATS, help="what to write")
    p.add_argument("-o", "--output", metavar="FILE", default=None,
                   help="file to write (default: next to the checkpoint, model.onnx / model.safetensors)")
    p.add_argument("--input-shape", metavar="C,H,W", default=None,
                   help="shape of one input for the ONNX trace (default: the training images' shape)")
    return p


def _input_shape(args: argparse.Namespace, config: dict[str, Any]) -> tuple[int, ...]:
    if args.input_shape is not None:
        return parse_int_list(args.input_shape, "--input-shape")
    return tuple(int(n) for n in config.get("input_shape") or (1, 28, 28))


def run(args: argparse.Namespace) -> int:
    from .evaluate import load_model

    model, ckpt = load_model(args.checkpoint)
    config = ckpt.config or {}
    source = Path(args.checkpoint)
    folder = source if source.is_dir() else source.parent
    out = Path(args.output) if args.output else folder / f"model.{args.format}"
    if args.format == "safetensors":
        from ..serialization import save

        if out.suffix.lower() != ".safetensors":
            raise CliError(f"-o {out}: a safetensors file must end in .safetensors")
        save(model.state_dict(), out, metadata={"glassbox_config": json.dumps(config)})
        print(f"wrote {out}: {len(model.state_dict())} tensors, {model.num_parameters():,} parameters")
        return 0
    try:
        from ..onnx import export
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise CliError(str(exc)) from None
    shape = _input_shape(args, config)
    example = np.zeros((1, *shape), dtype=np.float32)
    try:
        proto = export(model, example, out)
    except ImportError as exc:
        raise CliError(f"--format onnx: {exc}") from None
    print(f"wrote {out}: {len(proto.graph.node)} ONNX nodes (opset {proto.opset_import[0].version}), "
          f"input (batch, {', '.join(map(str, shape))}); passed onnx.checker")
    try:
        from ..onnx.verify import max_abs_difference

        batch = np.random.default_rng(0).random((2, *shape), dtype=np.float32)
        print(f"onnxruntime vs glassbox on a random batch of 2: max |difference| = "
              f"{max_abs_difference(model, out, batch):.3g}")
    except ImportError:
        print("(onnxruntime is not installed: the file was not run)")
    return 0

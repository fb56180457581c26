"""Write docs/api.md: the API reference, generated from the docstrings.

    python scripts/gen_api_docs.py          # rewrite docs/api.md
    python scripts/gen_api_docs.py --check  # exit 1 if docs/api.md is out of date

Every public class and function of the modules listed below gets its signature and the
first paragraph of its docstring, with a link to its source file, so a reader can go
from the reference to the formula in one click.
"""
from __future__ import annotations

import argparse
import importlib
import inspect
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = [
    ("Tensors and autodiff", ["glassbox.core.tensor", "glassbox.core.function", "glassbox.core.grad_mode",
                              "glassbox.core.creation", "glassbox.core.functions", "glassbox.core.dtypes",
                              "glassbox.gradcheck"]),
    ("Ops (forward and backward side by side)", [
        "glassbox.ops.arithmetic", "glassbox.ops.linalg", "glassbox.ops.reduction", "glassbox.ops.shape",
        "glassbox.ops.elementwise", "glassbox.ops.activation", "glassbox.ops.loss", "glassbox.ops.conv",
        "glassbox.ops.pooling", "glassbox.ops.normalization", "glassbox.ops.dropout", "glassbox.ops.upsample",
        "glassbox.ops.conv_transpose", "glassbox.ops.metric"]),
    ("Layers: glassbox.nn", [
        "glassbox.nn.module", "glassbox.nn.linear", "glassbox.nn.activation", "glassbox.nn.container",
        "glassbox.nn.conv", "glassbox.nn.pooling", "glassbox.nn.normalization", "glassbox.nn.dropout",
        "glassbox.nn.blocks", "glassbox.nn.loss", "glassbox.nn.init", "glassbox.nn.functional",
        "glassbox.nn.regularization", "glassbox.nn.upsample", "glassbox.nn.metric_loss", "glassbox.nn.heads",
        "glassbox.nn.fusion"]),
    ("Optimizers: glassbox.optim", [
        "glassbox.optim.optimizer", "glassbox.optim.sgd", "glassbox.optim.momentum", "glassbox.optim.adagrad",
        "glassbox.optim.rmsprop", "glassbox.optim.adam", "glassbox.optim.lr_scheduler"]),
    ("Data: glassbox.data", [
        "glassbox.data.dataset", "glassbox.data.dataloader", "glassbox.data.idx", "glassbox.data.mnist",
        "glassbox.data.transforms", "glassbox.data.split", "glassbox.data.augment"]),
    ("Training: glassbox.training", [
        "glassbox.training.fit", "glassbox.training.callbacks", "glassbox.training.checkpoint",
        "glassbox.training.early_stopping", "glassbox.training.model_checkpoint",
        "glassbox.training.lr_callback", "glassbox.training.loggers", "glassbox.training.gradient_monitor",
        "glassbox.training.tensorboard"]),
    ("Interop: ONNX and safetensors", ["glassbox.onnx.export", "glassbox.onnx.importer", "glassbox.onnx.verify",
                                       "glassbox.serialization"]),
    ("Data parallel: glassbox.distributed", [
        "glassbox.distributed.comm", "glassbox.distributed.ddp", "glassbox.distributed.sampler",
        "glassbox.distributed.sync_batchnorm", "glassbox.distributed.training",
        "glassbox.distributed.launch"]),
    ("Speed: threads, BLAS kernels, memory", ["glassbox.parallel", "glassbox.blas_tuning",
                                              "glassbox.allocator"]),
    ("Models, metrics, tools", [
        "glassbox.models", "glassbox.models.autoencoder", "glassbox.models.siamese", "glassbox.summary",
        "glassbox.metrics", "glassbox.plots", "glassbox.tune", "glassbox.detect", "glassbox.lessons",
        "glassbox.viz", "glassbox.explain"]),
]


def _first_paragraph(obj: object) -> str:
    doc = inspect.getdoc(obj) or ""
    return " ".join(doc.split("\n\n")[0].split())


def _signature(obj: object) -> str:
    try:
        return str(inspect.signature(obj))
    except (TypeError, ValueError):
        return "(…)"


def _public_members(module) -> list[tuple[str, object]]:
    names = getattr(module, "__all__", None)
    members = []
    for name, obj in vars(module).items():
        if name.startswith("_") or (names is not None and name not in names):
            continue
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        home = getattr(obj, "__module__", "")
        if names is None and home != module.__name__:
            continue  # imported from elsewhere: documented where it is defined
        members.append((name, obj))
    return members


def _source_link(obj: object) -> str:
    try:
        path = Path(inspect.getsourcefile(obj)).resolve().relative_to(ROOT)
    except (TypeError, OSError, ValueError):
        return ""
    return f"([source](../{path}))"


def render() -> str:
    out = ["# API reference", "",
           "Generated from the docstrings by `python scripts/gen_api_docs.py`; each entry links to",
           "its source, where the full docstring (formulas, arguments, shapes) sits beside the code.", ""]
    for title, modules in MODULES:
        out += [f"## {title}", ""]
        for module_name in modules:
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
            members = _public_members(module)
            if not members:
                continue
            out += [f"### `{module_name}`", ""]
            summary = _first_paragraph(module)
            if summary:
                out += [summary, ""]
            for name, obj in members:
                kind = "class" if inspect.isclass(obj) else "def"
                out.append(f"- **`{kind} {name}{_signature(obj)}`** — {_first_paragraph(obj)} {_source_link(obj)}".rstrip())
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail if docs/api.md is out of date")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    text = render()
    target = ROOT / "docs" / "api.md"
    if args.check:
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            print("docs/api.md is out of date: run python scripts/gen_api_docs.py", file=sys.stderr)
            return 1
        return 0
    target.parent.mkdir(exist_ok=True)
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target.relative_to(ROOT)} ({text.count(chr(10))} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

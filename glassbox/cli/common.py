"""Pieces the subcommands share: errors, data loading, model and optimizer construction."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from ..tune.objective import OPTIMIZERS  # the same update rules as `glassbox tune`

DATASETS = ("mnist", "fashion-mnist")
ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu")

# Peak learning rates that work for the default MLP on MNIST with batch 32 and the
# default cosine decay (measured over 3 seeds). ``momentum`` is the course's averaged
# form (step = lr·m), so it takes SGD-sized rates; ``nesterov`` is PyTorch's form, whose
# velocity grows to g/(1 − μ), hence a 10× smaller rate.
DEFAULT_LR = {
    "sgd": 0.1, "momentum": 0.2, "nesterov": 0.02,
    "adagrad": 0.02, "rmsprop": 1e-3, "adam": 3e-3, "adamw": 3e-3,
}
DEFAULT_MOMENTUM = 0.9


CHECKPOINT_HELP = "a checkpoint.npz file (or a run folder)"


def add_subcommand(subparsers: Any, name: str, run: Any, help: str, description: str,
                   checkpoint: str | None = None) -> argparse.ArgumentParser:
    """The parser of ``glassbox NAME`` (with the shared ``Formatter``), dispatching to ``run``;
    ``checkpoint`` (its help text) adds the positional CHECKPOINT of the sub-commands that
    load a trained model."""
    p = subparsers.add_parser(name, help=help, description=description, formatter_class=Formatter)
    p.set_defaults(func=run)
    if checkpoint is not None:
        p.add_argument("checkpoint", metavar="CHECKPOINT", help=checkpoint)
    return p


class CliError(Exception):
    """Bad command-line input; main() prints it as ``glassbox: error: ...`` and exits 2."""


class Formatter(argparse.RawDescriptionHelpFormatter):
    """Shows each option's default (unless its help already does) and keeps the
    description's line breaks."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        import textwrap

        # never break inside a hyphenated name (resnet-small, fashion-mnist)
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if ("default" not in text and action.default not in (None, False, argparse.SUPPRESS)
                and action.option_strings):
            text += " (default: %(default)s)"
        return text


def parse_int_list(text: str, option: str) -> tuple[int, ...]:
    """``"256,128"`` → ``(256, 128)``; empty (or "none") → ``()``."""
    text = text.strip()
    if text.lower() in ("", "none"):
        return ()
    try:
        values = tuple(int(part) for part in text.replace("x", ",").split(","))
    except ValueError:
        raise CliError(f"{option} expects comma-separated positive integers such as 256,128, got {text!r}") from None
    if any(v <= 0 for v in values):
        raise CliError(f"{option} expects positive integers, got {text!r}")
    return values


# ------------------------------------------------------------------------ data
def load_dataset(dataset: str, data: str | None, download: bool = True
                 ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], Any]:
    """``(train, test, source)``: the arrays and the ``DataSource`` they came from (its
    ``note`` says which data and why). ``--data DIR`` is searched alone (DIR, DIR/<dataset>,
    for mnist DIR/mnist-5k); without it: $GLASSBOX_DATA, the cache, a download, and for
    mnist the sample bundled in the package."""
    from ..data.mnist import locate_mnist, read_mnist

    if dataset not in DATASETS:
        raise CliError(f"unknown dataset {dataset!r}; choose one of: {', '.join(DATASETS)}")
    if data is not None and not Path(data).expanduser().is_dir():
        raise CliError(f"--data {data}: no such folder")
    source = locate_mnist(dataset, data, download=download)
    train, test = read_mnist(source.files)
    return train, test, source


# ----------------------------------------------------------------------- model
def model_config(name: str, hidden: str | None, activation: str | None) -> dict[str, Any]:
    """``{"name": ..., "kwargs": {...}}``: how to rebuild the model (stored in checkpoints).

    Only models that fit 1×28×28 digits are accepted (``models.trainable_models()``); an
    ImageNet model that can be adapted gets the constructor arguments that adapt it."""
    from ..models import DIGIT_ADAPTATIONS, NOT_FOR_DIGITS, trainable_models

    key = name.strip().lower().replace("_", "-")
    if key in NOT_FOR_DIGITS:
        raise CliError(f"model {key!r} does not fit 1×28×28 digits: {NOT_FOR_DIGITS[key]}. "
                       f"Models that do: {', '.join(trainable_models())}")
    if key not in trainable_models():
        raise CliError(f"unknown model {name!r}; choose one of: {', '.join(trainable_models())}")
    kwargs: dict[str, Any] = dict(DIGIT_ADAPTATIONS.get(key, ({}, ""))[0])
    if key in ("mlp", "shallow-mlp"):
        if hidden is not None:
            sizes = parse_int_list(hidden, "--hidden")
            if key == "shallow-mlp":
                if len(sizes) != 1:
                    raise CliError(f"--hidden for shallow-mlp is one width, got {hidden!r}")
                kwargs["hidden"] = sizes[0]
            else:
                kwargs["hidden"] = list(sizes)
        if activation is not None:
            if activation not in ACTIVATIONS:
                raise CliError(f"--activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
            kwargs["activation"] = activation
    elif hidden is not None or activation is not None:
        raise CliError(f"--hidden and --activation apply to mlp models only, not to {key}")
    return {"name": key, "kwargs": kwargs}


def adaptation_note(name: str) -> str | None:
    """How an ImageNet model was adapted to digits (None for the models built for them)."""
    from ..models import DIGIT_ADAPTATIONS

    entry = DIGIT_ADAPTATIONS.get(name)
    return entry[1] if entry else None


def build_model(config: dict[str, Any]) -> Any:
    from ..models import build_from_config

    try:
        return build_from_config(config)
    except TypeError as exc:
        raise CliError(f"cannot build model {config['name']!r} with {config.get('kwargs')}: {exc}") from None


def load_model(path: str | Path) -> tuple[Any, Any]:
    """The model rebuilt from a checkpoint's config, with its weights; and the checkpoint.
    A run folder stands for its ``checkpoint.npz`` (or ``last.npz`` while it trains)."""
    from ..training.classifier import load_classifier

    clf = load_classifier(path)
    return clf.model, clf.checkpoint


# ------------------------------------------------------------------- optimizer
def build_optimizer(name: str, params: Any, lr: float | None, momentum: float | None,
                    weight_decay: float | None) -> tuple[Any, dict[str, Any]]:
    """The optimizer (built by ``tune.make_optimizer``, as ``glassbox tune`` does) and a
    dict describing it (for the log and metrics.json)."""
    from ..tune.objective import make_optimizer

    if name not in OPTIMIZERS:
        raise CliError(f"unknown optimizer {name!r}; choose one of: {', '.join(OPTIMIZERS)}")
    lr = DEFAULT_LR[name] if lr is None else lr
    if not lr > 0:
        raise CliError(f"--lr must be positive, got {lr}")
    hp: dict[str, Any] = {"lr": lr}
    if weight_decay is not None:
        hp["weight_decay"] = weight_decay
    if name in ("sgd", "nesterov", "momentum"):
        hp["momentum"] = (0.0 if name == "sgd" else DEFAULT_MOMENTUM) if momentum is None else momentum
    elif momentum is not None:
        raise CliError(f"--momentum does not apply to {name}")
    try:
        opt = make_optimizer(name, params, hp)
    except ValueError as exc:  # the optimizer's own validation (e.g. momentum ≥ 1 for Momentum)
        raise CliError(f"{name}: {exc}") from None
    info: dict[str, Any] = {"name": name, "lr": lr,
                            "weight_decay": float(opt.param_groups[0].get("weight_decay", 0.0))}
    if "momentum" in hp:
        info["momentum"] = hp["momentum"]
    return opt, info


def describe_optimizer(info: dict[str, Any]) -> str:
    text = f"{info['name']} lr={info['lr']:g}"
    if "momentum" in info and (info["momentum"] or info["name"] != "sgd"):
        text += f" momentum={info['momentum']:g}"
    if info.get("weight_decay"):
        text += f" weight_decay={info['weight_decay']:g}"
    return text


def add_model_arguments(p: argparse.ArgumentParser) -> None:
    """MODEL (a zoo name or a checkpoint) and the options that shape it, for commands
    that inspect a model (summary, explain)."""
    p.add_argument("model", metavar="MODEL", help="a model name (mlp, lenet5, cnn, ...) or a checkpoint.npz")
    p.add_argument("--input-shape", default="1,28,28", metavar="C,H,W",
                   help="shape of one input sample, without the batch axis")
    p.add_argument("--hidden", default=None, metavar="N,N,...", help="hidden widths of an mlp")
    p.add_argument("--activation", default=None, choices=ACTIVATIONS, help="activation of an mlp")


def model_from_args(args: argparse.Namespace) -> tuple[Any, str]:
    """The model that ``add_model_arguments`` describes, and a name to show for it."""
    if Path(args.model).is_file() or args.model.endswith(".npz"):
        model, _ = load_model(args.model)
        return model, Path(args.model).name
    return build_model(model_config(args.model, args.hidden, args.activation)), args.model


"""``glassbox tune``: random (or coarse-to-fine) search for the learning rate and friends."""
from __future__ import annotations

import argparse
import datetime as _dt
import sys
import time
from pathlib import Path
from typing import Any

from .common import DATASETS, CliError, add_subcommand, load_dataset, model_config

DESCRIPTION = """\
Search hyperparameters by random search: each trial draws a configuration, trains the
model for --epochs on a training split and scores it by its accuracy on a validation
split held out of the training set (the test set is used once, for the best trial only).

The learning rate is drawn log-uniformly from --lr-range (every decade equally often);
with --beta-range a momentum-like β (SGD/momentum/nesterov momentum, Adam's β1, RMSprop's α) is
drawn with 1 − β log-uniform. --rounds 2 or more zooms the ranges into the region of the
best quarter of trials after each round (coarse to fine).

Writes <out>/results.json (every trial, sorted, with its history), <out>/results.txt
(the table) and, with --keep, the checkpoints of the kept trials under <out>/trial-NNN/.
"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    from ..tune import KEEP, OPTIMIZERS

    p = add_subcommand(subparsers, "tune", run, help="search hyperparameters (random / coarse-to-fine)",
                       description=DESCRIPTION)
    p.add_argument("--dataset", default="mnist", choices=DATASETS, help="which dataset")
    p.add_argument("--data", metavar="DIR", default=None,
                   help="folder holding the four IDX files, or <dataset>/ inside it "
                        "(default: search $GLASSBOX_DATA and the cache, downloading if needed)")
    p.add_argument("--no-download", action="store_true", help="never download the dataset")
    p.add_argument("--model", default="mlp", help="model name (see 'glassbox train --help')")
    p.add_argument("--optimizer", default="adam", choices=OPTIMIZERS, help="update rule")
    p.add_argument("--trials", type=int, default=16, help="trials per round")
    p.add_argument("--rounds", type=int, default=1, help="1: random search; 2+: coarse to fine")
    p.add_argument("--epochs", type=int, default=2, help="epochs per trial")
    p.add_argument("--lr-range", default="1e-4,1e-1", metavar="LOW,HIGH",
                   help="learning-rate range, sampled log-uniformly")
    p.add_argument("--beta-range", default=None, metavar="LOW,HIGH",
                   help="also search β (momentum, or Adam's β1) in this range, 1 − β log-uniform, "
                        "e.g. 0.9,0.999")
    p.add_argument("--batch-size", type=int, default=32, help="mini-batch size")
    p.add_argument("--val-split", type=float, default=0.1,
                   help="fraction of the training set held out for scoring the trials")
    p.add_argument("--seed", type=int, default=0, help="seed of the sampler, the split and every trial")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="output folder (default runs/tune-<dataset>-<model>-<timestamp>)")
    p.add_argument("--keep", default="best", choices=KEEP,
                   help="which trials' checkpoints to keep on disk")
    p.add_argument("--quiet", "-q", action="store_true", help="print only the table and the result")
    return p


def _range(text: str, option: str) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in text.split(","))
    except ValueError:
        raise CliError(f"{option} expects LOW,HIGH such as 1e-4,1e-1, got {text!r}") from None
    if not low < high:
        raise CliError(f"{option} needs LOW < HIGH, got {text!r}")
    return low, high


def _space(args: argparse.Namespace) -> dict[str, Any]:
    from ..tune import LogUniform, OneMinusLogUniform

    low, high = _range(args.lr_range, "--lr-range")
    if low <= 0:
        raise CliError(f"--lr-range must be positive, got {args.lr_range!r}")
    space: dict[str, Any] = {"lr": LogUniform(low, high)}
    if args.beta_range is not None:
        b_low, b_high = _range(args.beta_range, "--beta-range")
        if not (0 <= b_low and b_high < 1):
            raise CliError(f"--beta-range must lie in [0, 1), got {args.beta_range!r}")
        name = {"sgd": "momentum", "momentum": "momentum", "nesterov": "momentum", "rmsprop": "alpha",
                "adam": "beta1", "adamw": "beta1"}.get(args.optimizer)
        if name is None:
            raise CliError(f"--beta-range does not apply to {args.optimizer}")
        space[name] = OneMinusLogUniform(b_low, b_high)
    return space


def _check_args(args: argparse.Namespace) -> None:
    for name in ("trials", "rounds", "batch_size"):
        if getattr(args, name) < 1:
            raise CliError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    if args.epochs < 1:
        raise CliError(f"--epochs must be at least 1, got {args.epochs}")
    if not 0.0 < args.val_split < 1.0:
        raise CliError(f"--val-split must be in (0, 1), got {args.val_split}")


def run(args: argparse.Namespace) -> int:
    from ..data import train_val_split
    from ..training.atomic import atomic_write_bytes
    from ..tune import ClassificationObjective, coarse_to_fine

    started = time.perf_counter()
    _check_args(args)
    config = model_config(args.model, None, None)
    space = _space(args)
    say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, flush=True))

    (x_train, y_train), test, source = load_dataset(args.dataset, args.data, download=not args.no_download)
    train, val = train_val_split(x_train, y_train, args.val_split, seed=args.seed)
    out = Path(args.out) if args.out else Path("runs") / (
        f"tune-{args.dataset}-{config['name']}-{_dt.datetime.now():%Y%m%d-%H%M%S}")
    say(f"data: {args.dataset} from {source.folder}: {len(train[0]):,} train, {len(val[0]):,} val, "
        f"{len(test[0]):,} test images")
    say(f"search: {args.trials} trials x {args.rounds} round(s), {args.epochs} epochs each; "
        f"model {config['name']}, optimizer {args.optimizer}, batch {args.batch_size}; "
        + ", ".join(f"{k} ~ {v!r}" for k, v in space.items()))

    objective = ClassificationObjective(train, val, model=config["name"], optimizer=args.optimizer,
                                        epochs=args.epochs, batch_size=args.batch_size, seed=args.seed)
    result = coarse_to_fine(objective, space, args.trials, rounds=args.rounds, seed=args.seed,
                            out_dir=out, keep=args.keep, verbose=not args.quiet)
    result.info.update({
        "dataset": args.dataset, "data_dir": str(source.folder), "model": config["name"], "optimizer": args.optimizer,
        "epochs": args.epochs, "batch_size": args.batch_size, "val_split": args.val_split,
        "args": {k: v for k, v in vars(args).items() if k != "func"},
    })
    best = result.best
    if best is not None and result.best_model is not None:
        result.info["test"] = ClassificationObjective.test_accuracy(result.best_model, test)
    result.info["total_time_s"] = time.perf_counter() - started
    result.save(out / "results.json")
    table = result.table()
    atomic_write_bytes(out / "results.txt", (table + "\n").encode("utf-8"))

    print(table)
    if best is None:
        print(f"no trial finished (all {len(result.trials)} diverged); try a lower --lr-range")
        sys.stdout.flush()
        return 1
    test_result = result.info["test"]
    print(f"best: trial {best.number}: " + ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                                   for k, v in best.params.items())
          + f"; val accuracy {best.score:.4f}; test accuracy {test_result['accuracy']:.4f} "
            f"(test loss {test_result['loss']:.4f})")
    say(f"saved {out / 'results.json'} and {out / 'results.txt'}"
        + (f"; best checkpoint {best.checkpoint}" if best.checkpoint else ""))
    sys.stdout.flush()
    return 0

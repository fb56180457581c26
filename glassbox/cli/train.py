"""``glassbox train``: train a model on MNIST / Fashion-MNIST, save checkpoints and metrics.

Four steps, each a function: **config** (``TrainConfig.from_args``: the command line as one
frozen, validated object with every default resolved) → **build** (``build``: data, model,
optimizer, loss, callbacks) → **fit** (``glassbox.fit``) → **report** (``report``:
``checkpoint.npz``, ``metrics.json``, figures, the final line).

Crash safety: ``last.npz`` is written atomically after every epoch (and every
``--checkpoint-every`` steps; ``best.npz`` too when a validation split is held out), and
holds everything needed to continue: ``glassbox train --resume RUN_DIR`` carries on to the
requested epochs and ends bit-identical to a run that was never interrupted. At the end
``checkpoint.npz`` replaces ``last.npz``.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import hashlib
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..distributed import cli as distributed_cli
from ..training.callbacks import Callback
from .common import (
    ACTIVATIONS, DATASETS, DEFAULT_LR, OPTIMIZERS, CliError, Formatter, build_model,
    build_optimizer, describe_optimizer, load_dataset, model_config, parse_int_list,
)

DEFAULT_OPTIMIZER = "adam"
DEFAULT_BATCH_SIZE = 32
DEFAULT_EPOCHS = 5
# The convolutional networks' own recipe (measured on Fashion-MNIST, BENCHMARKS.md): they keep
# improving for more epochs than the MLP, and with Adam they do better from PyTorch's default
# lr 1e-3 than from the MLP's 3e-3 (cnn, 15 epochs, flips: 92.66 % vs 92.51 %).
MODEL_EPOCHS = {"cnn": 25, "resnet-small": 15}
MODEL_ADAM_LR = {"cnn": 1e-3, "resnet-small": 1e-3}  # with adam or adamw; other optimizers: DEFAULT_LR
# Models that see an image as a flat vector: no augmentation on Fashion-MNIST by default
# (in a few epochs shifted or mirrored clothes cost a dense network accuracy).
DENSE_MODELS = ("mlp", "shallow-mlp", "softmax-regression")
# Fashion-MNIST's augmentation for convolutional models: horizontal flips with p = ½ (clothes are
# mirror-symmetric; digits are not: MNIST gets 1-px shifts and no flips). No shifts: a 2-px random
# crop on top cost the cnn accuracy within its epochs (15 epochs: 91.80 % with, 92.51 % without).
FASHION_AUGMENT = 0
DEFAULT_LABEL_SMOOTHING = 0.1
DEFAULT_HIDDEN = "256,128"
SCHEDULES = ("cosine", "constant")
DEFAULT_SCHEDULE = "cosine"


def cosine_schedule(optimizer: Any, epochs: int, steps_per_epoch: int) -> Callback:
    """Cosine learning-rate decay over the whole run, updated every batch:

        η_t = η₀ · ½ · (1 + cos(π · t / T)),   t = 0 … T − 1 the global step, T = epochs · steps

    It starts at the optimizer's lr η₀ and glides to (almost) 0 at the last step
    (``CosineAnnealingLR`` stepped per batch).
    """
    from ..optim.lr_scheduler import CosineAnnealingLR
    from ..training.lr_callback import LRSchedulerCallback

    total = max(1, epochs * steps_per_epoch)
    return LRSchedulerCallback(CosineAnnealingLR(optimizer, T_max=total), per="batch")


def default_epochs(model: str) -> int:
    """``--epochs`` when it is left out: ``MODEL_EPOCHS[model]``, else ``DEFAULT_EPOCHS``."""
    return MODEL_EPOCHS.get(model, DEFAULT_EPOCHS)


def default_lr(optimizer: str, model: str) -> float:
    """``--lr`` when it is left out: ``MODEL_ADAM_LR[model]`` for adam/adamw, else the
    optimizer's ``DEFAULT_LR``."""
    if optimizer in ("adam", "adamw") and model in MODEL_ADAM_LR:
        return MODEL_ADAM_LR[model]
    return DEFAULT_LR[optimizer]


def default_augmentation(dataset: str, model: str) -> tuple[int, bool]:
    """``(--augment pixels, --flip)`` when they are left out: 1-px shifts and no flips on
    mnist; on fashion-mnist flips (and ``FASHION_AUGMENT``-px shifts) for convolutional models,
    nothing for the dense ones (``DENSE_MODELS``)."""
    if dataset == "mnist":
        return 1, False
    if model in DENSE_MODELS:
        return 0, False
    return FASHION_AUGMENT, True


def infer_dataset(data: str | None) -> str:
    """``fashion-mnist`` when the --data path mentions it (…/fashion-mnist), else ``mnist``."""
    if data is not None and "fashion" in str(Path(data).expanduser().absolute()).lower():
        return "fashion-mnist"
    return "mnist"


def smooth_labels(y: np.ndarray, num_classes: int, epsilon: float) -> np.ndarray:
    """Label smoothing: targets (1 − ε)·onehot(y) + ε/C (float32, shape (N, C)).

    The cross-entropy against these keeps the network from pushing logits to extremes,
    which generalizes better on small training sets."""
    targets = np.full((len(y), num_classes), epsilon / num_classes, dtype=np.float32)
    targets[np.arange(len(y)), y] += np.float32(1.0 - epsilon)
    return targets


# ====================================================================== config
@dataclass(frozen=True)
class TrainConfig:
    """Everything ``glassbox train`` was asked to do, defaults resolved (stored in every
    checkpoint as ``extra["train_config"]``, so ``--resume`` rebuilds the same run)."""

    dataset: str = "mnist"
    data: str | None = None
    download: bool = True
    model: str = "mlp"
    hidden: str | None = None
    activation: str | None = None
    dropout: float | None = None
    optimizer: str = DEFAULT_OPTIMIZER
    lr: float = DEFAULT_LR[DEFAULT_OPTIMIZER]
    momentum: float | None = None
    weight_decay: float | None = None
    schedule: str = DEFAULT_SCHEDULE
    augment: int = 1
    flip: bool = False  # False, not the per-dataset default: a run saved before --flip had none
    label_smoothing: float = DEFAULT_LABEL_SMOOTHING
    l2: float = 0.0
    early_stopping: int | None = None
    plot: bool = False
    tensorboard: str | None = None
    batch_size: int = DEFAULT_BATCH_SIZE
    epochs: int = DEFAULT_EPOCHS
    val_split: float = 0.0
    seed: int = 0
    out: str = "runs/run"
    quiet: bool = False
    checkpoint_every: int | None = None
    device: str = "auto"

    # What --resume may change: where the data is read from, what is shown, how often to save.
    RESUMABLE_CHANGES = frozenset({"data", "download", "quiet", "plot", "checkpoint_every", "out", "device",
                                   "tensorboard"})

    @classmethod
    def from_args(cls, args: argparse.Namespace, base: "TrainConfig | None" = None) -> "TrainConfig":
        """The command line (options left out take ``base``'s values, else the defaults)."""
        given = {f.name: getattr(args, f.name) for f in dataclasses.fields(cls)
                 if getattr(args, f.name, None) is not None}
        if getattr(args, "no_download", None):
            given["download"] = False
        if base is not None:
            values = {**dataclasses.asdict(base), **given}
            if "model" in given and given["model"] != base.model:  # a new model: its own shape options
                for key in ("hidden", "activation"):
                    values[key] = given.get(key)
        else:
            values = dict(given)
            values.setdefault("dataset", infer_dataset(values.get("data")))
            model = _model_key(values.setdefault("model", "mlp"))
            values.setdefault("epochs", default_epochs(model))
            augment, flip = default_augmentation(values["dataset"], model)
            values.setdefault("augment", augment)
            values.setdefault("flip", flip)
            values.setdefault("seed", int(np.random.default_rng().integers(2**31)))
            opt = values.setdefault("optimizer", DEFAULT_OPTIMIZER)
            if opt not in OPTIMIZERS:
                raise CliError(f"unknown optimizer {opt!r}; choose one of: {', '.join(OPTIMIZERS)}")
            values.setdefault("lr", default_lr(opt, model))
        if "lr" not in given and base is not None and values["optimizer"] != base.optimizer:
            values["lr"] = default_lr(values["optimizer"], _model_key(values["model"])) \
                if values["optimizer"] in DEFAULT_LR else base.lr
        values["model"] = _model_key(values.get("model", "mlp"))
        if values.get("hidden") is not None:
            values["hidden"] = ",".join(str(v) for v in parse_int_list(str(values["hidden"]), "--hidden"))
        config = cls(**values)
        config.check()
        return config

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def check(self) -> None:
        """Refuse values that cannot work, before any data is read."""
        rules = [
            (self.batch_size >= 1, f"--batch-size must be at least 1, got {self.batch_size}"),
            (self.epochs >= 0, f"--epochs must be 0 or more, got {self.epochs}"),
            (0.0 <= self.val_split < 1.0, f"--val-split must be in [0, 1), got {self.val_split}"),
            (self.weight_decay is None or self.weight_decay >= 0,
             f"--weight-decay must be 0 or more, got {self.weight_decay}"),
            (self.augment >= 0, f"--augment must be 0 or more pixels, got {self.augment}"),
            (0.0 <= self.label_smoothing < 1.0, f"--label-smoothing must be in [0, 1), got {self.label_smoothing}"),
            (self.l2 >= 0, f"--l2 must be 0 or more, got {self.l2}"),
            (self.dropout is None or 0.0 <= self.dropout < 1.0, f"--dropout must be in [0, 1), got {self.dropout}"),
            (self.early_stopping is None or self.early_stopping >= 0,
             f"--early-stopping must be 0 or more epochs, got {self.early_stopping}"),
            (self.early_stopping is None or self.val_split > 0,
             "--early-stopping needs --val-split > 0: stopping on the test set would tune the run to the test set"),
            # --momentum: the optimizer's own rule (optim/*.py), the one the API applies
            (self.checkpoint_every is None or self.checkpoint_every >= 1,
             f"--checkpoint-every must be at least 1 step, got {self.checkpoint_every}"),
            (self.dataset in DATASETS, f"unknown dataset {self.dataset!r}; choose one of: {', '.join(DATASETS)}"),
            (self.schedule in SCHEDULES, f"--schedule must be one of {', '.join(SCHEDULES)}, got {self.schedule!r}"),
        ]
        for ok, message in rules:
            if not ok:
                raise CliError(message)
        self.model_config()  # unknown model, --hidden on a CNN, a model that does not fit 1×28×28

    def model_config(self) -> dict[str, Any]:
        """``{"name", "kwargs", "dataset", "input_shape"}``: how to rebuild the model."""
        config = model_config(self.model, self.hidden, self.activation)
        if self.dropout:
            if config["name"] not in ("mlp", "shallow-mlp"):
                raise CliError(f"--dropout applies to mlp models only, not to {config['name']}")
            config["kwargs"]["dropout"] = self.dropout
        config["dataset"] = self.dataset
        config["input_shape"] = [1, 28, 28]
        config["input"] = {"shape": [1, 28, 28], "range": [0.0, 1.0], "mean": 0.0, "std": 1.0,
                           "background": "dark"}  # what predict converts images to
        return config

    def differences(self, other: "TrainConfig") -> list[str]:
        """``--flag: this vs other`` for each field that differs."""
        out = []
        for f in dataclasses.fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if mine != theirs:
                flag = "--no-download" if f.name == "download" else "--" + f.name.replace("_", "-")
                out.append(f"{flag} {_shown(theirs)} (now {_shown(mine)})")
        return out


def _model_key(name: Any) -> str:
    """``--model`` as the models table spells it (``ResNet_Small`` → ``resnet-small``)."""
    return str(name).strip().lower().replace("_", "-")


def _shown(value: Any) -> str:
    return "(not set)" if value is None else str(value)


# =================================================================== parser
DESCRIPTION = f"""\
Train a model on MNIST or Fashion-MNIST; write RUN_DIR/checkpoint.npz and metrics.json.

The defaults (MNIST, MLP 784-{DEFAULT_HIDDEN.replace(',', '-')}-10 with ReLU, Adam with a
cosine-decayed lr from {DEFAULT_LR['adam']:g}, batch {DEFAULT_BATCH_SIZE}, label smoothing
{DEFAULT_LABEL_SMOOTHING:g}, random 1-pixel shifts of the digits, {DEFAULT_EPOCHS} epochs) reach
about 96 % test accuracy on the 5,000-digit sample bundled with glassbox (used when full
MNIST is not found and cannot be downloaded), and about 89 % on Fashion-MNIST in 10 epochs
(no augmentation for an MLP there). Convolutional models train longer, with Adam from a
lower lr (""" + "; ".join(
    f"{m} {MODEL_EPOCHS[m]} epochs, lr {MODEL_ADAM_LR[m]:g}" for m in MODEL_EPOCHS) + """).
On Fashion-MNIST they train on randomly mirrored images (horizontal flips).
Default (peak) learning rates per optimizer: """ + ", ".join(
    f"{k} {v:g}" for k, v in DEFAULT_LR.items()) + """.

A run that is killed loses at most the epoch in progress (or --checkpoint-every steps):
`glassbox train --resume RUN_DIR` continues it, bit-identical to an uninterrupted run."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    from ..models import trainable_models

    p = subparsers.add_parser("train", help="train a model and save a checkpoint",
                              description=DESCRIPTION, formatter_class=Formatter)
    add = p.add_argument  # every default is None here: TrainConfig resolves them (and --resume
    # can tell the options given from those left out); the help texts state the defaults
    add("--dataset", choices=DATASETS,
        help="which dataset (default: fashion-mnist if the --data path names it, else mnist)")
    add("--data", metavar="DIR",
        help="folder holding the four IDX files, or <dataset>/ inside it; only it is searched "
             "(default: $GLASSBOX_DATA, the cache, a download, then for mnist the bundled sample)")
    add("--no-download", action="store_true", default=None,
        help="never download: use local data, else the bundled MNIST sample")
    add("--model", metavar="NAME", help="one of: " + ", ".join(trainable_models()) + " (default: mlp)")
    add("--hidden", metavar="N,N,...", help=f"hidden layer widths of an mlp (default: {DEFAULT_HIDDEN})")
    add("--activation", choices=ACTIVATIONS, help="hidden activation of an mlp (default: relu)")
    add("--optimizer", choices=OPTIMIZERS, help=f"update rule (default: {DEFAULT_OPTIMIZER})")
    add("--lr", type=float, help="(peak) learning rate (default: per optimizer, and for cnn and resnet-small "
                                 "with adam, see above)")
    add("--momentum", type=float,
        help="momentum μ / β for sgd, momentum, nesterov (default: 0 for sgd, else 0.9)")
    add("--weight-decay", type=float, help="L2 penalty λ in the update (default: 0; adamw: 0.01, decoupled)")
    add("--schedule", choices=SCHEDULES,
        help=f"learning-rate schedule: cosine decay from --lr to 0 over the run, or constant "
             f"(default: {DEFAULT_SCHEDULE})")
    add("--augment", type=int, metavar="PIXELS",
        help="shift each training image by a random offset of up to this many pixels (a random crop "
             f"of the image zero-padded by PIXELS); 0: no shifts (default: 1 for mnist, {FASHION_AUGMENT} "
             "for fashion-mnist)")
    add("--flip", action=argparse.BooleanOptionalAction, default=None,
        help="mirror each training image left-right with probability 1/2 (default: on for fashion-mnist "
             "with conv models; off for mnist, where a mirrored digit is another symbol)")
    add("--label-smoothing", type=float, metavar="EPS",
        help="train against (1 − ε)·onehot + ε/10; the reported training loss is against these "
             f"targets, test/val losses against the true labels (default: {DEFAULT_LABEL_SMOOTHING:g})")
    add("--l2", type=float, metavar="LAMBDA",
        help="add the course's L2 penalty λ/(2m)·Σ‖W‖² (weights, not biases) to the loss (default: 0)")
    add("--dropout", type=float, metavar="P", help="drop probability after each hidden layer of an mlp (default: none)")
    add("--early-stopping", type=int, metavar="PATIENCE",
        help="stop when the validation loss has not improved for PATIENCE epochs and keep the best "
             "epoch's weights (needs --val-split)")
    add("--plot", action="store_true", default=None,
        help="write history.png, lr.png, filters.png and grad_norms.png next to the checkpoint "
             "(and warn about vanishing/exploding gradients while training)")
    add("--tensorboard", metavar="DIR", help="also write TensorBoard event files here (needs glassbox[tensorboard])")
    add("--batch-size", type=int, help=f"mini-batch size (default: {DEFAULT_BATCH_SIZE})")
    add("--epochs", type=int, help="passes over the training set (default: " + ", ".join(
        f"{n} for {m}" for m, n in MODEL_EPOCHS.items()) + f", else {DEFAULT_EPOCHS})")
    add("--val-split", type=float,
        help="fraction of the training set held out for validation; 0 (the default) reports the "
             "test set after every epoch instead, as test_loss / test_accuracy")
    add("--device", choices=("auto", "cpu", "cuda"),
        help="where to train: auto (the default) picks the GPU when CuPy sees one")
    add("--seed", type=int, help="random seed (default: a random one, recorded in metrics.json)")
    add("--out", metavar="DIR", help="output folder, new or empty (default: runs/<dataset>-<model>-<timestamp>)")
    add("--checkpoint-every", type=int, metavar="STEPS",
        help="also write last.npz every STEPS optimizer steps, not only after each epoch")
    add("--resume", metavar="RUN_DIR",
        help="continue the interrupted run in RUN_DIR (its options are reused; changing the model, "
             "data set or training options is refused)")
    add("--quiet", "-q", action="store_true", default=None, help="print only the final result")
    distributed_cli.add_arguments(p)
    p.set_defaults(func=run)
    return p


# ==================================================================== build
@dataclass
class Setup:
    """What ``build`` made from a ``TrainConfig``: ready for ``fit``."""

    model: Any
    optimizer: Any
    opt_info: dict[str, Any]
    loss_fn: Any
    train_loss_fn: Any
    train_data: Any
    batch_size: int | None
    val_data: tuple[np.ndarray, np.ndarray]
    val_name: str
    test_data: tuple[np.ndarray, np.ndarray]
    callbacks: list[Callback]
    checkpointer: Any
    stopper: Any
    monitor: Any
    n_train: int
    source: Any
    fingerprint: str
    model_config: dict[str, Any]
    device: Any


TENSORBOARD_HPARAMS = ("dataset", "model", "hidden", "activation", "dropout", "optimizer", "lr", "momentum",
                      "weight_decay", "schedule", "augment", "flip", "label_smoothing", "l2", "batch_size",
                      "epochs", "val_split", "seed")


def data_fingerprint(x: np.ndarray, y: np.ndarray) -> str:
    """A short hash of a training set (shapes, every label, every 97th image) that tells
    two data sets apart without hashing every pixel."""
    h = hashlib.sha256(repr((x.shape, y.shape)).encode())
    h.update(np.ascontiguousarray(y).tobytes())
    h.update(np.ascontiguousarray(x[::97]).tobytes())
    return h.hexdigest()[:16]


def build(config: TrainConfig) -> Setup:
    """Data, model, optimizer, loss and callbacks for ``config`` (seeded as it says)."""
    from .. import manual_seed, nn
    from ..data import train_val_split
    from ..training import ProgressBar
    from ..training.model_checkpoint import ModelCheckpoint

    (x_train, y_train), (x_test, y_test), source = load_dataset(config.dataset, config.data,
                                                                download=config.download)
    fingerprint = data_fingerprint(x_train, y_train)
    mconfig = config.model_config()
    mconfig["input_shape"] = list(x_train.shape[1:])
    if config.val_split > 0:
        (x_train, y_train), val_data = train_val_split(x_train, y_train, config.val_split, seed=config.seed)
        val_name = "val"
    else:
        val_data, val_name = (x_test, y_test), "test"

    device = _train_device(config.device)
    manual_seed(config.seed)
    model = build_model(mconfig).to(device)
    optimizer, opt_info = build_optimizer(config.optimizer, model.parameters(), config.lr,
                                          config.momentum, config.weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    train_loss_fn: Any = loss_fn
    if config.l2 > 0:
        from ..nn.regularization import Regularized

        train_loss_fn = Regularized(loss_fn, model, l2=config.l2)

    ranks = distributed_cli.ranks()  # under mpirun: --batch-size is per rank
    steps_per_epoch = math.ceil(len(x_train) / (config.batch_size * ranks.world_size))
    callbacks: list[Callback] = []
    if config.schedule == "cosine":
        callbacks.append(cosine_schedule(optimizer, config.epochs, steps_per_epoch))
    stopper = monitor = None
    if config.early_stopping is not None:
        from ..training.early_stopping import EarlyStopping

        stopper = EarlyStopping("val_loss", patience=config.early_stopping)
        callbacks.append(stopper)
    if config.plot:
        from ..training.gradient_monitor import GradientMonitor

        monitor = GradientMonitor(every=max(1, steps_per_epoch // 50))
        callbacks.append(monitor)
    if config.tensorboard:
        from ..training.tensorboard import TensorBoard

        hparams = {k: v for k, v in config.to_dict().items() if k in TENSORBOARD_HPARAMS and v is not None}
        callbacks.append(TensorBoard(config.tensorboard, update_freq=max(1, steps_per_epoch // 20),
                                     gradient_monitor=monitor, val_data=val_data, hparams=hparams))
    if not config.quiet:
        callbacks.append(ProgressBar(verbose=1, val_label=val_name))
    checkpointer = ModelCheckpoint(
        config.out, monitor="val_loss" if val_name == "val" else None, every_n_steps=config.checkpoint_every,
        config=mconfig, extra={"dataset": config.dataset, "seed": config.seed,
                               "train_config": config.to_dict(), "data_fingerprint": fingerprint,
                               "world_size": ranks.world_size})
    callbacks.append(checkpointer)

    targets = y_train
    if config.label_smoothing > 0:
        targets = smooth_labels(y_train, int(max(y_train.max(), y_test.max())) + 1, config.label_smoothing)
    train_data: Any = (x_train, targets)
    batch_size: int | None = config.batch_size
    transform = augmentation(config.augment, config.flip)
    if transform is not None:
        from ..data import DataLoader, TensorDataset
        from ..data.augment import AugmentedLoader

        train_data = AugmentedLoader(
            DataLoader(TensorDataset(x_train, targets), batch_size=config.batch_size,
                       shuffle=not ranks.distributed, seed=config.seed,
                       sampler=ranks.sampler(TensorDataset(x_train, targets), config.seed)),
            transform, seed=config.seed + 1)
        batch_size = None
    return Setup(model, optimizer, opt_info, loss_fn, train_loss_fn, train_data, batch_size, val_data,
                 val_name, (x_test, y_test), callbacks, checkpointer, stopper, monitor, len(x_train),
                 source, fingerprint, mconfig, device)


def augmentation(shift: int, flip: bool) -> Any:
    """The training transform of ``--augment`` and ``--flip``: random shifts of up to
    ``shift`` pixels (``RandomShift``: the same offsets as ``RandomCrop(padding=shift)``), then
    left–right mirroring with p = ½; ``None`` when both are off."""
    from ..data.augment import Compose, RandomHorizontalFlip, RandomShift

    steps = ([RandomShift(shift)] if shift > 0 else []) + ([RandomHorizontalFlip(0.5)] if flip else [])
    if not steps:
        return None
    return steps[0] if len(steps) == 1 else Compose(steps)


def _train_device(spec: str) -> Any:
    from ..device import resolve
    from ..errors import GlassboxRuntimeError

    try:
        return resolve(spec)
    except GlassboxRuntimeError as exc:
        raise CliError(str(exc)) from None


# ================================================================ the command
def _check_out(out: Path, resuming: bool) -> None:
    """Refuse an output path that cannot take a new run, before any training."""
    if out.exists() and not out.is_dir():
        raise CliError(f"--out {out}: is a file, not a folder; pick a folder for the run")
    if not resuming and out.is_dir() and any((out / n).exists() for n in ("checkpoint.npz", "last.npz")):
        raise CliError(f"--out {out} already holds a run; continue it with --resume {out}, "
                       "or pick another folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"--out {out}: cannot create the folder ({exc.strerror or exc})") from None


def _remove_stale_temp_files(folder: Path) -> list[Path]:
    """Temporary files an atomic write left behind when the process was killed mid-write."""
    stale = [p for p in folder.glob(".*.tmp") if p.is_file()]
    for p in stale:
        p.unlink()
    return stale


def _resume_config(args: argparse.Namespace) -> tuple[TrainConfig, Path, Any]:
    """The run's saved config with the allowed changes from the command line, the
    checkpoint to continue from and its contents; refuses changes that would alter the run."""
    from ..training.checkpoint import load_checkpoint

    run_dir = Path(args.resume)
    if not run_dir.is_dir():
        raise CliError(f"--resume {run_dir}: no such run folder")
    if args.out is not None and Path(args.out).resolve() != run_dir.resolve():
        raise CliError(f"--resume {run_dir} continues in its own folder; leave out --out {args.out}")
    _remove_stale_temp_files(run_dir)
    path = next((run_dir / n for n in ("last.npz", "checkpoint.npz") if (run_dir / n).is_file()), None)
    if path is None:
        raise CliError(f"--resume {run_dir}: no last.npz or checkpoint.npz there (not a glassbox train run, "
                       "or killed before its first checkpoint)")
    ckpt = load_checkpoint(path)
    saved_dict = ckpt.extra.get("train_config")
    if not isinstance(saved_dict, dict) or not isinstance(ckpt.meta.get("trainer"), dict):
        raise CliError(f"--resume {run_dir}: {path.name} was not written by glassbox train with "
                       "crash-safe checkpoints, so it cannot be continued")
    saved = TrainConfig.from_dict({**saved_dict, "out": str(run_dir)})
    config = TrainConfig.from_args(args, base=saved)
    config = dataclasses.replace(config, out=str(run_dir))
    changed = [d for d, f in zip(config.differences(saved), _changed_fields(config, saved))
               if f not in TrainConfig.RESUMABLE_CHANGES and not (f == "epochs" and config.schedule == "constant")]
    if changed:
        raise CliError(f"--resume {run_dir}: the run was trained with " + "; ".join(changed)
                       + ". Resume with the same options (or start a new run with --out)")
    return config, path, ckpt


def _changed_fields(a: TrainConfig, b: TrainConfig) -> list[str]:
    return [f.name for f in dataclasses.fields(a) if getattr(a, f.name) != getattr(b, f.name)]


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    launched = distributed_cli.maybe_launch(args, CliError)  # --nproc N: rerun under mpirun
    if launched is not None:
        return launched
    ranks = distributed_cli.ranks()  # under mpirun: this process's rank; rank 0 alone prints
    resume_from = ckpt = None
    if args.resume is not None:
        config, resume_from, ckpt = _resume_config(args)
        ranks.check_resume(ckpt.extra.get("world_size", 1), CliError)
        state = ckpt.meta["trainer"]
        if state.get("finished") and (state.get("stopped") or int(state["epoch"]) >= config.epochs):
            test = (ckpt.extra.get("test") or {})
            print(f"{args.resume}: this run already finished ({int(state['epoch'])} of {config.epochs} epochs"
                  + (f"; test accuracy {test['accuracy']:.4f}" if "accuracy" in test else "")
                  + "); nothing to do")
            return 0
    else:
        config = TrainConfig.from_args(args)
        if args.out is None:
            config = dataclasses.replace(config, out=str(Path("runs") / (
                f"{config.dataset}-{config.model}-{_dt.datetime.now():%Y%m%d-%H%M%S}")))
    config = ranks.same(config)  # rank 0's seed and run folder on every rank
    if config.plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            from ..plots import MISSING

            raise CliError(f"--plot: {MISSING}") from None
    _check_out(Path(config.out), resuming=resume_from is not None)

    setup = build(config)
    if ckpt is not None and ckpt.extra.get("data_fingerprint") not in (None, setup.fingerprint):
        raise CliError(f"--resume {args.resume}: the training data differs from the run's (now "
                       f"{setup.source.note}; {setup.n_train:,} training images): resume with the data it "
                       "was trained on (--data)")
    say = (lambda *a: None) if config.quiet or not ranks.is_main else (lambda *a: print(*a, flush=True))
    _announce(say, config, setup, resume_from, ckpt)

    from ..training import fit

    train_start = time.perf_counter()
    history = fit(setup.model, setup.train_loss_fn, setup.optimizer, setup.train_data,
                  val_data=setup.val_data, epochs=config.epochs, batch_size=setup.batch_size,
                  callbacks=setup.callbacks, verbose=0, seed=config.seed, resume=resume_from,
                  val_name=setup.val_name, distributed=ranks.distributed)
    return report(config, setup, history, time.perf_counter() - train_start, started, say)


def _announce(say: Any, config: TrainConfig, setup: Setup, resume_from: Path | None, ckpt: Any) -> None:
    mc = setup.model_config
    say(f"data: {setup.source.note}")
    say(f"data: {setup.n_train:,} train, "
        + (f"{len(setup.val_data[0]):,} val, " if setup.val_name == "val" else "")
        + f"{len(setup.test_data[0]):,} test images")
    from .common import adaptation_note

    if adaptation_note(mc["name"]):
        say(f"model: {adaptation_note(mc['name'])}")
    say(f"model: {mc['name']} {mc['kwargs'] or ''}({setup.model.num_parameters():,} parameters); "
        f"optimizer: {describe_optimizer(setup.opt_info)}"
        + (" (cosine decay)" if config.schedule == "cosine" else "")
        + f"; {distributed_cli.ranks().describe(config.batch_size)}; "
        + (f"label smoothing {config.label_smoothing:g}; " if config.label_smoothing else "")
        + (f"random shifts ≤ {config.augment} px; " if config.augment else "")
        + ("random horizontal flips; " if config.flip else "")
        + f"{config.epochs} epochs; seed {config.seed}"
        + (f"; device {setup.device}" if setup.device.type != "cpu" else ""))
    if resume_from is not None:
        state = ckpt.meta["trainer"]
        where = (f"epoch {int(state['epoch']) + 1}, after batch {int(state['step'])}" if state["step"]
                 else f"the start of epoch {int(state['epoch']) + 1}")
        say(f"resuming {resume_from} at {where}")


# =================================================================== report
def report(config: TrainConfig, setup: Setup, history: Any, train_time: float, started: float,
           say: Any) -> int:
    """checkpoint.npz (replacing last.npz), metrics.json, the figures and the final lines."""
    from ..training.atomic import atomic_write_json
    from ..training.checkpoint import save_checkpoint

    out = Path(config.out)
    h = history.history
    if setup.val_name == "test" and h.get("test_accuracy"):
        test = {"loss": h["test_loss"][-1], "accuracy": h["test_accuracy"][-1]}
    else:
        test = distributed_cli.ranks().evaluate(setup.model, setup.test_data, setup.loss_fn)
    if not distributed_cli.ranks().is_main:
        return 0  # rank 0 writes the files and prints
    trainer = setup.checkpointer.trainer
    ckpt = save_checkpoint(out / "checkpoint.npz", setup.model, setup.optimizer, epoch=len(history.epoch),
                           history=history, config=setup.model_config,
                           extra={**setup.checkpointer.extra, "test": test},
                           trainer_state=trainer.state_dict() if trainer is not None else None)
    (out / "last.npz").unlink(missing_ok=True)
    epoch_times = h.get("time", [])
    stopper = setup.stopper
    metrics = {
        "dataset": config.dataset,
        "data_dir": str(setup.source.folder),
        "data_source": setup.source.kind,
        "model": setup.model_config["name"],
        "config": setup.model_config,
        "num_parameters": setup.model.num_parameters(),
        "optimizer": setup.opt_info,
        "batch_size": config.batch_size,
        "device": str(setup.device),
        "schedule": config.schedule,
        "label_smoothing": config.label_smoothing,
        "augment": config.augment,
        "flip": config.flip,
        "l2": config.l2,
        "early_stopping": None if stopper is None else {
            "patience": config.early_stopping,
            "best_epoch": None if stopper.best_epoch is None else stopper.best_epoch + 1,
            "stopped_epoch": None if stopper.stopped_epoch is None else stopper.stopped_epoch + 1},
        "gradient_warnings": None if setup.monitor is None else [w["message"] for w in setup.monitor.warnings],
        "epochs": len(history.epoch),
        "world_size": distributed_cli.ranks().world_size,
        "seed": config.seed,
        "test_loss": test["loss"],
        "test_accuracy": test["accuracy"],
        "history": {"epoch": [e + 1 for e in history.epoch], "history": history.to_dict()["history"]},
        "train_time_s": train_time,
        "images_per_s": (setup.n_train * len(epoch_times) / sum(epoch_times)
                         if epoch_times and sum(epoch_times) > 0 else None),
        "total_time_s": time.perf_counter() - started,
        "finished_at": _dt.datetime.now().isoformat(timespec="seconds"),
        "train_config": config.to_dict(),
    }
    atomic_write_json(out / "metrics.json", metrics)
    if config.plot:
        figures = _plots(out, setup.model, history, setup.monitor)
        say("figures: " + ", ".join(str(f) for f in figures))
        if setup.monitor.warnings:
            say(f"gradient warnings: {len(setup.monitor.warnings)} (see above and metrics.json)")
    print(f"test accuracy {test['accuracy']:.4f} ({100 * test['accuracy']:.2f} %), "
          f"test loss {test['loss']:.4f}; trained {len(history.epoch)} epochs in {train_time:.1f} s")
    say(f"saved {ckpt} and {out / 'metrics.json'}")
    sys.stdout.flush()
    return 0


def _plots(out: Path, model: Any, history: Any, monitor: Any) -> list[Path]:
    """history.png, lr.png, filters.png (first layer's weights) and grad_norms.png in ``out``."""
    from .. import plots

    written = [plots.plot_history(history, out / "history.png"), plots.plot_lr(history, out / "lr.png")]
    first = next((p for _, p in model.named_parameters() if p.ndim in (2, 4)), None)
    if first is not None:
        try:
            written.append(plots.plot_filters(first.data, out / "filters.png", title="first-layer filters"))
        except ValueError:
            pass  # a first layer whose rows are not images (e.g. non-square inputs)
    if monitor is not None and monitor.norms:
        written.append(plots.plot_gradient_norms(monitor.norms, out / "grad_norms.png", steps=monitor.steps))
    return written

"""Overfitting and four remedies, measured on mnist-5k.

An over-sized MLP (784-512-512-10 by default, ~670 k weights for 5,000 training images)
trained without any regularization (SGD, momentum 0.9, lr 0.05, 40 epochs) memorizes
its training set: train accuracy → 100 % while test accuracy stalls, so the gap
train − test is the overfitting. The same network, seed (initial weights, batch order),
optimizer and epoch budget is then trained with

* L2: ``Regularized(CrossEntropyLoss(), model, l2=λ)``, the course's λ/(2m)·Σ‖W‖²
  (with plain SGD exactly weight decay λ/m; with Adam it is divided by √v per weight,
  so ``--optimizer adam`` needs a different λ and behaves differently);
* dropout: ``mlp(..., dropout=p)`` (inverted dropout after each hidden layer);
* augmentation: ``AugmentedLoader`` with ``default_digit_augmentation()`` (±10°, ±2 px);
* early stopping: ``EarlyStopping(monitor="val_loss", restore_best_weights=True)`` with a
  stratified 10 % validation split taken from the *training* images (so this row trains
  on 4,500 of them; the test set is never looked at).

"train acc" is measured after training, in eval mode, on the clean training images (all
5,000, also for the early-stopping row); "test acc" on the 10,000 official test digits.

    OPENBLAS_NUM_THREADS=1 GLASSBOX_DATA=../shared/datasets python bench/overfitting.py \\
        [--optimizer sgd|adam] [--lr 0.05] [--hidden 512,512] [--epochs 40] [--l2 0.05]
        [--dropout 0.2] [--patience 3] [--rows baseline,L2,...] [--json FILE]

λ and p were chosen from a handful of tries (λ ∈ {0.05, 0.1, 0.3}, p ∈ {0.2, 0.5}) looking
at the test accuracy: this table illustrates the remedies, it is not a model selection.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))
from common import machine  # noqa: E402

import glassbox as gb  # noqa: E402
from glassbox import nn, optim  # noqa: E402
from glassbox.data import (  # noqa: E402
    AugmentedLoader, DataLoader, TensorDataset, default_digit_augmentation, load_mnist, train_val_split,
)
from glassbox.models import mlp  # noqa: E402
from glassbox.nn.regularization import Regularized  # noqa: E402
from glassbox.training import EarlyStopping, evaluate, fit  # noqa: E402


def run_row(name: str, args: argparse.Namespace, train: tuple, test: tuple) -> dict[str, Any]:
    x, y = train
    gb.manual_seed(args.seed)
    model = mlp(hidden=args.hidden, dropout=args.dropout if name == "dropout" else 0.0)
    loss_fn: Any = nn.CrossEntropyLoss()
    if name == "L2":
        loss_fn = Regularized(loss_fn, model, l2=args.l2)
    if args.optimizer == "adam":
        opt: Any = optim.Adam(model.parameters(), lr=args.lr)
    else:  # plain momentum SGD: there the L2 term is exactly weight decay λ/m (see regularization.py)
        opt = optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    callbacks, data, val = [], (x, y), None
    batch_size: int | None = args.batch_size
    if name == "augmentation":
        data = AugmentedLoader(DataLoader(TensorDataset(x, y), batch_size=args.batch_size, shuffle=True,
                                          seed=args.seed), default_digit_augmentation(), seed=args.seed)
        batch_size = None
    if name == "early stopping":
        data, val = train_val_split(x, y, 0.1, seed=args.seed)
        stopper = EarlyStopping(monitor=args.monitor, patience=args.patience, restore_best_weights=True)
        callbacks.append(stopper)
    start = time.perf_counter()
    history = fit(model, loss_fn, opt, data, val_data=val, epochs=args.epochs, batch_size=batch_size,
                  callbacks=callbacks, verbose=0, seed=args.seed)
    seconds = time.perf_counter() - start
    row = {"name": name, "epochs": len(history.epoch), "seconds": seconds,
           "train_acc": evaluate(model, (x, y))["accuracy"],
           "test_acc": evaluate(model, test)["accuracy"]}
    row["gap"] = row["train_acc"] - row["test_acc"]
    if name == "early stopping":
        row["best_epoch"] = stopper.best_epoch + 1          # 1-based, as printed by fit
        row["stopped_epoch"] = None if stopper.stopped_epoch is None else stopper.stopped_epoch + 1
        row["val_loss"] = history.history["val_loss"]
        row["val_accuracy"] = history.history["val_accuracy"]
    return row


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--hidden", default="512,512", help="hidden widths")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--optimizer", default="sgd", choices=("adam", "sgd"), help="Adam, or SGD with momentum 0.9")
    p.add_argument("--lr", type=float, default=0.05, help="learning rate")
    p.add_argument("--l2", type=float, default=0.05, help="λ of the L2 row (penalty λ/(2m)·Σ‖W‖², m = batch)")
    p.add_argument("--dropout", type=float, default=0.2, help="drop probability of the dropout row")
    p.add_argument("--patience", type=int, default=3, help="EarlyStopping patience (epochs)")
    p.add_argument("--monitor", default="val_loss", help="EarlyStopping's metric (val_loss or val_accuracy)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rows", default="baseline,L2,dropout,augmentation,early stopping")
    p.add_argument("--json", default=None, help="also write the rows here")
    args = p.parse_args()
    args.hidden = tuple(int(h) for h in args.hidden.split(","))

    train, test = load_mnist(name="mnist", download=False, progress=False)
    print(machine())
    print(f"mnist-5k: {len(train[0])} train / {len(test[0])} test; mlp 784-{'-'.join(map(str, args.hidden))}-10, "
          f"{args.optimizer} lr {args.lr:g}, batch {args.batch_size}, {args.epochs} epochs, seed {args.seed}")
    rows = []
    for name in args.rows.split(","):
        row = run_row(name.strip(), args, train, test)
        rows.append(row)
        extra = ""
        if "best_epoch" in row:
            extra = f"  (best epoch {row['best_epoch']}, stopped after epoch {row['stopped_epoch']})"
        print(f"  {row['name']:15s} train {100 * row['train_acc']:6.2f} %  test {100 * row['test_acc']:6.2f} %  "
              f"gap {100 * row['gap']:5.2f}  epochs {row['epochs']:3d}  {row['seconds']:6.1f} s{extra}", flush=True)

    settings = {"l2": f"λ = {args.l2:g}", "dropout": f"p = {args.dropout:g}",
                "augmentation": "±10°, ±2 px", "early stopping": f"{args.monitor}, patience {args.patience}, 10 % val"}
    print("\n| run | train acc | test acc | gap (points) | epochs |")
    print("|---|---:|---:|---:|---:|")
    for row in rows:
        label = row["name"] + (f" ({settings[row['name'].lower()]})" if row["name"].lower() in settings else "")
        epochs = str(row["epochs"])
        if "best_epoch" in row:
            epochs += f" (stopped; best {row['best_epoch']})" if row["stopped_epoch"] else f" (best {row['best_epoch']})"
        print(f"| {label} | {100 * row['train_acc']:.2f} % | {100 * row['test_acc']:.2f} % | "
              f"{100 * row['gap']:.2f} | {epochs} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": {k: v for k, v in vars(args).items()}, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()

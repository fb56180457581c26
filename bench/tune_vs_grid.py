"""Random search (``glassbox.tune``) against a dense learning-rate grid on the same budget.

Issue acceptance: "``glassbox tune`` with 16 trials finds a learning rate whose test
accuracy is within 1 point of the best found by a dense grid on the same budget".

Both sides train the default MLP (784-256-128-10 ReLU) on mnist-5k for ``--epochs`` per
configuration, with the same training split, seed (initial weights, batch order) and
validation split (10 % of the 5,000 training images). The grid tries ``--trials``
log-spaced learning rates over ``--lr-range``; random search draws ``--trials`` learning
rates log-uniformly from the same range and picks the one with the best *validation*
accuracy, whose *test* accuracy is then compared with

* the grid's best test accuracy (an oracle: the grid chosen by the test set), and
* the test accuracy of the grid's best-validation learning rate (the fair comparison).

Random search is repeated for ``--repeats`` sampler seeds to show the spread.

    OPENBLAS_NUM_THREADS=1 GLASSBOX_DATA=../shared/datasets \\
        python bench/tune_vs_grid.py [--optimizer sgd|adam] [--trials 16] [--epochs 2] [--repeats 5]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import machine  # noqa: E402

from glassbox.data import load_mnist, train_val_split  # noqa: E402
from glassbox.tune import ClassificationObjective, LogUniform, random_search  # noqa: E402

DEFAULT_RANGE = {"sgd": "1e-3,1", "adam": "1e-4,1e-1"}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--optimizer", default="sgd", choices=sorted(DEFAULT_RANGE))
    p.add_argument("--lr-range", default=None, help="LOW,HIGH (default: 1e-3,1 for sgd, 1e-4,1e-1 for adam)")
    p.add_argument("--trials", type=int, default=16)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--repeats", type=int, default=5, help="random-search sampler seeds 0..repeats-1")
    p.add_argument("--seed", type=int, default=0, help="training / split seed shared by every run")
    p.add_argument("--json", default=None, help="also write the numbers here")
    args = p.parse_args()
    low, high = (float(v) for v in (args.lr_range or DEFAULT_RANGE[args.optimizer]).split(","))

    (x, y), test = load_mnist(name="mnist", download=False, progress=False)
    train, val = train_val_split(x, y, 0.1, seed=args.seed)
    objective = ClassificationObjective(train, val, model="mlp", optimizer=args.optimizer,
                                        epochs=args.epochs, batch_size=args.batch_size, seed=args.seed)
    print(f"{machine()}")
    print(f"mnist: {len(train[0])} train / {len(val[0])} val / {len(test[0])} test; mlp + {args.optimizer}, "
          f"{args.epochs} epochs, batch {args.batch_size}, lr in [{low:g}, {high:g}], {args.trials} configs each")

    start = time.perf_counter()
    grid = []
    for lr in np.logspace(np.log10(low), np.log10(high), args.trials):
        try:
            out = objective({"lr": float(lr)})
        except Exception as exc:  # a diverged run scores nothing
            grid.append({"lr": float(lr), "val": None, "test": None, "error": str(exc)[:80]})
            continue
        grid.append({"lr": float(lr), "val": out["score"],
                     "test": objective.test_accuracy(out["model"], test)["accuracy"]})
    grid_time = time.perf_counter() - start
    print(f"\ndense grid ({grid_time:.0f} s):")
    fmt = lambda v: "-" if v is None else f"{v:.4f}"  # noqa: E731
    for g in grid:
        print(f"  lr {g['lr']:.3e}  val {fmt(g['val'])}  test {fmt(g['test'])}")
    done = [g for g in grid if g["test"] is not None]
    oracle = max(done, key=lambda g: g["test"])
    by_val = max(done, key=lambda g: g["val"])
    print(f"grid best test accuracy: {oracle['test']:.4f} at lr {oracle['lr']:.3e}")
    print(f"grid best-val lr {by_val['lr']:.3e}: val {by_val['val']:.4f}, test {by_val['test']:.4f}")

    runs = []
    for s in range(args.repeats):
        t0 = time.perf_counter()
        result = random_search(objective, {"lr": LogUniform(low, high)}, trials=args.trials, seed=s)
        best = result.best
        test_acc = objective.test_accuracy(result.best_model, test)["accuracy"]
        runs.append({"sampler_seed": s, "lr": best.params["lr"], "val": best.score, "test": test_acc,
                     "gap_to_grid_best_test": oracle["test"] - test_acc,
                     "gap_to_grid_best_val_test": by_val["test"] - test_acc,
                     "seconds": time.perf_counter() - t0})
        print(f"tune seed {s}: best-val lr {best.params['lr']:.3e}: val {best.score:.4f}, test {test_acc:.4f} "
              f"(grid best test − this = {100 * (oracle['test'] - test_acc):+.2f} points; "
              f"{runs[-1]['seconds']:.0f} s)")
    gaps = np.array([r["gap_to_grid_best_test"] for r in runs]) * 100
    within = int((gaps <= 1.0).sum())
    print(f"\ngap to the grid's best test accuracy: mean {gaps.mean():.2f}, max {gaps.max():.2f} points; "
          f"within 1 point in {within}/{len(runs)} sampler seeds")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"args": vars(args), "grid": grid, "tune": runs,
                       "grid_best_test": oracle, "grid_best_val": by_val}, f, indent=2)


if __name__ == "__main__":
    main()

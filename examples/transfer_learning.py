"""Transfer learning: reuse a network trained on Fashion-MNIST to learn digits from 500 images.

Course notes (transfer learning): when the new task has little data, keep the layers
learned on a large related task, replace the output layer with a fresh one for the new
classes, and train only that (or, with a little more data, fine-tune everything with a
small learning rate for the pretrained part).

1. Pretrain LeNet-5 (modern: ReLU + max pooling) on ``--pretrain-size`` Fashion-MNIST
   images for ``--pretrain-epochs`` epochs.
2. Take ``--per-class`` × 10 MNIST training images (balanced, seeded) and compare, on
   the 10,000 official MNIST test digits, after ``--epochs`` epochs each:

   (i)   new head only: pretrained body frozen (``requires_grad_(False)``), the last
         Linear replaced by a fresh ``Linear(84, 10)``, the only trainable layer;
   (ii)  fine-tune all: the same start, every layer trainable, the body with a 10×
         smaller learning rate than the new head (two parameter groups);
   (iii) from scratch: the same architecture, freshly initialized, same images and epochs;
   (iv)  conv layers only: keep (frozen) just the two pretrained conv layers, the generic
         edge / stroke detectors, and train fresh fc1–fc3 on top (the course's advice
         for a more distant task: reuse fewer layers).

The small-data part is repeated for ``--seeds`` different 500-image draws (and head /
scratch initializations) to show the spread.

    OPENBLAS_NUM_THREADS=1 GLASSBOX_DATA=../shared/datasets python examples/transfer_learning.py \\
        [--pretrain-size 20000] [--pretrain-epochs 2] [--per-class 50] [--epochs 30] [--seeds 3]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import glassbox as gb
from glassbox import nn, optim
from glassbox.data import load_mnist
from glassbox.models import lenet5
from glassbox.training import evaluate, fit


def balanced_subset(x: np.ndarray, y: np.ndarray, per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``per_class`` random images of every class (seeded), in random order."""
    rng = np.random.default_rng(seed)
    idx = np.concatenate([rng.choice(np.flatnonzero(y == c), per_class, replace=False)
                          for c in np.unique(y)])
    rng.shuffle(idx)
    return x[idx], y[idx]


def pretrained_body(state: dict, seed: int, freeze: bool) -> nn.Sequential:
    """LeNet-5 with the Fashion-MNIST weights and a fresh 10-way output layer ``fc3``."""
    gb.manual_seed(seed)
    model = lenet5()
    model.load_state_dict(state)
    if freeze:
        model.requires_grad_(False)          # every pretrained parameter: no gradient, no update
    model.fc3 = nn.Linear(84, 10)            # replaces the old output layer; trainable
    return model


def pretrained_convs(state: dict, seed: int) -> nn.Sequential:
    """LeNet-5 with the Fashion-MNIST conv1/conv2 (frozen) and freshly initialized fc1–fc3."""
    gb.manual_seed(seed)
    model = lenet5()
    model.load_state_dict({k: v for k, v in state.items() if k.startswith("conv")}, strict=False)
    model.conv1.requires_grad_(False)
    model.conv2.requires_grad_(False)
    return model


def train_small(model: nn.Module, params: object, data: tuple, test: tuple, epochs: int,
                batch_size: int, seed: int) -> float:
    fit(model, nn.CrossEntropyLoss(), optim.Adam(params), data, epochs=epochs,
        batch_size=batch_size, verbose=0, seed=seed)
    return evaluate(model, test)["accuracy"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pretrain-size", type=int, default=20000, help="Fashion-MNIST images to pretrain on")
    p.add_argument("--pretrain-epochs", type=int, default=2)
    p.add_argument("--per-class", type=int, default=50, help="MNIST training images per digit")
    p.add_argument("--epochs", type=int, default=30, help="epochs on the small MNIST set (every variant)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3, help="Adam lr of the new head and of from-scratch")
    p.add_argument("--body-lr-factor", type=float, default=0.1, help="body lr = lr × this when fine-tuning all")
    p.add_argument("--seeds", type=int, default=3, help="repeat the small-data part for seeds 0..N-1")
    args = p.parse_args()

    # 1. pretraining on Fashion-MNIST
    (fx, fy), ftest = load_mnist(name="fashion-mnist", download=False, progress=False)
    fx, fy = balanced_subset(fx, fy, args.pretrain_size // 10, seed=1234)
    gb.manual_seed(1234)
    source = lenet5()
    start = time.perf_counter()
    fit(source, nn.CrossEntropyLoss(), optim.Adam(source.parameters(), lr=1e-3), (fx, fy),
        epochs=args.pretrain_epochs, batch_size=64, verbose=0, seed=1234)
    print(f"pretrained LeNet-5 on {len(fx):,} Fashion-MNIST images for {args.pretrain_epochs} epochs "
          f"({time.perf_counter() - start:.0f} s): Fashion-MNIST test accuracy "
          f"{100 * evaluate(source, ftest)['accuracy']:.2f} %")
    state = source.state_dict()

    # 2. 500 digits
    (mx, my), mtest = load_mnist(name="mnist", download=False, progress=False)
    results: dict[str, list[float]] = {"head": [], "finetune": [], "scratch": [], "convs": []}
    for seed in range(args.seeds):
        data = balanced_subset(mx, my, args.per_class, seed)

        head_only = pretrained_body(state, seed, freeze=True)
        if seed == 0:
            print(f"\n(i) new head only: the pretrained body is frozen ({len(data[0])} MNIST images, "
                  f"{args.epochs} epochs)")
            gb.summary(head_only, (1, 28, 28))
        trainable = [q for q in head_only.parameters() if q.requires_grad]
        results["head"].append(train_small(head_only, [{"params": trainable, "lr": args.lr}], data, mtest,
                                           args.epochs, args.batch_size, seed))

        full = pretrained_body(state, seed, freeze=False)
        body = [q for name, q in full.named_parameters() if not name.startswith("fc3.")]
        groups = [{"params": body, "lr": args.lr * args.body_lr_factor},
                  {"params": list(full.fc3.parameters()), "lr": args.lr}]
        results["finetune"].append(train_small(full, groups, data, mtest, args.epochs, args.batch_size, seed))

        gb.manual_seed(seed)
        scratch = lenet5()
        results["scratch"].append(train_small(scratch, [{"params": list(scratch.parameters()), "lr": args.lr}],
                                              data, mtest, args.epochs, args.batch_size, seed))
        convs = pretrained_convs(state, seed)
        results["convs"].append(train_small(convs, [{"params": [q for q in convs.parameters() if q.requires_grad],
                                                     "lr": args.lr}], data, mtest, args.epochs, args.batch_size, seed))
        print(f"seed {seed}: head only {100 * results['head'][-1]:.2f} %, fine-tune all "
              f"{100 * results['finetune'][-1]:.2f} %, from scratch {100 * results['scratch'][-1]:.2f} %, "
              f"convs only {100 * results['convs'][-1]:.2f} %", flush=True)

    names = {"head": "(i) pretrained body frozen, new head trained",
             "finetune": f"(ii) fine-tune all (body lr {args.lr * args.body_lr_factor:g}, head lr {args.lr:g})",
             "scratch": f"(iii) from scratch (lr {args.lr:g})",
             "convs": "(iv) pretrained conv layers frozen, fresh fc1–fc3 trained"}
    print(f"\nMNIST test accuracy (10,000 digits) after {args.epochs} epochs on {10 * args.per_class} "
          f"training images, {args.seeds} seeds:")
    print("| variant | " + " | ".join(f"seed {s}" for s in range(args.seeds)) + " | mean |")
    print("|---|" + "---:|" * (args.seeds + 1))
    for key, accs in results.items():
        print(f"| {names[key]} | " + " | ".join(f"{100 * a:.2f} %" for a in accs)
              + f" | {100 * np.mean(accs):.2f} % |")


if __name__ == "__main__":
    main()

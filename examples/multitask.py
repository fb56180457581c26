"""Multi-task learning on mnist-5k: one shared body, two heads, one weighted loss.

Task "digit": which of 10 digits (10-way softmax, cross-entropy).
Task "big":   is the digit ≥ 5 (one sigmoid output, binary cross-entropy on the logit).

    J = w_digit · CE(digit logits, y) + w_big · BCEWithLogits(big logit, [y ≥ 5])

Both heads read the same 128 features of the body, so both tasks shape them. ``fit``
expects one target Tensor per batch, so this example runs its own short loop (forward,
``MultiTaskLoss``, backward, step), which is the whole of what ``fit`` does per batch.
For comparison the same body + digit head is trained alone (single task), with the
same seed, epochs and optimizer.

    OPENBLAS_NUM_THREADS=1 GLASSBOX_DATA=../shared/datasets python examples/multitask.py \\
        [--epochs 10] [--w-big 0.5]
"""
from __future__ import annotations

import argparse

import numpy as np

import glassbox as gb
from glassbox import nn, optim
from glassbox.data import DataLoader, TensorDataset, load_mnist
from glassbox.metrics import accuracy, binary_metrics
from glassbox.nn import MultiHead, MultiTaskLoss
from glassbox.training import predict


def body() -> nn.Sequential:
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU())


def targets(y: gb.Tensor) -> dict[str, gb.Tensor]:
    labels = y.data
    return {"digit": y, "big": gb.Tensor((labels >= 5).astype(np.float32)[:, None])}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--w-digit", type=float, default=1.0)
    p.add_argument("--w-big", type=float, default=0.5)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()

    (x, y), (xt, yt) = load_mnist(name="mnist", download=False, progress=False)

    gb.manual_seed(args.seed)
    model = MultiHead(body(), {"digit": nn.Linear(128, 10), "big": nn.Linear(128, 1)})
    loss_fn = MultiTaskLoss({"digit": nn.CrossEntropyLoss(), "big": nn.BCEWithLogitsLoss()},
                            {"digit": args.w_digit, "big": args.w_big})
    opt = optim.Adam(model.parameters(), lr=args.lr)
    loader = DataLoader(TensorDataset(x, y), batch_size=args.batch_size, shuffle=True, seed=args.seed)
    print(f"{model.num_parameters():,} parameters; {loss_fn}")
    for epoch in range(args.epochs):
        model.train()
        sums = {"total": 0.0, "digit": 0.0, "big": 0.0}
        for xb, yb in loader:
            loss = loss_fn(model(xb), targets(yb))
            opt.zero_grad()
            loss.backward()
            opt.step()
            for k in sums:
                sums[k] += loss_fn.last[k] * len(xb)
        print(f"epoch {epoch + 1:2d}: " + ", ".join(f"{k} {v / len(x):.4f}" for k, v in sums.items()))

    model.eval()
    with gb.no_grad():
        outs = [model(gb.Tensor(xt[i:i + 1000])) for i in range(0, len(xt), 1000)]
    digit_logits = np.concatenate([o["digit"].data for o in outs])
    big_logits = np.concatenate([o["big"].data for o in outs])[:, 0]
    digit_acc = accuracy(yt, digit_logits.argmax(1))
    big = binary_metrics(yt >= 5, big_logits, threshold=0.0)   # logit ≥ 0  ⇔  sigmoid ≥ 0.5
    via_digit = accuracy(yt >= 5, digit_logits.argmax(1) >= 5)

    # the same body + digit head alone, same seed / epochs / optimizer
    gb.manual_seed(args.seed)
    single = nn.Sequential(body(), nn.Linear(128, 10))
    gb.training.fit(single, nn.CrossEntropyLoss(), optim.Adam(single.parameters(), lr=args.lr),
                    DataLoader(TensorDataset(x, y), batch_size=args.batch_size, shuffle=True, seed=args.seed),
                    epochs=args.epochs, verbose=0)
    single_acc = accuracy(yt, predict(single, xt).argmax(1))

    print(f"\nMNIST test set ({len(xt):,} digits), {args.epochs} epochs on {len(x):,} images:")
    print(f"  digit head: accuracy {100 * digit_acc:.2f} %   (single-task net, same budget: {100 * single_acc:.2f} %)")
    print(f"  'is ≥ 5' head: accuracy {100 * big['accuracy']:.2f} %, precision {big['precision']:.4f}, "
          f"recall {big['recall']:.4f}, F1 {big['f1']:.4f}")
    print(f"  ('≥ 5' read off the digit head's argmax: {100 * via_digit:.2f} %; "
          f"the two heads agree on {100 * np.mean((digit_logits.argmax(1) >= 5) == (big_logits >= 0)):.2f} %)")


if __name__ == "__main__":
    main()

"""Multi-label classification: which digits are in the picture? ("car and bus at once")

Each image is two MNIST digits side by side on a 28×56 canvas; its label is the SET of
digits present (one or two of 0..9), written as a 10-long 0/1 vector. Unlike softmax,
whose outputs compete for one class, the network has 10 independent sigmoid outputs,
one yes/no question per digit, each with its own binary cross-entropy:

    J = (1/(m·L)) Σᵢ Σₗ −[yᵢₗ log σ(zᵢₗ) + (1 − yᵢₗ) log(1 − σ(zᵢₗ))]       (L = 10)

``BCEWithLogitsLoss`` computes it from the logits z (stable, no separate sigmoid). At test
time label l is predicted when σ(z) ≥ 0.5, i.e. z ≥ 0, and ``multilabel_metrics`` reports
per-label and micro/macro precision, recall and F1, subset accuracy (the whole set right)
and Hamming loss.

Training pairs are built from the 5,000 mnist-5k training digits, test pairs from the
10,000 official test digits (so no test digit was ever seen in training).

    OPENBLAS_NUM_THREADS=1 GLASSBOX_DATA=../shared/datasets python examples/multilabel.py \\
        [--train-pairs 10000] [--epochs 10]
"""
from __future__ import annotations

import argparse

import numpy as np

import glassbox as gb
from glassbox import nn, optim
from glassbox.data import load_mnist
from glassbox.metrics import multilabel_metrics
from glassbox.training import fit, predict


def pairs(x: np.ndarray, y: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` canvases (n, 1, 28, 56): two random digits side by side; multi-hot labels (n, 10)."""
    rng = np.random.default_rng(seed)
    left, right = rng.integers(0, len(x), size=(2, n))
    canvas = np.concatenate([x[left], x[right]], axis=3)
    labels = np.zeros((n, 10), dtype=np.float32)
    labels[np.arange(n), y[left]] = 1
    labels[np.arange(n), y[right]] = 1      # the same digit twice is still one label
    return canvas, labels


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--train-pairs", type=int, default=10000)
    p.add_argument("--test-pairs", type=int, default=10000)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()

    (x, y), (xt, yt) = load_mnist(name="mnist", download=False, progress=False)
    train = pairs(x, y, args.train_pairs, args.seed)
    test = pairs(xt, yt, args.test_pairs, args.seed + 1)
    print(f"{len(train[0]):,} training / {len(test[0]):,} test canvases of 28×56; "
          f"{100 * np.mean(train[1].sum(1) == 1):.1f} % of them show the same digit twice")

    gb.manual_seed(args.seed)
    model = nn.Sequential(nn.Flatten(), nn.Linear(28 * 56, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                          nn.Linear(256, 10))   # 10 logits, one per digit: "is digit l present?"
    # fit's running "accuracy" is an argmax match, meaningless for multi-hot targets: we
    # print only its loss and judge the model by the multi-label metrics below.
    history = fit(model, nn.BCEWithLogitsLoss(), optim.Adam(model.parameters(), lr=args.lr), train,
                  epochs=args.epochs, batch_size=args.batch_size, verbose=0, seed=args.seed)
    print("training loss per epoch: " + ", ".join(f"{v:.4f}" for v in history.history["loss"]))

    logits = predict(model, test[0])
    probs = 1.0 / (1.0 + np.exp(-logits))
    m = multilabel_metrics(test[1], probs, threshold=0.5, label_names=[str(d) for d in range(10)])
    print(f"\ntest ({len(test[0]):,} canvases, threshold 0.5):")
    for avg in ("micro", "macro"):
        r = m[avg]
        print(f"  {avg:5s}: precision {r['precision']:.4f}, recall {r['recall']:.4f}, F1 {r['f1']:.4f}")
    print(f"  subset accuracy (the whole set right) {100 * m['subset_accuracy']:.2f} %, "
          f"Hamming loss {m['hamming_loss']:.4f}")
    print("  per-digit F1: " + ", ".join(f"{k} {v['f1']:.3f}" for k, v in m["per_label"].items()))
    count_right = np.mean((probs >= 0.5).sum(1) == test[1].sum(1))
    print(f"  number of distinct digits predicted right: {100 * count_right:.2f} %")


if __name__ == "__main__":
    main()

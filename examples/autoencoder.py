"""Autoencoders on MNIST: reconstruction, codes as features, and denoising.

1. Train an autoencoder X̂ = σ(D(E(X))) on the training images (no labels; BCE on the logits
   or MSE, Adam) and report the reconstruction error, MSE per pixel, on the 10,000 test
   digits, next to two label-free baselines: the mean training image, and PCA with as many
   components as the code has numbers (the best any *linear* code of that size can do).
2. Use the encoder's codes z = E(X) as features for a linear classifier (softmax regression,
   Adam): trained on the training codes, tested on the test codes, against the same
   classifier with the same epochs and lr on the raw 784 pixels. Codes and pixels are both
   centred on their training mean and scaled by their overall training std, so the
   comparison is about the features, not their units.
3. Train a denoising autoencoder on X̃ = clip(X + σε, 0, 1) → X and compare, on noisy test
   digits, its error against the plain autoencoder's (and against the noisy input itself).
   The denoising model only ever sees noisy inputs in training; their background is brighter
   on average (clipping at 0 keeps only the positive noise, mean σ·0.40), so on clean inputs
   it can do worse than on noisy ones; the script prints both.
4. Save a PNG: originals, reconstructions, noisy inputs, the plain and the denoising
   autoencoder's outputs for them.

    python examples/autoencoder.py                      # dense, 10 epochs: about a minute
    python examples/autoencoder.py --kind conv --epochs 5
    python examples/autoencoder.py --quick              # smoke run in seconds
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import glassbox as gb
from glassbox import nn, optim
from glassbox.data import load_mnist
from glassbox.models import SoftmaxRegression, autoencoder
from glassbox.models.autoencoder import AutoEncoder, corrupt


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--kind", choices=["dense", "conv"], default="dense")
    p.add_argument("--epochs", type=int, default=10, help="autoencoder epochs")
    p.add_argument("--code-size", type=int, default=32)
    p.add_argument("--loss", choices=["bce", "mse"], default="bce")
    p.add_argument("--noise", type=float, default=0.3, help="σ of the denoising noise")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--clf-epochs", type=int, default=20, help="epochs of the linear classifiers")
    p.add_argument("--clf-lr", type=float, default=1e-3)
    p.add_argument("--out", default="autoencoder.png", help="where to write the PNG")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 500 training and 1,000 test images, 2 epochs")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


def mse_per_pixel(model: gb.nn.Module, x_in: np.ndarray, target: np.ndarray) -> float:
    """mean((X̂ − X)²) over every pixel of every image (eval mode: no noise drawn)."""
    recon = gb.predict(model, x_in, batch_size=1000)
    return float(np.mean((recon.astype(np.float64) - target) ** 2))


def train_autoencoder(model: AutoEncoder, x: np.ndarray, args: argparse.Namespace) -> float:
    net, loss_fn = model.training_pair(args.loss)
    start = time.perf_counter()
    gb.fit(net, loss_fn, optim.Adam(model.parameters(), lr=args.lr), (x, x),
           epochs=args.epochs, batch_size=args.batch_size, verbose=2, seed=args.seed)
    return time.perf_counter() - start


def pca_mse(x_train: np.ndarray, x_test: np.ndarray, k: int) -> float:
    """Test MSE per pixel of projecting onto the top-k principal components of the train set."""
    a = x_train.reshape(len(x_train), -1).astype(np.float64)
    mean = a.mean(axis=0)
    _, _, vt = np.linalg.svd(a - mean, full_matrices=False)
    v = vt[:k].T
    b = x_test.reshape(len(x_test), -1).astype(np.float64) - mean
    return float(np.mean((b @ v @ v.T - b) ** 2))


def standardize(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centre each feature on its training mean and divide all by ONE number, the overall
    training std. (Per-feature stds would blow up border pixels never lit in training.)"""
    train, test = train.reshape(len(train), -1), test.reshape(len(test), -1)
    mean = train.mean(axis=0)
    scale = float((train - mean).std())
    return ((train - mean) / scale).astype(np.float32), ((test - mean) / scale).astype(np.float32)


def linear_probe(f_train: np.ndarray, y_train: np.ndarray, f_test: np.ndarray,
                 y_test: np.ndarray, args: argparse.Namespace) -> float:
    """Test accuracy of softmax regression trained on the given features."""
    f_train, f_test = standardize(f_train, f_test)
    gb.manual_seed(args.seed)
    clf = SoftmaxRegression(f_train.shape[1], 10)
    gb.fit(clf, nn.CrossEntropyLoss(), optim.Adam(clf.parameters(), lr=args.clf_lr),
           (f_train, y_train), epochs=args.clf_epochs, batch_size=args.batch_size, verbose=0,
           seed=args.seed)
    return gb.evaluate(clf, (f_test, y_test))["accuracy"]


def save_figure(path: str, rows: list[tuple[str, np.ndarray]]) -> Path:
    from glassbox.plots._mpl import new_figure, save_png

    cols = rows[0][1].shape[0]
    fig = new_figure("autoencoder example", figsize=(0.9 * cols + 1.6, 0.95 * len(rows)))
    axes = fig.subplots(len(rows), cols, squeeze=False)
    for r, (label, images) in enumerate(rows):
        for c in range(cols):
            ax = axes[r, c]
            ax.imshow(images[c, 0], cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
    return save_png(fig, path)


def main() -> None:
    args = parse_args()
    if args.quick:
        args.epochs, args.clf_epochs = min(args.epochs, 2), min(args.clf_epochs, 5)
    (x_train, y_train), (x_test, y_test) = load_mnist()
    if args.quick:  # a seeded random subset: the training files may be sorted by label
        rng = np.random.default_rng(args.seed)
        tr, te = rng.permutation(len(x_train))[:500], rng.permutation(len(x_test))[:1000]
        x_train, y_train, x_test, y_test = x_train[tr], y_train[tr], x_test[te], y_test[te]
    print(f"data: {len(x_train)} train / {len(x_test)} test images; kind={args.kind}, "
          f"code={args.code_size}, loss={args.loss}, epochs={args.epochs}")

    # 1. plain autoencoder
    gb.manual_seed(args.seed)
    ae = autoencoder(args.kind, code_size=args.code_size)
    seconds = train_autoencoder(ae, x_train, args)
    ae_mse = mse_per_pixel(ae, x_test, x_test)
    mean_mse = float(np.mean((x_test - x_train.mean(axis=0)) ** 2))
    pca = pca_mse(x_train, x_test, args.code_size)
    print(f"\n[reconstruction] test MSE/pixel: autoencoder {ae_mse:.5f}  "
          f"(PCA-{args.code_size} {pca:.5f}, mean image {mean_mse:.5f}); trained in {seconds:.1f} s")

    # 2. codes as features for a linear classifier
    z_train = gb.predict(ae.encoder, x_train)
    z_test = gb.predict(ae.encoder, x_test)
    acc_codes = linear_probe(z_train, y_train, z_test, y_test, args)
    acc_pixels = linear_probe(x_train, y_train, x_test, y_test, args)
    print(f"[linear probe] softmax regression, {args.clf_epochs} epochs: test accuracy on "
          f"{args.code_size} codes {acc_codes:.4f} vs on 784 raw pixels {acc_pixels:.4f}")

    # 3. denoising autoencoder
    gb.manual_seed(args.seed)
    dae = autoencoder(args.kind, code_size=args.code_size, noise_std=args.noise)
    seconds = train_autoencoder(dae, x_train, args)
    x_noisy = corrupt(x_test, args.noise, np.random.default_rng(args.seed + 1)).numpy()
    noisy_mse = float(np.mean((x_noisy - x_test) ** 2))
    dae_noisy, ae_noisy = mse_per_pixel(dae, x_noisy, x_test), mse_per_pixel(ae, x_noisy, x_test)
    dae_clean = mse_per_pixel(dae, x_test, x_test)
    print(f"\n[denoising σ={args.noise}] MSE/pixel against the clean test digits, from noisy "
          f"inputs: denoising AE {dae_noisy:.5f} vs plain AE {ae_noisy:.5f} "
          f"(noisy input itself {noisy_mse:.5f}); denoising AE on clean inputs {dae_clean:.5f}; "
          f"trained in {seconds:.1f} s")

    # 4. figure: the first test image of each digit
    pick = np.array([np.flatnonzero(y_test == d)[0] for d in range(10) if (y_test == d).any()])
    rows = [("original", x_test[pick]),
            ("autoencoder", gb.predict(ae, x_test[pick])),
            (f"noisy σ={args.noise}", x_noisy[pick]),
            ("autoencoder\n(noisy in)", gb.predict(ae, x_noisy[pick])),
            ("denoising AE\n(noisy in)", gb.predict(dae, x_noisy[pick]))]
    try:
        print(f"\nsaved {save_figure(args.out, rows)}")
    except ImportError as err:
        print(f"\nno figure: {err}")


if __name__ == "__main__":
    main()

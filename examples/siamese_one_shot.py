"""One-shot digit recognition with a Siamese network trained on digits 0–4 only.

The embedding f (``EmbeddingNet``, unit-norm output) is trained on the 2,500 images of digits
0–4 of the mnist-5k training set; digits 5–9 are never seen in training. Then, for 5–9:

* one-shot identification: the gallery holds ONE training image of each digit 5–9 (a seeded
  draw); every official test image of 5–9 gets the label of its nearest gallery image.
  The accuracy depends a lot on which five images are drawn, so it is averaged over
  ``--galleries`` draws (mean ± std);
* verification: the ROC AUC of −d(x₁, x₂) on balanced same/different test pairs of 5–9.

Training (default ``--loss supcon``), three things that each help the transfer to new digits:

1. more classes: the 8 rotations/mirrors of each digit 0–4 become their own pseudo-classes
   (a turned 2 is a new shape; symmetric ones such as a 0 turned by 180° are merged), so
   f learns to tell 24 shapes apart instead of 5 (``dihedral_pseudo_classes``);
2. a softmax loss over the whole batch, the supervised contrastive loss with temperature τ,
   instead of batch-hard triplets;
3. an instance term: two random shift+rotation views of each image, and the NT-Xent loss
   with "same source image" as the label, so f keeps detail within a class rather than
   squeezing each class to a point. loss = SupCon(pseudo-class) + λ·SupCon(instance).

``--loss triplet --dim 32 --k 8 --epochs 8`` is the earlier recipe (5 classes, batch-all
warm-up then batch-hard triplets, margin 0.2).

    python examples/siamese_one_shot.py            # about 3 minutes on one core
    python examples/siamese_one_shot.py --quick    # a smoke run in seconds

Measured (defaults: 50 epochs × 35 batches, cosine lr; seed 0, mnist-5k,
OPENBLAS_NUM_THREADS=1, 178 s of training, 3.5 s an epoch): one-shot accuracy
72.3 % ± 6.0 % over 10 galleries (65.2–82.8 %), verification AUC 0.892; seed 1 gives
73.6 % ± 5.7 %, AUC 0.892. What was tried (seed 0, 10 galleries; d = 64 unless said):

    triplet, 5 classes, d = 32 (earlier default)           56.4 % ± 9.5 %   AUC 0.820
      same net, 3,136 conv features instead of f           61.3 % ± 7.3 %   AUC 0.822
    SupCon, 5 classes, one view                            57.0 % ± 8.6 %   AUC 0.809
    SupCon + instance, 5 classes, d = 32                   60.9 % ± 5.6 %   AUC 0.832
    instance (NT-Xent) only, 5 classes, d = 32             48.8 % ± 5.1 %   AUC 0.742
    triplet, 24 pseudo-classes                             49.0 % ± 6.5 %   (batch-hard stuck at α)
    SupCon, 24 pseudo-classes, one view, d = 32            59.6 % ± 8.4 %   AUC 0.837
    SupCon + instance, 24 pseudo-classes, 10 epochs        64.3–65.3 %, ± 5.0–6.9 %, AUC 0.844–0.850
      … with τ = 0.2                                       60.9 % ± 7.3 %   AUC 0.835
      … with stronger augmentation (±3 px, ±20°)           63.5 % ± 5.6 %   AUC 0.851
      … 25 epochs (88 s)                                   71.0 % ± 4.7 %   AUC 0.882
      … 50 epochs (178 s, this default)                    72.3 % ± 6.0 %   AUC 0.892
      … 50 epochs, ±3 px, ±20°                             72.0 % ± 4.8 %   AUC 0.895
      … 50 epochs, λ = 0.5                                 70.8 % ± 7.1 %   AUC 0.894
      … 100 epochs (361 s)                                 73.3 % ± 5.1 %   AUC 0.908
      … wider net, --channels 64 128, 10 epochs (91 s)     65.3 % ± 5.5 %   AUC 0.870
      … wider net, 30 epochs (277 s)                       73.5 % ± 5.7 %   AUC 0.910
                                    (seed 1: 72.5 % ± 5.7 %, AUC 0.893)
      … wider net, 60 epochs (557 s, best so far)          75.5 % ± 6.8 %   AUC 0.920
                                    (seed 1: 75.9 % ± 5.4 %, AUC 0.911)
    gallery-side test-time augmentation (16 views of the   within ±1 point of no TTA
      one gallery image, averaged), 10-epoch models
    centering features on the mean of 0–4 embeddings       within ±1.5 points

(Times: one core of the same machine, 3.5 s an epoch for the default net; the 10-epoch
run took 208 s when measured earlier on a busier core. The 65.3 % run drew its batches in
a slightly different order.) Nearest neighbour on raw pixels gives 49.6 % ± 6.6 %, AUC
0.714. The issue's goal of 80 % is not reached: the loss keeps falling with longer
training, but the accuracy grows slowly past ~25 epochs (73 % at 100 epochs; 75.5 % for
the wider net, 2.5× the cost per epoch, at 60); the rest looks limited by 2,500 images of
5 digit shapes (features for 5–9 must be guessed from 0–4) and by the single gallery
image (the spread between draws is 15 points).
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import glassbox as gb
from glassbox import nn, optim
from glassbox.data import load_mnist
from glassbox.data.augment import Compose, RandomRotation, RandomShift
from glassbox.metrics import roc_auc_score
from glassbox.models import BalancedBatchSampler, EmbeddingNet, embed, nearest_labels
from glassbox.models.siamese import dihedral_pseudo_classes, supervised_contrastive_loss

SEEN, UNSEEN = np.arange(5), np.arange(5, 10)
# transforms (indices into DIHEDRAL) that leave a digit about the same: 0 and 1 survive a
# half turn and both mirrors, 3 the up-down mirror; 2 and 4 none
DIGIT_SYMMETRIES = {0: (2, 4, 5), 1: (2, 4, 5), 3: (5,)}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--loss", choices=("supcon", "triplet"), default="supcon")
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--steps", type=int, default=35, help="batches per epoch (supcon)")
    p.add_argument("--quick", action="store_true", help="tiny run: 2 epochs on 500 images")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dim", type=int, default=64, help="embedding size d")
    p.add_argument("--channels", type=int, nargs=2, default=(32, 64), metavar=("C1", "C2"),
                   help="conv channels of the embedding net")
    p.add_argument("--p", type=int, default=12, help="classes per batch (supcon)")
    p.add_argument("--k", type=int, default=4, help="examples per class in a batch")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--tau", type=float, default=0.1, help="softmax temperature (supcon)")
    p.add_argument("--lam", type=float, default=1.0, help="weight of the instance term (supcon)")
    p.add_argument("--margin", type=float, default=0.2, help="triplet margin")
    p.add_argument("--warmup", type=int, default=1, help="epochs of batch-all mining first (triplet)")
    p.add_argument("--shift", type=int, default=2, help="random shift augmentation (pixels)")
    p.add_argument("--rotate", type=float, default=15.0, help="random rotation (degrees)")
    p.add_argument("--galleries", type=int, default=10, help="random one-shot galleries")
    p.add_argument("--pairs", type=int, default=5000, help="verification pairs (half same)")
    return p.parse_args()


def train_triplet(model: nn.Module, x: np.ndarray, y: np.ndarray,
                  args: argparse.Namespace) -> list[float]:
    """The earlier recipe: 5 classes, batch-all warm-up, then batch-hard triplets."""
    sampler = BalancedBatchSampler(y, classes_per_batch=len(SEEN), samples_per_class=args.k,
                                   seed=args.seed)
    # batch-hard from a random start tends to collapse every embedding onto one point (loss
    # stuck at α); a warm-up on all valid triplets spreads the classes out first
    warmup = nn.TripletLoss(margin=args.margin, mining="batch_all")
    hard = nn.TripletLoss(margin=args.margin, mining="batch_hard")
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(args.epochs, 1))
    augment = Compose([RandomShift(args.shift), RandomRotation(args.rotate)])
    rng = np.random.default_rng(args.seed)
    history = []
    for epoch in range(args.epochs):
        start, total, batches = time.perf_counter(), 0.0, 0
        loss_fn = warmup if epoch < args.warmup else hard
        model.train()
        for idx in sampler:
            emb = model(gb.Tensor(augment(x[idx], rng)))
            loss = loss_fn(emb, y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total, batches = total + loss.item(), batches + 1
        scheduler.step()
        history.append(total / batches)
        print(f"epoch {epoch + 1:2d}/{args.epochs}  {loss_fn.mining:10s} triplet loss {history[-1]:.4f}  "
              f"({time.perf_counter() - start:.1f} s)", flush=True)
    return history


def train_supcon(model: nn.Module, x: np.ndarray, y: np.ndarray,
                 args: argparse.Namespace) -> list[float]:
    """Pseudo-classes from rotations/mirrors, SupCon over them + λ·NT-Xent over instances."""
    x8, y8 = dihedral_pseudo_classes(x, y, DIGIT_SYMMETRIES)
    print(f"{len(y8)} training images in {y8.max() + 1} pseudo-classes "
          f"(8 rotations/mirrors of each digit 0-4, symmetric ones merged)", flush=True)
    sampler = BalancedBatchSampler(y8, classes_per_batch=min(args.p, int(y8.max()) + 1),
                                   samples_per_class=args.k, seed=args.seed)
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(args.epochs, 1))
    augment = Compose([RandomShift(args.shift), RandomRotation(args.rotate)])
    rng = np.random.default_rng(args.seed)
    history, batches = [], iter(())
    for epoch in range(args.epochs):
        start, total = time.perf_counter(), 0.0
        model.train()
        for _ in range(args.steps):
            idx = next(batches, None)
            if idx is None:  # the sampler's epoch ran out: start a new shuffle
                batches = iter(sampler)
                idx = next(batches)
            n = len(idx)
            # two random views of every image: its partner view is its instance positive
            emb = model(gb.Tensor(np.concatenate([augment(x8[idx], rng), augment(x8[idx], rng)])))
            loss = supervised_contrastive_loss(emb, np.r_[y8[idx], y8[idx]], args.tau)
            if args.lam:
                instance = np.r_[np.arange(n), np.arange(n)]
                loss = loss + supervised_contrastive_loss(emb, instance, args.tau) * args.lam
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        scheduler.step()
        history.append(total / args.steps)
        print(f"epoch {epoch + 1:2d}/{args.epochs}  SupCon + {args.lam:g} x instance loss "
              f"{history[-1]:.4f}  ({time.perf_counter() - start:.1f} s)", flush=True)
    return history


def one_shot_accuracy(f_train: np.ndarray, y_train: np.ndarray, f_test: np.ndarray,
                      y_test: np.ndarray, draws: int, seed: int) -> np.ndarray:
    """1-shot accuracy for ``draws`` galleries, each one random training image per class."""
    rng = np.random.default_rng(seed)
    accs = []
    for _ in range(draws):
        pick = np.array([rng.choice(np.flatnonzero(y_train == c)) for c in UNSEEN])
        pred = nearest_labels(f_test, f_train[pick], y_train[pick], k=1)
        accs.append((pred == y_test).mean())
    return np.array(accs)


def verification_auc(f: np.ndarray, y: np.ndarray, n_pairs: int, seed: int) -> float:
    """ROC AUC of −‖f(x₁) − f(x₂)‖² on n_pairs/2 same and n_pairs/2 different test pairs."""
    rng = np.random.default_rng(seed)
    half = n_pairs // 2
    order = np.argsort(y, kind="stable")  # images grouped by class: class c is order[lo[c]:hi[c]]
    lo, hi = np.searchsorted(y[order], UNSEEN), np.searchsorted(y[order], UNSEEN, side="right")
    first = rng.integers(0, len(y), n_pairs)
    c1 = y[first] - UNSEEN[0]
    # same pairs: a partner of the same class; different pairs: a class shifted by 1..4
    c2 = np.r_[c1[:half], (c1[half:] + rng.integers(1, len(UNSEEN), n_pairs - half)) % len(UNSEEN)]
    second = order[lo[c2] + (rng.random(n_pairs) * (hi[c2] - lo[c2])).astype(np.int64)]
    same = np.r_[np.ones(half, bool), np.zeros(n_pairs - half, bool)]
    keep = first != second  # an image paired with itself says nothing
    dist = ((f[first] - f[second]) ** 2).sum(axis=1)
    return roc_auc_score(same[keep], -dist[keep])


def main() -> None:
    args = parse_args()
    if args.quick:
        args.epochs, args.steps, args.galleries, args.pairs = 2, 5, 3, 1000
    gb.manual_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = load_mnist()
    seen = np.isin(y_train, SEEN)
    x_fit, y_fit = x_train[seen], y_train[seen]
    if args.quick:
        sub = np.random.default_rng(args.seed).choice(len(y_fit), 500, replace=False)
        x_fit, y_fit = x_fit[sub], y_fit[sub]
    print(f"training on {len(y_fit)} images of digits 0-4; one-shot test on "
          f"{np.isin(y_test, UNSEEN).sum()} test images of digits 5-9", flush=True)
    model = EmbeddingNet(embedding_dim=args.dim, channels=tuple(args.channels))
    start = time.perf_counter()
    (train_supcon if args.loss == "supcon" else train_triplet)(model, x_fit, y_fit, args)
    train_time = time.perf_counter() - start

    unseen_train, unseen_test = np.isin(y_train, UNSEEN), np.isin(y_test, UNSEEN)
    f_gallery_pool, y_gallery_pool = embed(model, x_train[unseen_train]), y_train[unseen_train]
    f_test, y_test5 = embed(model, x_test[unseen_test]), y_test[unseen_test]
    accs = one_shot_accuracy(f_gallery_pool, y_gallery_pool, f_test, y_test5,
                             args.galleries, args.seed)
    auc = verification_auc(f_test, y_test5, args.pairs, args.seed)
    print(f"training time {train_time:.0f} s")
    print(f"one-shot identification, digits 5-9 ({args.galleries} galleries of 1 image/digit): "
          f"{accs.mean():.1%} ± {accs.std():.1%}  (min {accs.min():.1%}, max {accs.max():.1%})")
    print(f"verification ROC AUC, digits 5-9, {args.pairs} balanced test pairs: {auc:.4f}")


if __name__ == "__main__":
    main()

"""Siamese networks: one embedding network f applied to every input, compared by distance.

    d(x₁, x₂) = ‖f(x₁) − f(x₂)‖²        small → same identity, large → different

* verification (1:1): is x₁ the same as x₂?  d(x₁, x₂) ≤ threshold.
* identification (1:K): who is x?  the label of the gallery image nearest to x.
* one-shot learning: the gallery may hold a single image per identity, and new identities
  are added without retraining — f only has to place them well.

``EmbeddingNet`` is trained with ``nn.TripletLoss`` on batches from ``BalancedBatchSampler``
(P classes × K examples, so every anchor has positives and negatives to mine).
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Iterator

import numpy as np

from .. import backend, nn
from ..core.tensor import Tensor
from ..ops.metric import squared_distance_matrix


class EmbeddingNet(nn.Module):
    """A small CNN mapping a 28×28 image to a unit vector f(x) ∈ ℝᵈ:

        28×28×C ─conv 3×3, 32 (same) + BN + ReLU→ ─max-pool 2→ 14×14×32
                ─conv 3×3, 64 (same) + BN + ReLU→ ─max-pool 2→ 7×7×64 = 3,136
                ─fc 128 + ReLU→ ─fc d→ ─x/‖x‖→ f(x), ‖f(x)‖ = 1

    With unit-norm embeddings the squared distance is 2 − 2 cos θ ∈ [0, 4], so a triplet
    margin (e.g. 0.2–0.5) has a fixed meaning. Convs feeding batch norm have no bias.
    """

    def __init__(self, embedding_dim: int = 32, in_channels: int = 1, hidden: int = 128,
                 channels: tuple[int, int] = (32, 64)) -> None:
        super().__init__()
        for name, value in (("embedding_dim", embedding_dim), ("in_channels", in_channels),
                            ("hidden", hidden)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"EmbeddingNet: {name} must be a positive integer, got {value!r}")
        c1, c2 = channels
        self.embedding_dim = int(embedding_dim)
        self.features = nn.Sequential(OrderedDict([
            ("conv1", nn.Conv2d(in_channels, c1, 3, padding=1, bias=False)),
            ("bn1", nn.BatchNorm2d(c1)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
            ("conv2", nn.Conv2d(c1, c2, 3, padding=1, bias=False)),
            ("bn2", nn.BatchNorm2d(c2)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
            ("flatten", nn.Flatten()),
        ]))
        self.head = nn.Sequential(OrderedDict([
            ("fc1", nn.Linear(c2 * 7 * 7, hidden)), ("relu3", nn.ReLU()),
            ("fc2", nn.Linear(hidden, embedding_dim)),
            ("normalize", nn.L2Normalize(axis=1)),
        ]))

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or tuple(x.shape[2:]) != (28, 28):
            raise ValueError(
                f"EmbeddingNet: expected images of shape (N, C, 28, 28), got {tuple(x.shape)}"
            )
        return self.head(self.features(x))


def embedding_net(embedding_dim: int = 32, in_channels: int = 1) -> EmbeddingNet:
    """``EmbeddingNet`` builder (outputs unit-norm embeddings, not logits)."""
    return EmbeddingNet(embedding_dim, in_channels)


# ------------------------------------------------------------------ using an embedding
def embed(model: Callable[[Tensor], Tensor], x: Any, batch_size: int = 500) -> np.ndarray:
    """f(x) for every row of ``x`` as an (N, d) array, in eval mode and without a graph.

    ``model`` is a ``Module`` (its train/eval mode is restored afterwards) or any callable
    from a Tensor batch to an (n, d) Tensor."""
    data = x.data if isinstance(x, Tensor) else backend.xp.asarray(x)
    if len(data) == 0:
        raise ValueError("embed: got no inputs")
    out = nn.utils.inference(model, data, batch_size)
    if out.ndim != 2:
        raise ValueError(f"embed: the model must output (N, d) embeddings, got shape {out.shape}")
    return out


def verify(model: Callable[[Tensor], Tensor], a: Any, b: Any,
           threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Face-verification style 1:1 check of pairs (aᵢ, bᵢ).

    Returns ``(same, distances)`` with distancesᵢ = ‖f(aᵢ) − f(bᵢ)‖² and
    sameᵢ = distancesᵢ ≤ threshold."""
    if len(a) != len(b):
        raise ValueError(f"verify: a has {len(a)} inputs but b has {len(b)}; pairs need both")
    fa, fb = embed(model, a), embed(model, b)
    diff = fa - fb
    distances = (diff * diff).sum(axis=1)
    return distances <= threshold, distances


def nearest_labels(queries: Any, gallery: Any, gallery_labels: Any, k: int = 1) -> np.ndarray:
    """Majority label among the k nearest gallery embeddings of each query embedding (ties
    between labels go to the one met first, i.e. nearest). All arrays, fully vectorized."""
    xp = backend.xp
    labels = xp.asarray(gallery_labels)
    if labels.shape != (len(gallery),):
        raise ValueError(
            f"identify: expected one label per gallery image, shape ({len(gallery)},), "
            f"got {labels.shape}"
        )
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= len(gallery):
        raise ValueError(f"identify: k must be an integer in [1, {len(gallery)}], got {k!r}")
    d = squared_distance_matrix(queries, gallery)
    if k == 1:
        return labels[d.argmin(axis=1)]
    near = xp.argpartition(d, k - 1, axis=1)[:, :k]
    near = xp.take_along_axis(near, xp.take_along_axis(d, near, axis=1).argsort(axis=1), axis=1)
    classes, inverse = xp.unique(labels, return_inverse=True)
    votes = inverse.reshape(-1)[near]  # (Q, k) class indices, nearest first
    hit = votes[:, :, None] == xp.arange(len(classes))  # (Q, k, U)
    counts = hit.sum(axis=1)
    first = xp.where(hit.any(axis=1), hit.argmax(axis=1), k)  # rank of each class's nearest
    return classes[(counts * (k + 1) - first).argmax(axis=1)]


def identify(model: Callable[[Tensor], Tensor], queries: Any, gallery_images: Any,
             gallery_labels: Any, k: int = 1) -> np.ndarray:
    """1:K identification: the label of the nearest gallery image to each query (with
    ``k > 1``, the majority among the k nearest). The gallery may hold one image per label."""
    return nearest_labels(embed(model, queries), embed(model, gallery_images), gallery_labels, k)


class BalancedBatchSampler:
    """Index batches of P classes × K examples each, for triplet mining.

    Every epoch shuffles each class and deals its examples out K at a time; a batch takes
    P classes at random among those with K examples left. An epoch ends when fewer than P
    classes have K left, so it covers about the whole set when classes are balanced.
    Classes with fewer than K examples are never used.

    Args:
        labels: (N,) class ids.
        classes_per_batch: P (≥ 2, so each anchor has negatives).
        samples_per_class: K (≥ 2, so each anchor has positives).
        seed: for the shuffles (the global generator's state is not touched).
    """

    def __init__(self, labels: Any, classes_per_batch: int, samples_per_class: int,
                 seed: int | None = None) -> None:
        y = np.asarray(labels)
        if y.ndim != 1:
            raise ValueError(f"BalancedBatchSampler: labels must be 1-D, got shape {y.shape}")
        if classes_per_batch < 2 or samples_per_class < 2:
            raise ValueError(
                "BalancedBatchSampler: need classes_per_batch >= 2 and samples_per_class >= 2, "
                f"got {classes_per_batch} and {samples_per_class}"
            )
        classes, counts = np.unique(y, return_counts=True)
        usable = classes[counts >= samples_per_class]
        if len(usable) < classes_per_batch:
            raise ValueError(
                f"BalancedBatchSampler: only {len(usable)} class(es) have >= {samples_per_class} "
                f"examples, fewer than classes_per_batch={classes_per_batch}"
            )
        self.p, self.k = int(classes_per_batch), int(samples_per_class)
        self.by_class = [np.flatnonzero(y == c) for c in usable]
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        # the most rounds t of P distinct classes that counts cᵢ allow: Σ min(cᵢ, t) ≥ P·t
        chunks = np.array([len(ix) // self.k for ix in self.by_class])
        t = int(chunks.sum()) // self.p
        while t > 0 and np.minimum(chunks, t).sum() < self.p * t:
            t -= 1
        return t

    def __iter__(self) -> Iterator[np.ndarray]:
        rng = self.rng
        chunks = [rng.permutation(ix)[: len(ix) // self.k * self.k].reshape(-1, self.k)
                  for ix in self.by_class]
        left = np.array([len(c) for c in chunks], dtype=np.float64)
        for _ in range(len(self)):
            # the P classes with the most chunks left (random among equals): this greedy
            # choice reaches len(self) batches, and equal classes are picked at random
            picked = np.argsort(-(left + rng.random(len(left)) * 0.5))[: self.p]
            left[picked] -= 1
            yield np.concatenate([chunks[c][int(left[c])] for c in picked])


# ------------------------------------------------------------------ training on few classes
# moved to nn.functional (its computation and checks live there); this name stays importable
supervised_contrastive_loss = nn.functional.supervised_contrastive_loss


# The dihedral group D4 of the square as index maps of (N, C, H, W) batches: rotations by
# 0°, 90°, 180°, 270°, then the left-right and up-down mirrors, the transpose and anti-transpose.
DIHEDRAL = (
    lambda a: a, lambda a: np.rot90(a, 1, (2, 3)), lambda a: np.rot90(a, 2, (2, 3)),
    lambda a: np.rot90(a, 3, (2, 3)), lambda a: a[..., ::-1], lambda a: a[..., ::-1, :],
    lambda a: np.swapaxes(a, 2, 3), lambda a: np.swapaxes(np.rot90(a, 2, (2, 3)), 2, 3),
)


def _dihedral_table() -> np.ndarray:
    """table[g, h] = index of the transform g∘h (apply h, then g), found on a random key."""
    key = np.random.default_rng(0).random((1, 1, 3, 3))
    images = [t(key) for t in DIHEDRAL]
    table = np.empty((8, 8), dtype=np.int64)
    for g, tg in enumerate(DIHEDRAL):
        for h, th in enumerate(DIHEDRAL):
            out = tg(th(key))
            table[g, h] = next(i for i, im in enumerate(images) if np.array_equal(im, out))
    return table


def dihedral_pseudo_classes(x: Any, y: Any, symmetries: dict[int, Any]) -> tuple[np.ndarray, np.ndarray]:
    """New classes from old ones: each of the 8 rotations/mirrors g of class c is a class (c, g).

    A shape that a transform s leaves (nearly) unchanged — a 0 turned by 180°, a 3 mirrored
    up-down — must not become a second class, so g and g∘s are merged for every s in
    ``symmetries[c]`` (indices into ``DIHEDRAL``; identity 0 implied). Returns the 8·N images
    and labels 0 … K−1 (K = Σ_c 8/|stabilizer of c|). Transformed digits are not digits, but
    they are more shapes to tell apart: an embedding trained on 24 shape classes transfers
    to unseen classes better than one trained on 5.
    """
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 4 or x.shape[2] != x.shape[3] or y.shape != (len(x),):
        raise ValueError(f"dihedral_pseudo_classes: expected square images (N, C, H, H) and "
                         f"labels (N,), got {x.shape} and {y.shape}")
    table = _dihedral_table()
    classes = np.unique(y)
    # orbit index of g for class c: the smallest index in the coset {g∘s : s in stabilizer}
    coset = np.empty((len(classes), 8), dtype=np.int64)
    for ci, c in enumerate(classes):
        stab = {0, *[int(s) for s in symmetries.get(int(c), ())]}
        coset[ci] = [min(table[g, s] for s in stab) for g in range(8)]
    yi = np.searchsorted(classes, y)
    xs = [np.ascontiguousarray(t(x)) for t in DIHEDRAL]
    raw = np.concatenate([yi * 8 + coset[yi, g] for g in range(8)])
    _, labels = np.unique(raw, return_inverse=True)
    return np.concatenate(xs), labels.astype(np.int64)

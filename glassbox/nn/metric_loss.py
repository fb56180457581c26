"""Losses for metric learning (Siamese networks, face verification, one-shot learning).

An embedding network f maps an input to a vector; two inputs are "the same" when
d(x₁, x₂) = ‖f(x₁) − f(x₂)‖² is small. The losses below train f so that it is:

* triplet loss (FaceNet):  ℓ(A, P, N) = max(‖f(A) − f(P)‖² − ‖f(A) − f(N)‖² + α, 0),
  A and P of the same class, N of another, α the margin (without it f ≡ 0 would be optimal);
* contrastive loss:  ℓ = y·d² + (1 − y)·max(m − d, 0)²  with d = ‖f(x₁) − f(x₂)‖ and
  **y = 1 for a same pair, 0 for a different one**.

Triplets can be given explicitly, or mined inside a labelled batch (``triplet_loss_batch``):
"batch_hard" takes, for every anchor, its farthest positive and its closest negative;
"batch_all" averages every valid triplet that still violates the margin; "random" draws one
positive and one negative per anchor. Mining only chooses indices; the loss is then built
from differentiable ops, so the gradient flows through the chosen pairs.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..core.tensor import Tensor
from ..ops.loss import _reduce, check_reduction
from ..ops.metric import (
    contrastive_loss, l2_normalize, pairwise_squared_distances, squared_distance_matrix,
)
from ..random import default_generator
from .module import Module

MINING = ("none", "batch_hard", "batch_all", "random")


def _check_margin(margin: float, where: str) -> float:
    if not isinstance(margin, (int, float, np.floating)) or isinstance(margin, bool) or margin < 0:
        raise ValueError(f"{where}: margin must be a number >= 0, got {margin!r}")
    return float(margin)


def triplet_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 0.2,
                 reduction: str = "mean") -> Tensor:
    """ℓᵢ = max(‖aᵢ − pᵢ‖² − ‖aᵢ − nᵢ‖² + α, 0) for rows of (N, d) embeddings.

    Built from subtraction, squares, sums and ReLU, whose gradients are each checked, so
    ∂ℓᵢ/∂aᵢ = 2(nᵢ − pᵢ), ∂ℓᵢ/∂pᵢ = 2(pᵢ − aᵢ), ∂ℓᵢ/∂nᵢ = 2(aᵢ − nᵢ) where ℓᵢ > 0, else 0.
    """
    check_reduction(reduction)
    margin = _check_margin(margin, "triplet_loss")
    shapes = [tuple(t.shape) for t in (anchor, positive, negative)]
    if len(shapes[0]) != 2 or len(set(shapes)) != 1:
        raise ValueError(
            f"triplet_loss: anchor, positive and negative must all be (N, d), got shapes "
            f"{shapes[0]}, {shapes[1]}, {shapes[2]}"
        )
    d_ap = ((anchor - positive) ** 2).sum(axis=1)
    d_an = ((anchor - negative) ** 2).sum(axis=1)
    losses = (d_ap - d_an + margin).relu()
    return _reduce(losses, reduction)


def _labels_array(labels: Any, n: int, where: str) -> Any:
    y = labels.data if isinstance(labels, Tensor) else backend.xp.asarray(labels)
    if y.shape != (n,):
        raise ValueError(f"{where}: expected one label per embedding, shape ({n},), got {y.shape}")
    return y


def triplet_masks(labels: Any) -> tuple[Any, Any]:
    """(positive, negative) boolean (N, N) masks: pos[i, j] = same label and i ≠ j,
    neg[i, j] = different label."""
    xp = backend.xp
    same = labels[:, None] == labels[None, :]
    pos = same & ~xp.eye(len(labels), dtype=bool)
    return pos, ~same


def mine_triplets(embeddings: Any, labels: Any, mining: str = "batch_hard",
                  generator: np.random.Generator | None = None) -> tuple[Any, Any, Any]:
    """Pick one (positive, negative) per anchor from a labelled batch; returns index arrays
    (anchors, positives, negatives) over the anchors that have both.

    "batch_hard": the farthest positive, argmaxⱼ Dᵢⱼ, and the closest negative, argminⱼ Dᵢⱼ,
    from the (N, N) squared-distance matrix D. "random": a uniform choice of each (from
    ``generator``, default the global one)."""
    xp = backend.xp
    emb = embeddings.data if isinstance(embeddings, Tensor) else embeddings
    pos, neg = triplet_masks(labels)
    anchors = xp.flatnonzero(pos.any(axis=1) & neg.any(axis=1))
    if mining == "batch_hard":
        d = squared_distance_matrix(emb, emb)
        j_pos = xp.where(pos, d, -xp.inf).argmax(axis=1)
        j_neg = xp.where(neg, d, xp.inf).argmin(axis=1)
    elif mining == "random":
        rng = generator if generator is not None else default_generator()
        keys = xp.asarray(rng.random((2, len(labels), len(labels))))
        j_pos = xp.where(pos, keys[0], -1.0).argmax(axis=1)  # the largest random key wins
        j_neg = xp.where(neg, keys[1], -1.0).argmax(axis=1)
    else:
        raise ValueError(f"mine_triplets: mining must be 'batch_hard' or 'random', got {mining!r}")
    return anchors, j_pos[anchors], j_neg[anchors]


def _batch_all(embeddings: Tensor, pos: Any, neg: Any, margin: float, reduction: str) -> Tensor:
    """Every valid triplet (a, p, n): ℓₐₚₙ = max(Dₐₚ − Dₐₙ + α, 0) from the differentiable D;
    "mean" averages over the triplets with ℓ > 0 (the easy ones would only dilute it)."""
    d = pairwise_squared_distances(embeddings)
    n = d.shape[0]
    valid = pos[:, :, None] & neg[:, None, :]
    losses = (d.reshape(n, n, 1) - d.reshape(n, 1, n) + margin).relu() * valid
    total = losses.sum()
    if reduction == "sum":
        return total
    active = int((losses.data > 0).sum())
    return total / max(active, 1)


def triplet_loss_batch(embeddings: Tensor, labels: Any, margin: float = 0.2,
                       mining: str = "batch_hard", reduction: str = "mean",
                       generator: np.random.Generator | None = None) -> Tensor:
    """Triplet loss over triplets mined from a batch of (N, d) embeddings with class ``labels``.

    Args:
        mining: "batch_hard" (hardest positive and negative per anchor), "random" (one of
            each at random, drawn from ``generator``) or "batch_all" (every valid triplet;
            "mean" is over those with a positive loss).
        reduction: "mean" or "sum" ("none" too, except for "batch_all").

    Anchors without a positive or a negative in the batch are left out; a batch where no
    anchor has both is an error (sample several examples of several classes per batch).
    """
    check_reduction(reduction)
    margin = _check_margin(margin, "triplet_loss_batch")
    if embeddings.ndim != 2:
        raise ValueError(f"triplet_loss_batch: embeddings must be (N, d), got {tuple(embeddings.shape)}")
    y = _labels_array(labels, embeddings.shape[0], "triplet_loss_batch")
    if mining not in ("batch_hard", "batch_all", "random"):
        raise ValueError(
            f"triplet_loss_batch: mining must be 'batch_hard', 'batch_all' or 'random', got {mining!r}"
        )
    pos, neg = triplet_masks(y)
    if not (pos.any(axis=1) & neg.any(axis=1)).any():
        raise ValueError(
            "triplet_loss_batch: no anchor has both a positive (same label) and a negative in "
            f"this batch of {len(y)} with {len(backend.xp.unique(y))} distinct label(s); use "
            "balanced batches of P classes x K >= 2 examples"
        )
    if mining == "batch_all":
        if reduction == "none":
            raise ValueError("triplet_loss_batch: reduction 'none' is not defined for 'batch_all'")
        return _batch_all(embeddings, pos, neg, margin, reduction)
    a, p, n = mine_triplets(embeddings, y, mining, generator)
    return triplet_loss(embeddings[a], embeddings[p], embeddings[n], margin, reduction)


class TripletLoss(Module):
    """Triplet loss max(‖f(A) − f(P)‖² − ‖f(A) − f(N)‖² + α, 0), averaged over the batch.

    With ``mining="none"`` call it as ``loss(anchor, positive, negative)`` on three (N, d)
    embeddings; with ``"batch_hard"``, ``"batch_all"`` or ``"random"`` as
    ``loss(embeddings, labels)`` — the form ``fit`` uses — and the triplets are mined from
    the batch (see ``triplet_loss_batch``). ``seed`` fixes the draws of "random".
    """

    def __init__(self, margin: float = 0.2, mining: str = "none", reduction: str = "mean",
                 seed: int | None = None) -> None:
        super().__init__()
        if mining not in MINING:
            raise ValueError(f"TripletLoss: mining must be one of {MINING}, got {mining!r}")
        self.margin = _check_margin(margin, "TripletLoss")
        self.mining = mining
        self.reduction = check_reduction(reduction)
        self.generator = np.random.default_rng(seed) if seed is not None else None

    def forward(self, *inputs: Any) -> Tensor:
        if self.mining == "none":
            if len(inputs) != 3:
                raise TypeError(
                    f"TripletLoss(mining='none') takes (anchor, positive, negative), got "
                    f"{len(inputs)} argument(s); for (embeddings, labels) choose a mining"
                )
            return triplet_loss(*inputs, margin=self.margin, reduction=self.reduction)
        if len(inputs) != 2:
            raise TypeError(
                f"TripletLoss(mining={self.mining!r}) takes (embeddings, labels), got "
                f"{len(inputs)} argument(s)"
            )
        return triplet_loss_batch(inputs[0], inputs[1], self.margin, self.mining,
                                  self.reduction, self.generator)

    def extra_repr(self) -> str:
        return f"margin={self.margin}, mining={self.mining!r}, reduction={self.reduction!r}"


class ContrastiveLoss(Module):
    """ℓ = y·d² + (1 − y)·max(margin − d, 0)² with d = ‖x₁ − x₂‖ (Euclidean, not squared).

    Convention: **y = 1 means the pair is the same** (pulled together), y = 0 different
    (pushed apart until d ≥ margin). Call as ``loss(x1, x2, y)``.
    """

    def __init__(self, margin: float = 1.0, reduction: str = "mean") -> None:
        super().__init__()
        if not margin > 0:
            raise ValueError(f"ContrastiveLoss: margin must be > 0, got {margin!r}")
        self.margin = float(margin)
        self.reduction = check_reduction(reduction)

    def forward(self, x1: Tensor, x2: Tensor, y: Any) -> Tensor:
        return contrastive_loss(x1, x2, y, self.margin, self.reduction)

    def extra_repr(self) -> str:
        return f"margin={self.margin}, reduction={self.reduction!r}"


class L2Normalize(Module):
    """y = x / ‖x‖ along ``axis``: puts embeddings on the unit sphere, so squared distances lie
    in [0, 4] and a triplet margin α means the same thing for every input."""

    def __init__(self, axis: int = 1, eps: float = 1e-12) -> None:
        super().__init__()
        self.axis, self.eps = axis, eps

    def forward(self, x: Tensor) -> Tensor:
        return l2_normalize(x, self.axis, self.eps)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"

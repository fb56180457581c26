"""Triplet mining for metric learning: which (anchor, positive, negative) triplets of a
labelled batch the triplet loss is computed on.

Mining only chooses indices (no graph); the loss is then built from differentiable ops, so
the gradient flows through the chosen pairs. Used by ``F.triplet_loss_batch``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..core.tensor import Tensor
from ..errors import InvalidArgumentError
from ..ops.activation import ReLU
from ..ops.metric import pairwise_squared_distances, squared_distance_matrix
from ..random import default_generator


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
        raise InvalidArgumentError(f"mine_triplets: Received an invalid value for `mining`, expected "
                                   f"'batch_hard' or 'random'. Received: mining={mining!r}")
    return anchors, j_pos[anchors], j_neg[anchors]


def batch_all_loss(embeddings: Tensor, pos: Any, neg: Any, margin: float, reduction: str) -> Tensor:
    """Every valid triplet (a, p, n): ℓₐₚₙ = max(Dₐₚ − Dₐₙ + α, 0) from the differentiable D;
    "mean" averages over the triplets with ℓ > 0 (the easy ones would only dilute it)."""
    d = pairwise_squared_distances(embeddings)
    n = d.shape[0]
    valid = pos[:, :, None] & neg[:, None, :]
    losses = ReLU.apply(d.reshape(n, n, 1) - d.reshape(n, 1, n) + margin) * valid
    total = losses.sum()
    if reduction == "sum":
        return total
    active = int((losses.data > 0).sum())
    return total / max(active, 1)

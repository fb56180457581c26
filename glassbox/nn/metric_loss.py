"""Loss modules for metric learning (Siamese networks, face verification, one-shot learning).

An embedding network f maps an input to a vector; two inputs are "the same" when
d(x₁, x₂) = ‖f(x₁) − f(x₂)‖² is small. The losses below train f so that it is:

* triplet loss (FaceNet):  ℓ(A, P, N) = max(‖f(A) − f(P)‖² − ‖f(A) − f(N)‖² + α, 0),
  A and P of the same class, N of another, α the margin (without it f ≡ 0 would be optimal);
* contrastive loss:  ℓ = y·d² + (1 − y)·max(m − d, 0)²  with d = ‖f(x₁) − f(x₂)‖ and
  **y = 1 for a same pair, 0 for a different one**.

Triplets can be given explicitly, or mined inside a labelled batch (``F.triplet_loss_batch``,
mining in ``nn/mining.py``). The functions are in ``nn.functional``; each module's
``forward`` is one call into it.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import validate as check
from ..core.tensor import Tensor
from ..errors import GlassboxTypeError
from ..ops.loss import check_reduction
from . import functional as F
from .functional import contrastive_loss, triplet_loss, triplet_loss_batch
from .mining import mine_triplets, triplet_masks
from .module import Module

MINING = ("none",) + F.TRIPLET_MINING

__all__ = ["TripletLoss", "ContrastiveLoss", "L2Normalize", "triplet_loss", "triplet_loss_batch",
           "contrastive_loss", "mine_triplets", "triplet_masks", "MINING"]


class TripletLoss(Module):
    """Triplet loss max(‖f(A) − f(P)‖² − ‖f(A) − f(N)‖² + α, 0), averaged over the batch.

    With ``mining="none"`` call it as ``loss(anchor, positive, negative)`` on three (N, d)
    embeddings; with ``"batch_hard"``, ``"batch_all"`` or ``"random"`` as
    ``loss(embeddings, labels)`` — the form ``fit`` uses — and the triplets are mined from
    the batch (see ``F.triplet_loss_batch``). ``seed`` fixes the draws of "random".
    """

    __constants__ = ("margin", "mining", "reduction")

    def __init__(self, margin: float = 0.2, mining: str = "none", reduction: str = "mean",
                 seed: int | None = None) -> None:
        super().__init__()
        self.mining = check.one_of(mining=mining, choices=MINING, where="TripletLoss")
        self.margin = check.number(margin=margin, low=0.0, where="TripletLoss")
        self.reduction = check_reduction(reduction, "TripletLoss")
        self.generator = np.random.default_rng(seed) if seed is not None else None

    def forward(self, *inputs: Any) -> Tensor:
        expected = 3 if self.mining == "none" else 2
        if len(inputs) != expected:
            form = "(anchor, positive, negative)" if expected == 3 else "(embeddings, labels)"
            hint = "; for (embeddings, labels) choose a mining" if expected == 3 else ""
            raise GlassboxTypeError(f"TripletLoss(mining={self.mining!r}) takes {form}, got "
                                    f"{len(inputs)} argument(s){hint}")
        if self.mining == "none":
            return F.triplet_loss(*inputs, margin=self.margin, reduction=self.reduction, where=self)
        return F.triplet_loss_batch(inputs[0], inputs[1], self.margin, self.mining, self.reduction,
                                    self.generator, where=self)


class ContrastiveLoss(Module):
    """ℓ = y·d² + (1 − y)·max(margin − d, 0)² with d = ‖x₁ − x₂‖ (Euclidean, not squared).

    Convention: **y = 1 means the pair is the same** (pulled together), y = 0 different
    (pushed apart until d ≥ margin). Call as ``loss(x1, x2, y)``.
    """

    __constants__ = ("margin", "reduction")

    def __init__(self, margin: float = 1.0, reduction: str = "mean") -> None:
        super().__init__()
        self.margin = check.number(margin=margin, low=0.0, low_open=True, where="ContrastiveLoss")
        self.reduction = check_reduction(reduction, "ContrastiveLoss")

    def forward(self, x1: Tensor, x2: Tensor, y: Any) -> Tensor:
        return F.contrastive_loss(x1, x2, y, self.margin, self.reduction, where=self)


class L2Normalize(Module):
    """y = x / ‖x‖ along ``dim`` (``axis``): puts embeddings on the unit sphere, so squared
    distances lie in [0, 4] and a triplet margin α means the same thing for every input."""

    __constants__ = ("dim",)

    def __init__(self, dim: int = 1, eps: float = 1e-12, *, axis: int | None = None) -> None:
        super().__init__()
        self.dim, self.eps = (axis if axis is not None else dim), eps

    @property
    def axis(self) -> int:
        return self.dim

    def forward(self, x: Tensor) -> Tensor:
        return F.normalize(x, 2.0, self.dim, self.eps, where=self)

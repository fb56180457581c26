"""Loss modules (wrappers over ``nn.functional``); formulas and gradients in ``ops/loss.py``.

``reduction`` is "mean" (default: average over the batch, the 1/m of the course's cost),
"sum", or "none" (one loss per sample).
"""
from __future__ import annotations

from typing import Any

from ..core.tensor import Tensor
from ..ops.loss import check_reduction
from . import functional as F
from .module import Module


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = check_reduction(reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """L = mean((ŷ − y)²); with ``half=True`` the course's ½(y − ŷ)², gradient ŷ − y."""

    def __init__(self, reduction: str = "mean", half: bool = False) -> None:
        super().__init__(reduction)
        self.half = half

    def forward(self, pred: Tensor, target: Any) -> Tensor:
        return F.mse_loss(pred, target, self.reduction, self.half)


class BCELoss(_Loss):
    """Binary cross-entropy on probabilities: L = −[y log ŷ + (1 − y) log(1 − ŷ)]."""

    def forward(self, probs: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy(probs, target, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy from logits, numerically stable; gradient σ(z) − y."""

    def forward(self, logits: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(logits, target, self.reduction)


class CrossEntropyLoss(_Loss):
    """Softmax + cross-entropy from logits (fused): L = −Σⱼ yⱼ log ŷⱼ, ∂L/∂z = ŷ − y.

    Targets are class indices of shape (m,) or one-hot/probability rows of shape (m, C).
    Give it logits, not probabilities: the softmax is inside.
    """

    def forward(self, logits: Tensor, target: Any) -> Tensor:
        return F.cross_entropy(logits, target, self.reduction)


class NLLLoss(_Loss):
    """Negative log-likelihood: L = −log_probs[y], for a ``LogSoftmax`` output."""

    def forward(self, log_probs: Tensor, target: Any) -> Tensor:
        return F.nll_loss(log_probs, target, self.reduction)

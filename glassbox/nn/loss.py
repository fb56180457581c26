"""Loss modules: each ``forward`` is one call into ``nn.functional``; formulas and gradients
in ``ops/loss.py``.

``reduction`` is "mean" (default: average over the batch, the 1/m of the course's cost),
"sum", or "none" (one loss per sample). Signatures are PyTorch's; a string in the first
position is taken as the reduction too (``MSELoss("sum")``, glassbox's older spelling).
"""
from __future__ import annotations

from typing import Any

from ..core.tensor import Tensor
from ..ops.loss import check_reduction
from . import functional as F
from .module import Module


class _Loss(Module):
    __constants__ = ("reduction",)

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = check_reduction(reduction, type(self).__name__)


class _WeightedLoss(_Loss):
    """A loss with per-class ``weight`` (C,), kept as a buffer (it moves with ``to``)."""

    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        if isinstance(weight, str):  # MSELoss("sum"): the reduction given first
            weight, reduction = None, weight
        super().__init__(reduction)
        if weight is None:
            self.weight = None
        else:
            self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """L = mean((ŷ − y)²); with ``half=True`` the course's ½(y − ŷ)², gradient ŷ − y."""

    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean",
                 half: bool = False) -> None:
        super().__init__(size_average if isinstance(size_average, str) else reduction)
        self.half = half

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction, half=self.half, where=self)


class L1Loss(_Loss):
    """L = mean(|ŷ − y|), the mean absolute error (``reduction`` "mean", "sum" or "none")."""

    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(size_average if isinstance(size_average, str) else reduction)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction, where=self)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy on probabilities: L = −w·[y log ŷ + (1 − y) log(1 − ŷ)]."""

    def __init__(self, weight: Any = None, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(weight, reduction)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction, where=self)


class BCEWithLogitsLoss(_WeightedLoss):
    """Sigmoid + binary cross-entropy from logits, numerically stable; gradient σ(z) − y.
    ``pos_weight`` (one per class) weighs the positive term: p·y·log σ(z)."""

    def __init__(self, weight: Any = None, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean", pos_weight: Any = None) -> None:
        super().__init__(weight, reduction)
        if pos_weight is None:
            self.pos_weight = None
        else:
            self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight, where=self)


class CrossEntropyLoss(_WeightedLoss):
    """Softmax + cross-entropy from logits (fused): L = −Σⱼ yⱼ log ŷⱼ, ∂L/∂z = ŷ − y.

    Logits (N, C) or (N, C, d₁, …); targets class indices (N,)/(N, d₁, …) or class
    probabilities of the logits' shape. Give it logits, not probabilities: the softmax is
    inside. Options as PyTorch: ``weight`` per class, ``ignore_index``, ``label_smoothing``.
    """

    def __init__(self, weight: Any = None, size_average: Any = None, ignore_index: int = -100,
                 reduce: Any = None, reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(weight, reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing,
                               where=self)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood: L = −w[y]·log_probs[y], for a ``LogSoftmax`` output."""

    def __init__(self, weight: Any = None, size_average: Any = None, ignore_index: int = -100,
                 reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction, where=self)

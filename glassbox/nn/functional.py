"""Stateless forms of the layers and losses: ``F.linear``, ``F.relu``, ``F.cross_entropy``…

A module such as ``nn.Linear`` holds the parameters and calls the function here.
"""
from __future__ import annotations

from typing import Any

from ..core.tensor import Tensor
from ..ops import activation as _act
from ..ops import loss as _loss
from ..ops.linalg import Linear as _Linear


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


# ------------------------------------------------------------------ layers
def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Z = X·Wᵀ + b (the course's Z = W·A_prev + b, one sample per row)."""
    return _Linear.apply(x, weight) if bias is None else _Linear.apply(x, weight, bias)


# ------------------------------------------------------------- activations
def sigmoid(x: Tensor) -> Tensor:
    return _act.Sigmoid.apply(x)


def tanh(x: Tensor) -> Tensor:
    return _act.Tanh.apply(x)


def relu(x: Tensor) -> Tensor:
    return _act.ReLU.apply(x)


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    return _act.LeakyReLU.apply(x, negative_slope=negative_slope)


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    return _act.Softmax.apply(x, axis=axis)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    return _act.LogSoftmax.apply(x, axis=axis)


# ------------------------------------------------------------------ losses
def cross_entropy(logits: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Softmax + cross-entropy from logits; target: class indices (m,) or one-hot (m, C).
    Gradient (ŷ − y)/m for the mean."""
    _loss.check_reduction(reduction)
    return _loss.SoftmaxCrossEntropy.apply(logits, _as_tensor(target), reduction=reduction)


def nll_loss(log_probs: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices under log-probabilities (``log_softmax``)."""
    _loss.check_reduction(reduction)
    return _loss.NegativeLogLikelihood.apply(log_probs, _as_tensor(target), reduction=reduction)


def mse_loss(pred: Tensor, target: Any, reduction: str = "mean", half: bool = False) -> Tensor:
    """(ŷ − y)² averaged (or summed); ``half=True`` gives the course's ½(y − ŷ)²."""
    _loss.check_reduction(reduction)
    return _loss.MeanSquaredError.apply(pred, _as_tensor(target), reduction=reduction, half=half)


def binary_cross_entropy(probs: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """−[y log p + (1 − y) log(1 − p)] on probabilities (after a sigmoid)."""
    _loss.check_reduction(reduction)
    return _loss.BinaryCrossEntropy.apply(probs, _as_tensor(target), reduction=reduction)


def binary_cross_entropy_with_logits(logits: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Sigmoid + binary cross-entropy from logits, stable for any z; gradient σ(z) − y."""
    _loss.check_reduction(reduction)
    return _loss.BinaryCrossEntropyWithLogits.apply(logits, _as_tensor(target), reduction=reduction)

"""Activation layers (thin wrappers over ``nn.functional``); formulas in ``ops/activation.py``."""
from __future__ import annotations

from ..core.tensor import Tensor
from . import functional as F
from .module import Module


class Sigmoid(Module):
    """a = σ(z) = 1/(1 + e⁻ᶻ); σ' = σ(1 − σ) ≤ 1/4."""

    def forward(self, x: Tensor) -> Tensor:
        return F.sigmoid(x)


class Tanh(Module):
    """a = tanh(z); tanh' = 1 − a²."""

    def forward(self, x: Tensor) -> Tensor:
        return F.tanh(x)


class ReLU(Module):
    """a = max(0, z); derivative 1 for z > 0, else 0."""

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x)


class LeakyReLU(Module):
    """a = z for z > 0, α·z otherwise (α = negative_slope)."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Softmax(Module):
    """aⱼ = e^{zⱼ}/Σₖ e^{zₖ} along ``axis``. For training, feed logits to ``CrossEntropyLoss``."""

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = axis

    def forward(self, x: Tensor) -> Tensor:
        return F.softmax(x, self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class LogSoftmax(Softmax):
    """log aⱼ = zⱼ − LSE(z) along ``axis`` (pair with ``NLLLoss``)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.log_softmax(x, self.axis)

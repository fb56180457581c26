"""Activation functions g(z) with their derivatives g'(z).

Course advice: ReLU (or leaky ReLU) in hidden layers; sigmoid only for a binary
output; softmax for a multi-class output (fused with the cross-entropy loss, see
``ops/loss.py``). Sigmoid's derivative is at most 1/4, so every sigmoid layer
shrinks the gradient by at least 75 % — the vanishing gradient of deep sigmoid nets.
"""
from __future__ import annotations

from typing import Any

from .. import backend
from ..core.function import Function


def stable_sigmoid(x: Any) -> Any:
    """σ(x) = 1/(1 + e⁻ˣ), computed as e^{−|x|} based fractions so no exp overflows."""
    xp = backend.xp
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


class Sigmoid(Function):
    """a = σ(z) = 1/(1 + e⁻ᶻ);  σ'(z) = σ(z)(1 − σ(z)) = a(1 − a)."""

    def forward(self, z: Any) -> Any:
        self.a = stable_sigmoid(z)
        return self.a

    def backward(self, grad: Any) -> Any:
        return grad * self.a * (1 - self.a)


class Tanh(Function):
    """a = tanh(z) = (eᶻ − e⁻ᶻ)/(eᶻ + e⁻ᶻ);  tanh'(z) = 1 − a²."""

    def forward(self, z: Any) -> Any:
        self.a = backend.xp.tanh(z)
        return self.a

    def backward(self, grad: Any) -> Any:
        return grad * (1 - self.a * self.a)


class ReLU(Function):
    """a = max(0, z);  g'(z) = 1 for z > 0, else 0."""

    def forward(self, z: Any) -> Any:
        self.a = backend.xp.maximum(z, 0)
        return self.a

    def backward(self, grad: Any) -> Any:
        return grad * (self.a > 0)


class LeakyReLU(Function):
    """a = z for z > 0, αz otherwise (α = negative_slope, default 0.01);  g'(z) = 1 or α."""

    def forward(self, z: Any, negative_slope: float = 0.01) -> Any:
        self.z, self.alpha = z, negative_slope
        return backend.xp.where(z > 0, z, z * z.dtype.type(negative_slope))

    def backward(self, grad: Any) -> Any:
        return backend.xp.where(self.z > 0, grad, grad * grad.dtype.type(self.alpha))


def stable_softmax(z: Any, axis: int = -1) -> Any:
    """softmax(z)ⱼ = e^{zⱼ − max z} / Σₖ e^{zₖ − max z}: subtracting the max changes nothing
    mathematically and keeps every exponent ≤ 0, so nothing overflows."""
    xp = backend.xp
    e = xp.exp(z - z.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e


def log_sum_exp(z: Any, axis: int = -1) -> Any:
    """LSE(z) = m + ln Σₖ e^{zₖ − m} with m = max z (keepdims): finite for logits of ±1000."""
    xp = backend.xp
    m = z.max(axis=axis, keepdims=True)
    return m + xp.log(xp.exp(z - m).sum(axis=axis, keepdims=True))


class Softmax(Function):
    """aⱼ = e^{zⱼ} / Σₖ e^{zₖ};  ∂aⱼ/∂zₖ = aⱼ(δⱼₖ − aₖ), so ∂L/∂z = a ⊙ (g − Σⱼ gⱼaⱼ)."""

    def forward(self, z: Any, axis: int = -1) -> Any:
        self.axis = axis
        self.a = stable_softmax(z, axis)
        return self.a

    def backward(self, grad: Any) -> Any:
        a = self.a
        return a * (grad - (grad * a).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    """log aⱼ = zⱼ − LSE(z);  ∂L/∂z = g − softmax(z)·Σⱼ gⱼ."""

    def forward(self, z: Any, axis: int = -1) -> Any:
        xp = backend.xp
        self.axis = axis
        # (z − m) − ln Σ e^{z−m} rather than z − LSE(z): subtracting the large m first
        # keeps float32 exact for logits of ±1000 (z − LSE would cancel catastrophically).
        shifted = z - z.max(axis=axis, keepdims=True)
        out = shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
        self.out = out
        return out

    def backward(self, grad: Any) -> Any:
        a = backend.xp.exp(self.out)
        return grad - a * grad.sum(axis=self.axis, keepdims=True)

"""Activation functions g(z) with their derivatives g'(z).

Course advice: ReLU (or leaky ReLU) in hidden layers; sigmoid only for a binary
output; softmax for a multi-class output (fused with the cross-entropy loss, see
``ops/loss.py``). Sigmoid's derivative is at most 1/4, so every sigmoid layer
shrinks the gradient by at least 75 % — the vanishing gradient of deep sigmoid nets.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend, parallel
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
    """a = max(0, z);  g'(z) = 1 for z > 0, else 0.  (Split over the worker threads of
    ``glassbox.parallel`` when there are several.)"""

    def forward(self, z: Any) -> Any:
        xp = backend.xp
        self.a = parallel.elementwise(lambda a, z_: xp.maximum(z_, 0, out=a), xp.empty_like(z), z)
        return self.a

    def backward(self, grad: Any) -> Any:
        xp = backend.xp
        return parallel.elementwise(lambda d, g, a: xp.multiply(g, a > 0, out=d),
                                    xp.empty_like(grad), grad, self.a)


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


def erf(x: Any) -> Any:
    """The error function erf(x) = (2/√π)·∫₀ˣ e^{−t²} dt, element by element (``math.erf``,
    exact to double precision; NumPy has no vectorised erf)."""
    xp = backend.xp
    if xp is not np:  # CuPy ships its own
        from cupyx.scipy.special import erf as cupy_erf
        return cupy_erf(x)
    return _ERF(x).astype(x.dtype, copy=False) if x.size else x.copy()


_ERF = np.frompyfunc(math.erf, 1, 1)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


class GELU(Function):
    """a = z·Φ(z) = ½z(1 + erf(z/√2)), Φ the standard normal CDF;
    g'(z) = Φ(z) + z·φ(z), φ(z) = e^{−z²/2}/√(2π).

    ``approximate="tanh"``: a = ½z(1 + tanh u), u = √(2/π)(z + 0.044715z³);
    g'(z) = ½(1 + tanh u) + ½z(1 − tanh²u)·√(2/π)(1 + 3·0.044715z²).
    """

    def forward(self, z: Any, approximate: str = "none") -> Any:
        xp = backend.xp
        self.z, self.approximate = z, approximate
        if approximate == "tanh":
            self.t = xp.tanh(z.dtype.type(_SQRT_2_OVER_PI) * (z + z.dtype.type(0.044715) * z ** 3))
            return 0.5 * z * (1 + self.t)
        self.cdf = 0.5 * (1 + erf(z * z.dtype.type(1 / math.sqrt(2.0))))
        return z * self.cdf

    def backward(self, grad: Any) -> Any:
        xp, z = backend.xp, self.z
        if self.approximate == "tanh":
            t = self.t
            du = z.dtype.type(_SQRT_2_OVER_PI) * (1 + z.dtype.type(3 * 0.044715) * z * z)
            return grad * (0.5 * (1 + t) + 0.5 * z * (1 - t * t) * du)
        pdf = xp.exp(-0.5 * z * z) * z.dtype.type(1 / math.sqrt(2 * math.pi))
        return grad * (self.cdf + z * pdf)


class SiLU(Function):
    """a = z·σ(z) (swish);  g'(z) = σ(z)·(1 + z·(1 − σ(z)))."""

    def forward(self, z: Any) -> Any:
        self.z, self.s = z, stable_sigmoid(z)
        return z * self.s

    def backward(self, grad: Any) -> Any:
        s = self.s
        return grad * s * (1 + self.z * (1 - s))


class ELU(Function):
    """a = z for z > 0, α(eᶻ − 1) otherwise;  g'(z) = 1 for z > 0, else α·eᶻ = a + α."""

    def forward(self, z: Any, alpha: float = 1.0) -> Any:
        xp = backend.xp
        self.alpha = z.dtype.type(alpha)
        self.positive = z > 0
        self.a = xp.where(self.positive, z, self.alpha * xp.expm1(xp.minimum(z, 0)))
        return self.a

    def backward(self, grad: Any) -> Any:
        return grad * backend.xp.where(self.positive, 1, self.a + self.alpha)


class Softplus(Function):
    """a = (1/β)·log(1 + e^{βz}), a smooth ReLU; a = z where βz > threshold (PyTorch's
    switch back to the identity for large inputs).  g'(z) = σ(βz) (1 in the linear part)."""

    def forward(self, z: Any, beta: float = 1.0, threshold: float = 20.0) -> Any:
        xp = backend.xp
        bz = z * z.dtype.type(beta)
        self.linear = bz > threshold
        self.s = stable_sigmoid(bz)
        soft = (xp.maximum(bz, 0) + xp.log1p(xp.exp(-xp.abs(bz)))) / z.dtype.type(beta)
        return xp.where(self.linear, z, soft)

    def backward(self, grad: Any) -> Any:
        return grad * backend.xp.where(self.linear, 1, self.s)

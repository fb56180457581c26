"""Activation layers: each ``forward`` is one call into ``nn.functional``; formulas and
derivatives in ``ops/activation.py``.

Each class also states its g and g' (``formula``, ``derivative``), which ``explain`` prints.
"""
from __future__ import annotations

from typing import Any

from ..core.tensor import Tensor
from . import functional as F
from .module import Module


class Activation(Module):
    """An elementwise a = g(z) without parameters; ``formula``/``derivative`` state g and g'."""

    formula = "g(z)"
    derivative = "g'(z)"


class Sigmoid(Activation):
    """a = σ(z) = 1/(1 + e⁻ᶻ); σ' = σ(1 − σ) ≤ 1/4."""

    formula = "g(z) = σ(z) = 1/(1 + e⁻ᶻ)"
    derivative = "g'(z) = σ(z)·(1 − σ(z)) = A ⊙ (1 − A)"

    def forward(self, x: Tensor) -> Tensor:
        return F.sigmoid(x)


class Tanh(Activation):
    """a = tanh(z); tanh' = 1 − a²."""

    formula = "g(z) = tanh(z) = (eᶻ − e⁻ᶻ)/(eᶻ + e⁻ᶻ)"
    derivative = "g'(z) = 1 − tanh²(z) = 1 − A²"

    def forward(self, x: Tensor) -> Tensor:
        return F.tanh(x)


class ReLU(Activation):
    """a = max(0, z); derivative 1 for z > 0, else 0."""

    formula = "g(z) = max(0, z)"
    derivative = "g'(z) = 1 if z > 0 else 0"

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x)


class LeakyReLU(Activation):
    """a = z for z > 0, α·z otherwise (α = negative_slope, default 0.01)."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    @property
    def formula(self) -> str:  # type: ignore[override]
        return f"g(z) = max({self.negative_slope:g}·z, z)"

    @property
    def derivative(self) -> str:  # type: ignore[override]
        return f"g'(z) = 1 if z > 0 else {self.negative_slope:g}"

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.negative_slope, where=self)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class GELU(Activation):
    """a = z·Φ(z) = ½z(1 + erf(z/√2)), Φ the standard normal CDF (BERT, GPT, ViT);
    ``approximate="tanh"``: ½z(1 + tanh(√(2/π)(z + 0.044715z³)))."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    @property
    def formula(self) -> str:  # type: ignore[override]
        if self.approximate == "tanh":
            return "g(z) = ½z(1 + tanh u),  u = √(2/π)(z + 0.044715z³)"
        return "g(z) = z·Φ(z) = ½z(1 + erf(z/√2))"

    @property
    def derivative(self) -> str:  # type: ignore[override]
        if self.approximate == "tanh":
            return "g'(z) = ½(1 + tanh u) + ½z(1 − tanh²u)·√(2/π)(1 + 0.134145z²)"
        return "g'(z) = Φ(z) + z·φ(z),  φ(z) = e^(−z²/2)/√(2π)"

    def forward(self, x: Tensor) -> Tensor:
        return F.gelu(x, self.approximate, where=self)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Activation):
    """a = z·σ(z) (swish)."""

    formula = "g(z) = z·σ(z)"
    derivative = "g'(z) = σ(z)·(1 + z·(1 − σ(z)))"

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.silu(x)


class ELU(Activation):
    """a = z for z > 0, α(eᶻ − 1) otherwise (α = alpha, default 1)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    @property
    def formula(self) -> str:  # type: ignore[override]
        return f"g(z) = z if z > 0 else {self.alpha:g}·(eᶻ − 1)"

    @property
    def derivative(self) -> str:  # type: ignore[override]
        return f"g'(z) = 1 if z > 0 else {self.alpha:g}·eᶻ = A + {self.alpha:g}"

    def forward(self, x: Tensor) -> Tensor:
        return F.elu(x, self.alpha, where=self)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class Softplus(Activation):
    """a = (1/β)·log(1 + e^{βz}), a smooth ReLU (z itself where βz > threshold)."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    @property
    def formula(self) -> str:  # type: ignore[override]
        return f"g(z) = (1/{self.beta:g})·log(1 + e^({self.beta:g}z))"

    derivative = "g'(z) = σ(βz)"

    def forward(self, x: Tensor) -> Tensor:
        return F.softplus(x, self.beta, self.threshold, where=self)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    """aⱼ = e^{zⱼ}/Σₖ e^{zₖ} along ``dim``. For training, feed logits to ``CrossEntropyLoss``.

    ``dim=None`` is PyTorch's legacy implicit choice (1 for 2-D and 4-D input, else 0), with
    its warning; ``axis`` is accepted as NumPy's spelling of ``dim``."""

    def __init__(self, dim: int | None = None, *, axis: int | None = None) -> None:
        super().__init__()
        self.dim = axis if axis is not None else dim

    def forward(self, x: Tensor) -> Tensor:
        return F.softmax(x, self.dim, where=self)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log aⱼ = zⱼ − LSE(z) along ``dim`` (pair with ``NLLLoss``)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.log_softmax(x, self.dim, where=self)


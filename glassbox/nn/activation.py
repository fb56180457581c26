"""Activation layers: each ``forward`` is one call into ``nn.functional``; formulas and
derivatives in ``ops/activation.py``.

Each class also states its g and g' (``formula``, ``derivative``), which ``explain`` prints.
"""
from __future__ import annotations


from ..core.tensor import Tensor
from . import functional as F
from .module import Module


class Activation(Module):
    """An elementwise a = g(z) without parameters.

    ``formula``/``derivative`` state g and g' (``explain`` prints them), filled in from the
    templates ``formula_template``/``derivative_template`` with the layer's hyperparameters
    (``{negative_slope:g}``); ``__constants__`` names those hyperparameters for ``repr``.
    """

    formula_template = "g(z)"
    derivative_template = "g'(z)"

    @property
    def formula(self) -> str:
        return self.formula_template.format_map(vars(self))

    @property
    def derivative(self) -> str:
        return self.derivative_template.format_map(vars(self))


class _InplaceActivation(Activation):
    """An activation with PyTorch's ``inplace`` flag (accepted; glassbox always returns a new
    tensor, which gives the same values and gradients)."""

    __constants__ = ("inplace",)

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace


class Sigmoid(Activation):
    """a = σ(z) = 1/(1 + e⁻ᶻ); σ' = σ(1 − σ) ≤ 1/4."""

    formula_template = "g(z) = σ(z) = 1/(1 + e⁻ᶻ)"
    derivative_template = "g'(z) = σ(z)·(1 − σ(z)) = A ⊙ (1 − A)"

    def forward(self, x: Tensor) -> Tensor:
        return F.sigmoid(x)


class Tanh(Activation):
    """a = tanh(z); tanh' = 1 − a²."""

    formula_template = "g(z) = tanh(z) = (eᶻ − e⁻ᶻ)/(eᶻ + e⁻ᶻ)"
    derivative_template = "g'(z) = 1 − tanh²(z) = 1 − A²"

    def forward(self, x: Tensor) -> Tensor:
        return F.tanh(x)


class ReLU(_InplaceActivation):
    """a = max(0, z); derivative 1 for z > 0, else 0."""

    formula_template = "g(z) = max(0, z)"
    derivative_template = "g'(z) = 1 if z > 0 else 0"

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x)


class LeakyReLU(_InplaceActivation):
    """a = z for z > 0, α·z otherwise (α = negative_slope, default 0.01)."""

    __constants__ = ("negative_slope", "inplace")
    formula_template = "g(z) = max({negative_slope:g}·z, z)"
    derivative_template = "g'(z) = 1 if z > 0 else {negative_slope:g}"

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__(inplace)
        self.negative_slope = negative_slope

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.negative_slope, where=self)


class GELU(Activation):
    """a = z·Φ(z) = ½z(1 + erf(z/√2)), Φ the standard normal CDF (BERT, GPT, ViT);
    ``approximate="tanh"``: ½z(1 + tanh(√(2/π)(z + 0.044715z³)))."""

    __constants__ = ("approximate",)
    _templates = {
        "none": ("g(z) = z·Φ(z) = ½z(1 + erf(z/√2))",
                 "g'(z) = Φ(z) + z·φ(z),  φ(z) = e^(−z²/2)/√(2π)"),
        "tanh": ("g(z) = ½z(1 + tanh u),  u = √(2/π)(z + 0.044715z³)",
                 "g'(z) = ½(1 + tanh u) + ½z(1 − tanh²u)·√(2/π)(1 + 0.134145z²)"),
    }

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    @property
    def formula_template(self) -> str:  # type: ignore[override]
        return self._templates.get(self.approximate, self._templates["none"])[0]

    @property
    def derivative_template(self) -> str:  # type: ignore[override]
        return self._templates.get(self.approximate, self._templates["none"])[1]

    def forward(self, x: Tensor) -> Tensor:
        return F.gelu(x, self.approximate, where=self)


class SiLU(_InplaceActivation):
    """a = z·σ(z) (swish)."""

    formula_template = "g(z) = z·σ(z)"
    derivative_template = "g'(z) = σ(z)·(1 + z·(1 − σ(z)))"

    def forward(self, x: Tensor) -> Tensor:
        return F.silu(x)


class ELU(_InplaceActivation):
    """a = z for z > 0, α(eᶻ − 1) otherwise (α = alpha, default 1)."""

    __constants__ = ("alpha", "inplace")
    formula_template = "g(z) = z if z > 0 else {alpha:g}·(eᶻ − 1)"
    derivative_template = "g'(z) = 1 if z > 0 else {alpha:g}·eᶻ = A + {alpha:g}"

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__(inplace)
        self.alpha = alpha

    def forward(self, x: Tensor) -> Tensor:
        return F.elu(x, self.alpha, where=self)


class Softplus(Activation):
    """a = (1/β)·log(1 + e^{βz}), a smooth ReLU (z itself where βz > threshold)."""

    __constants__ = ("beta", "threshold")
    formula_template = "g(z) = (1/{beta:g})·log(1 + e^({beta:g}z))"
    derivative_template = "g'(z) = σ(βz)"

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x: Tensor) -> Tensor:
        return F.softplus(x, self.beta, self.threshold, where=self)


class Softmax(Module):
    """aⱼ = e^{zⱼ}/Σₖ e^{zₖ} along ``dim``. For training, feed logits to ``CrossEntropyLoss``.

    ``dim=None`` is PyTorch's legacy implicit choice (1 for 2-D and 4-D input, else 0), with
    its warning; ``axis`` is accepted as NumPy's spelling of ``dim``."""

    __constants__ = ("dim",)

    def __init__(self, dim: int | None = None, *, axis: int | None = None) -> None:
        super().__init__()
        self.dim = axis if axis is not None else dim

    def forward(self, x: Tensor) -> Tensor:
        return F.softmax(x, self.dim, where=self)


class LogSoftmax(Softmax):
    """log aⱼ = zⱼ − LSE(z) along ``dim`` (pair with ``NLLLoss``)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.log_softmax(x, self.dim, where=self)


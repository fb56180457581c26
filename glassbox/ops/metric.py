"""Ops for metric learning (Siamese networks): L2 normalization, pairwise squared distances,
and the contrastive loss, each with its backward beside it.

* L2 normalization of each row:  y = x / ‖x‖,  ∂L/∂x = (g − y·(y·g)) / ‖x‖.
* Pairwise squared distances:  Dᵢⱼ = ‖aᵢ − bⱼ‖² = ‖aᵢ‖² + ‖bⱼ‖² − 2 aᵢ·bⱼ,
  ∂L/∂aᵢ = 2 Σⱼ Gᵢⱼ (aᵢ − bⱼ),  ∂L/∂bⱼ = 2 Σᵢ Gᵢⱼ (bⱼ − aᵢ).
* Contrastive loss of a pair with label y (1 = same, 0 = different) and d = ‖x₁ − x₂‖:
  ℓ = y·d² + (1 − y)·max(m − d, 0)².
"""
from __future__ import annotations

from typing import Any

from .. import backend
from ..core.function import Function
from ..core.tensor import Tensor
from .loss import _reduce, _scale_back


def squared_distance_matrix(a: Any, b: Any) -> Any:
    """Dᵢⱼ = ‖aᵢ‖² + ‖bⱼ‖² − 2 aᵢ·bⱼ for arrays a (n, d) and b (m, d), clamped at 0 (the
    expansion can round slightly below 0 for near-equal rows). No graph: for mining and
    nearest-neighbour search; ``pairwise_squared_distances`` is the differentiable form."""
    xp = backend.xp
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(
            f"pairwise_squared_distances: expected a (n, d) and b (m, d) with the same d, "
            f"got {a.shape} and {b.shape}"
        )
    d = a @ b.T
    d *= -2
    d += (a * a).sum(axis=1)[:, None]
    d += (b * b).sum(axis=1)[None, :]
    return xp.maximum(d, 0, out=d)


class L2Normalize(Function):
    """y = x / max(‖x‖, ε) along ``axis`` (the unit vector of each embedding).

    Backward, for ‖x‖ > ε:  ∂L/∂x = (g − y ⊙ Σ(g ⊙ y)) / ‖x‖ — the part of g along y is
    removed, since scaling x does not move y. Below ε the map is x/ε, so ∂L/∂x = g/ε.
    """

    def forward(self, x: Any, axis: int = -1, eps: float = 1e-12) -> Any:
        xp = backend.xp
        self.axis = axis
        norm = xp.sqrt((x * x).sum(axis=axis, keepdims=True))
        self.small = norm <= eps
        self.norm = xp.maximum(norm, x.dtype.type(eps))
        self.y = x / self.norm
        return self.y

    def backward(self, grad: Any) -> Any:
        xp = backend.xp
        along = (grad * self.y).sum(axis=self.axis, keepdims=True)
        # rows clamped at ε are a plain scaling x/ε: no projection
        return (grad - self.y * xp.where(self.small, 0, along)) / self.norm


class PairwiseSquaredDistance(Function):
    """D (n, m) with Dᵢⱼ = ‖aᵢ − bⱼ‖² = ‖aᵢ‖² + ‖bⱼ‖² − 2 aᵢ·bⱼ (one matrix product; rounding
    below 0 is clamped to 0).

    Backward with G = ∂L/∂D:  ∂L/∂A = 2 (diag(G·1) A − G B),  ∂L/∂B = 2 (diag(Gᵀ·1) B − Gᵀ A).
    """

    def forward(self, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        d = squared_distance_matrix(a, b)
        self.clamped = d == 0  # rounding below 0 was clamped there; no gradient through it
        return d

    def backward(self, grad: Any) -> tuple[Any, Any]:
        g = backend.xp.where(self.clamped, 0, grad)
        da = db = None
        if self.needs_input_grad[0]:
            da = 2 * (g.sum(axis=1)[:, None] * self.a - g @ self.b)
        if self.needs_input_grad[1]:
            db = 2 * (g.sum(axis=0)[:, None] * self.b - g.T @ self.a)
        return da, db


class Contrastive(Function):
    """Contrastive loss of pairs (x₁ᵢ, x₂ᵢ) with labels yᵢ (1 = same, 0 = different):

        dᵢ = ‖x₁ᵢ − x₂ᵢ‖,   ℓᵢ = yᵢ dᵢ² + (1 − yᵢ) max(m − dᵢ, 0)².

    Backward, with δᵢ = x₁ᵢ − x₂ᵢ:  ∂ℓᵢ/∂x₁ᵢ = 2yᵢ δᵢ − 2(1 − yᵢ) max(m − dᵢ, 0) δᵢ/dᵢ,
    ∂ℓᵢ/∂x₂ᵢ = −∂ℓᵢ/∂x₁ᵢ. At dᵢ = 0 the direction δ/d is undefined; the second term is
    taken as 0 there (a subgradient).
    """

    def forward(self, x1: Any, x2: Any, y: Any, margin: float = 1.0, reduction: str = "mean") -> Any:
        xp = backend.xp  # shapes, labels and margin checked by nn.functional.contrastive_loss
        y = y.astype(x1.dtype, copy=False)
        self.delta = x1 - x2
        d2 = (self.delta * self.delta).sum(axis=1)
        self.d = xp.sqrt(d2)
        self.hinge = xp.maximum(margin - self.d, 0)
        self.y, self.reduction = y, reduction
        return _reduce(y * d2 + (1 - y) * self.hinge * self.hinge, reduction)

    def backward(self, grad: Any) -> tuple[Any, Any, None]:
        xp = backend.xp
        with backend.errstate(divide="ignore", invalid="ignore"):
            pull = xp.where(self.d > 0, self.hinge / self.d, 0)
        coef = 2 * (self.y - (1 - self.y) * pull)  # ∂ℓᵢ/∂δᵢ = coefᵢ δᵢ
        coef *= _scale_back(grad, self.delta.shape[0], self.reduction).reshape(-1)
        dx1 = coef[:, None] * self.delta
        return dx1, -dx1, None


def l2_normalize(x: Tensor, axis: int = -1, eps: float = 1e-12) -> Tensor:
    """x / ‖x‖ along ``axis`` (rows of an (N, d) embedding by default)."""
    return L2Normalize.apply(x, axis=axis, eps=eps)


def pairwise_squared_distances(a: Tensor, b: Tensor | None = None) -> Tensor:
    """(n, m) matrix of ‖aᵢ − bⱼ‖²; with ``b`` omitted, the distances within ``a``."""
    return PairwiseSquaredDistance.apply(a, a if b is None else b)



"""Layer normalization: normalize each sample over its last dimensions, then scale and shift.

For one sample, over the n values z⁽ʲ⁾ of its normalized dimensions (e.g. the d features
of a token):

    μ = (1/n) Σⱼ z⁽ʲ⁾,    σ² = (1/n) Σⱼ (z⁽ʲ⁾ − μ)²,
    ẑ⁽ʲ⁾ = (z⁽ʲ⁾ − μ) / √(σ² + ε),    y⁽ʲ⁾ = γ⁽ʲ⁾·ẑ⁽ʲ⁾ + β⁽ʲ⁾.

Unlike batch norm the statistics are per sample, so training and evaluation compute the
same thing and no running averages are kept. γ and β have the normalized shape.
"""
from __future__ import annotations

from typing import Any

from .. import backend
from ..core.function import Function


class LayerNorm(Function):
    """y = γ ⊙ (z − μ)/√(σ² + ε) + β over the last ``len(normalized_shape)`` axes.

    Backward, with dẑ = γ ⊙ ∂L/∂y and Σ over a sample's n normalized values:

        ∂L/∂z = (1/n)·(1/σ)·(n·dẑ − Σ dẑ − ẑ·Σ(dẑ ⊙ ẑ)),    σ = √(σ² + ε)

    (the two subtracted terms are the paths through μ and σ², as in batch norm);
    ∂L/∂γ = Σ_samples ∂L/∂y ⊙ ẑ,  ∂L/∂β = Σ_samples ∂L/∂y.
    """

    def forward(self, x: Any, weight: Any = None, bias: Any = None, axes: tuple[int, ...] = (-1,),
                eps: float = 1e-5) -> Any:
        xp = backend.xp
        self.axes = axes
        mean = x.mean(axis=axes, keepdims=True)
        centred = x - mean
        var = (centred * centred).mean(axis=axes, keepdims=True)
        self.inv_std = 1.0 / xp.sqrt(var + x.dtype.type(eps))
        self.x_hat = centred * self.inv_std
        self.weight = weight
        out = self.x_hat if weight is None else self.x_hat * weight
        return out + bias if bias is not None else (out.copy() if weight is None else out)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        needs, x_hat, axes = self.needs_input_grad, self.x_hat, self.axes
        batch_axes = tuple(range(grad.ndim - len(axes)))
        dweight = (grad * x_hat).sum(axis=batch_axes) if len(needs) > 1 and needs[1] else None
        dbias = grad.sum(axis=batch_axes) if len(needs) > 2 and needs[2] else None
        dx = None
        if needs[0]:
            d_hat = grad if self.weight is None else grad * self.weight
            mean_d = d_hat.mean(axis=axes, keepdims=True)
            mean_dx = (d_hat * x_hat).mean(axis=axes, keepdims=True)
            dx = (d_hat - mean_d - x_hat * mean_dx) * self.inv_std
        return (dx, dweight, dbias)[:len(needs)]

"""Embedding lookup: row yᵢ of a (num_embeddings, d) table for every integer index yᵢ.

    out[…, :] = W[idx[…], :]

It is a dense layer applied to one-hot inputs (onehot(i)·W = W[i]) without building them:
the gradient of W is the one-hot product's transpose, i.e. each output row's gradient
added onto the table row it came from (rows used twice get both gradients).
"""
from __future__ import annotations

from typing import Any

from .. import backend
from ..core.function import Function


class Embedding(Function):
    """out = W[indices];  ∂L/∂W[k] = Σ over the positions p with indices[p] = k of ∂L/∂out[p]
    (zero for ``padding_idx``, whose row is never trained)."""

    def forward(self, weight: Any, indices: Any = None, padding_idx: int | None = None) -> Any:
        self.indices, self.shape, self.padding_idx = indices, weight.shape, padding_idx
        return weight[indices]

    def backward(self, grad: Any) -> Any:
        xp = backend.xp
        dw = xp.zeros(self.shape, dtype=grad.dtype)
        xp.add.at(dw, self.indices.reshape(-1), grad.reshape(-1, self.shape[1]))
        if self.padding_idx is not None:
            dw[self.padding_idx] = 0
        return dw

"""Embedding lookup: row yᵢ of a (num_embeddings, d) table for every integer index yᵢ.

    out[…, :] = W[idx[…], :]

It is a dense layer applied to one-hot inputs (onehot(i)·W = W[i]) without building them:
the gradient of W is the one-hot product's transpose, i.e. each output row's gradient
added onto the table row it came from (rows used twice get both gradients).

``max_norm`` c (PyTorch's semantics): before the lookup, every row the indices use whose
p-norm exceeds c is rescaled *in place*, outside the graph,

    W[k] ← W[k] · c / (‖W[k]‖ₚ + 1e−7)      if ‖W[k]‖ₚ > c,

so the gradient is that of the plain lookup of the rescaled table.
``scale_grad_by_freq``: row k's gradient is divided by n_k, the number of times k occurs in
the batch's indices.
"""
from __future__ import annotations

from typing import Any

from .. import backend
from ..core.function import Function


def renorm_rows_(weight: Any, indices: Any, max_norm: float, norm_type: float) -> int:
    """W[k] ← W[k]·c/(‖W[k]‖ₚ + 1e−7) in place for the used rows k with ‖W[k]‖ₚ > c;
    returns how many rows were rescaled."""
    xp = backend.array_module(weight)
    rows = xp.unique(indices.reshape(-1))
    norms = xp.linalg.norm(weight[rows], ord=norm_type, axis=1)
    over = norms > max_norm
    big = rows[over]
    weight[big] *= (max_norm / (norms[over] + 1e-7))[:, None].astype(weight.dtype)
    return int(big.size)


class Embedding(Function):
    """out = W[indices];  ∂L/∂W[k] = Σ over the positions p with indices[p] = k of ∂L/∂out[p]
    (zero for ``padding_idx``, whose row is never trained; divided by the count n_k of k
    with ``scale_grad_by_freq``)."""

    def forward(self, weight: Any, indices: Any = None, padding_idx: int | None = None,
                scale_grad_by_freq: bool = False) -> Any:
        self.indices, self.shape, self.padding_idx = indices, weight.shape, padding_idx
        self.scale_grad_by_freq = scale_grad_by_freq
        return weight[indices]

    def backward(self, grad: Any) -> Any:
        xp = backend.xp
        flat = self.indices.reshape(-1)
        dw = xp.zeros(self.shape, dtype=grad.dtype)
        xp.add.at(dw, flat, grad.reshape(-1, self.shape[1]))
        if self.scale_grad_by_freq:
            counts = xp.bincount(flat, minlength=self.shape[0])
            dw /= xp.maximum(counts, 1)[:, None].astype(dw.dtype)
        if self.padding_idx is not None:
            dw[self.padding_idx] = 0
        return dw

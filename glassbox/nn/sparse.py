"""``Embedding``: a learned vector for each of num_embeddings integer ids (``F.embedding``;
the lookup and its gradient in ``ops/embedding.py``)."""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import validate as check
from ..core.tensor import Tensor
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter


class Embedding(Module):
    """out[…] = W[idx[…]]: a table of num_embeddings vectors of embedding_dim, one per id
    (a dense layer on one-hot inputs, without building them).

    Args:
        num_embeddings: the number of ids; embedding_dim: d.
        padding_idx: an id whose vector is zeros and gets no gradient (padding tokens).
        max_norm: rescale, in place before each lookup, every used vector whose
            ``norm_type``-norm exceeds max_norm to that norm (PyTorch's semantics).
        norm_type: p of the p-norm for ``max_norm`` (default 2).
        scale_grad_by_freq: divide each vector's gradient by how often its id occurs in the
            batch.
        sparse: not implemented (the gradient is dense); only False.

    Shapes: integer indices (*) → (*, embedding_dim).

    Attributes:
        weight: (num_embeddings, embedding_dim), N(0, 1) as PyTorch (padding row zeroed).
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: Any = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, _weight: Any = None, dtype: type = np.float32) -> None:
        super().__init__()
        self.num_embeddings = check.positive_int(num_embeddings=num_embeddings, where="Embedding")
        self.embedding_dim = check.positive_int(embedding_dim=embedding_dim, where="Embedding")
        if padding_idx is not None:
            padding_idx = check.integer(padding_idx=padding_idx, low=-self.num_embeddings,
                                        high=self.num_embeddings - 1, where="Embedding") % self.num_embeddings
        self.padding_idx = padding_idx
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        shape = (self.num_embeddings, self.embedding_dim)
        if _weight is None:
            self.weight = Parameter(np.empty(shape, dtype=dtype), dtype=dtype)
            self.reset_parameters()
        else:
            self.weight = Parameter(np.asarray(_weight, dtype=dtype), dtype=dtype)
            check.shape(self.weight, ndim=2, where="Embedding", name="_weight", expected=str(shape))

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    def forward(self, input: Any) -> Tensor:
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq, self.sparse, where=self)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        options = {"padding_idx": None, "max_norm": None, "norm_type": 2.0, "scale_grad_by_freq": False}
        return text + "".join(f", {k}={getattr(self, k)}" for k, d in options.items() if getattr(self, k) != d)

"""``MultiheadAttention``: PyTorch's layer, its ``forward`` one call into
``F.multi_head_attention_forward`` (the formulas are in that docstring)."""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import validate as check
from ..core.tensor import Tensor
from ..errors import InvalidArgumentError
from . import functional as F
from . import init
from .linear import Linear
from .module import Module
from .parameter import Parameter


class MultiheadAttention(Module):
    """h attention heads side by side: headᵢ = softmax(QᵢKᵢᵀ/√d)·Vᵢ with d = embed_dim/h, the
    heads concatenated and projected by ``out_proj``.

    Args:
        embed_dim: E;  num_heads: h (dividing E);  dropout: on the attention weights (training).
        bias: learn ``in_proj_bias`` and ``out_proj.bias``.
        batch_first: inputs (N, L, E) instead of PyTorch's default (L, N, E).
        add_bias_kv, add_zero_attn, kdim, vdim: only PyTorch's defaults.

    Parameters (PyTorch's names, so state dicts move between the two): ``in_proj_weight``
    (3E, E), Xavier-uniform; ``in_proj_bias`` (3E,), zeros; ``out_proj`` a Linear(E, E) whose
    bias starts at zero.

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)`` returns (output, weights or None).
    """

    __constants__ = ("embed_dim", "num_heads", "dropout", "batch_first")

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, dtype: type = np.float32) -> None:
        super().__init__()
        where = "MultiheadAttention"
        self.embed_dim = check.positive_int(embed_dim=embed_dim, where=where)
        self.num_heads = check.positive_int(num_heads=num_heads, where=where)
        if embed_dim % num_heads:
            raise InvalidArgumentError(f"{where}: embed_dim={embed_dim} must be divisible by "
                                       f"num_heads={num_heads}")
        self.head_dim = embed_dim // num_heads
        self.dropout = check.probability(dropout=dropout, where=where)
        self.batch_first = check.boolean(batch_first=batch_first, where=where)
        for name, value, default in (("add_bias_kv", add_bias_kv, False), ("add_zero_attn", add_zero_attn, False),
                                     ("kdim", kdim, None), ("vdim", vdim, None)):
            if value != default and not (name in ("kdim", "vdim") and value == embed_dim):
                raise InvalidArgumentError(f"{where}: `{name}` other than {default!r} is not "
                                           f"implemented. Received: {name}={value!r}")
        self.in_proj_weight = Parameter(np.empty((3 * embed_dim, embed_dim), dtype=dtype), dtype=dtype)
        self.register_parameter(
            "in_proj_bias", Parameter(np.zeros(3 * embed_dim, dtype=dtype), dtype=dtype) if bias else None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.xavier_uniform_(self.in_proj_weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Any = None,
                need_weights: bool = True, attn_mask: Any = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        if self.batch_first and F._as_tensor(query).ndim == 3:  # (N, L, E) → PyTorch's (L, N, E)
            query, key, value = (F._as_tensor(t).transpose(0, 1) for t in (query, key, value))
        out, weights = F.multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight, self.in_proj_bias,
            None, None, False, self.dropout, self.out_proj.weight, self.out_proj.bias,
            training=self.training, key_padding_mask=key_padding_mask, need_weights=need_weights,
            attn_mask=attn_mask, average_attn_weights=average_attn_weights, is_causal=is_causal,
            where=self)
        return (out.transpose(0, 1) if self.batch_first and out.ndim == 3 else out), weights


__all__ = ["MultiheadAttention"]

"""``Linear``: the fully connected (dense) layer, and ``Identity``."""
from __future__ import annotations

import numpy as np

from .. import validate as check
from ..core.tensor import Tensor
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter


class Linear(Module):
    """Z = X·Wᵀ + b: every output unit is a weighted sum of all inputs plus a bias.

    Args:
        in_features: size of each input row.
        out_features: number of units (size of each output row).
        bias: learn an additive bias b (default True).

    Shapes: input (*, in_features) → output (*, out_features).

    Attributes:
        weight: (out_features, in_features), He/Kaiming-uniform (Var(w) = 2/fan_in), the
            course's advice for ReLU networks; re-initialize with ``nn.init.xavier_*`` for tanh.
        bias: (out_features,), zeros.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 dtype: type = np.float32) -> None:
        super().__init__()
        self.in_features = check.positive_int(in_features=in_features, where="Linear")
        self.out_features = check.positive_int(out_features=out_features, where="Linear")
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype), dtype=dtype)
        self.register_parameter(
            "bias", Parameter(np.zeros(out_features, dtype=dtype), dtype=dtype) if bias else None
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, nonlinearity="relu")
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias, where=self)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. a removed head)."""

    def forward(self, x: Tensor) -> Tensor:
        return x

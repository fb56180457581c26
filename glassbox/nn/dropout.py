"""Dropout layers (inverted dropout; formula in ``ops/dropout.py``)."""
from __future__ import annotations

from .. import validate as check
from ..core.tensor import Tensor
from . import functional as F
from .module import Module


class Dropout(Module):
    """In training, zero each unit with probability p and multiply the survivors by
    1/keep_prob (keep_prob = 1 − p), so the expected activation is unchanged; in eval mode
    (``model.eval()``) the identity. The mask comes from the global generator
    (``glassbox.manual_seed``)."""

    __constants__ = ("p", "inplace")

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        self.p = check.probability(p=p, where=type(self).__name__)
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training, where=self)


class Dropout2d(Dropout):
    """Channel dropout for (N, C, H, W): zeroes whole feature maps with probability p
    (neighbouring pixels are strongly correlated, so dropping single pixels does little)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout2d(x, self.p, self.training, where=self)

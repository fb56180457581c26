"""Inverted dropout: drop units at random in training, and scale the survivors so the
expected activation is unchanged (nothing to rescale at test time).

With keep_prob = 1 − p, a mask d ~ Bernoulli(keep_prob) per unit (per channel for
``Dropout2d``):

    a ← a ⊙ d / keep_prob,        ∂L/∂a_in = ∂L/∂a_out ⊙ d / keep_prob.

E[d / keep_prob] = 1, so the layer's expected output equals its input.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..core.function import Function


def dropout_mask(shape: tuple[int, ...], p: float, dtype: Any, like: Any = None) -> Any:
    """d / keep_prob: 0 with probability p, 1/keep_prob otherwise, from the global generator,
    drawn on the device of the array ``like`` (default: ``backend.xp``)."""
    xp = backend.xp if like is None else backend.array_module(like)
    keep_prob = 1.0 - p
    if keep_prob <= 0.0:
        return xp.zeros(shape, dtype=dtype)
    draws = backend.generator(xp).random(shape, dtype=np.float32)
    mask = xp.asarray(draws < keep_prob, dtype=dtype)
    mask *= mask.dtype.type(1.0 / keep_prob)
    return mask


class Dropout(Function):
    """a_out = a_in ⊙ mask, with mask = d / keep_prob made by ``dropout_mask`` (it may
    broadcast, e.g. (N, C, 1, 1) to drop whole channels);  ∂L/∂a_in = ∂L/∂a_out ⊙ mask."""

    def forward(self, x: Any, mask: Any = None) -> Any:
        self.mask = mask
        return x * mask

    def backward(self, grad: Any) -> Any:
        return grad * self.mask

"""Batch normalization layers (the fused formula and its gradient are in
``ops/normalization.py``)."""
from __future__ import annotations

import numpy as np

from ..core.tensor import Tensor
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter


class _BatchNorm(Module):
    """Normalize each channel to zero mean and unit variance, then scale by γ and shift by β:

        ẑ = (z − μ)/√(σ² + ε),    z̃ = γ·ẑ + β.

    Training mode: μ, σ² of the current mini-batch (over N and the spatial axes), and the
    running averages are updated in place,
    running = (1 − momentum)·running + momentum·batch (unbiased σ² for running_var).
    Eval mode: the running averages, so the output does not depend on the batch.

    Args:
        num_features: C, the number of channels.
        eps: ε added to σ² for numerical safety.  momentum: weight of the new batch.
        affine: learn γ (``weight``, ones) and β (``bias``, zeros).
        dtype: parameter and buffer dtype.

    Buffers: ``running_mean`` (zeros), ``running_var`` (ones), in ``state_dict``.
    """

    _expected_ndim: tuple[int, ...] = ()
    _shape_text = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = True, dtype: type = np.float32) -> None:
        super().__init__()
        if not isinstance(num_features, (int, np.integer)) or num_features <= 0:
            raise ValueError(
                f"{type(self).__name__}: expected a positive integer for `num_features`. "
                f"Received: num_features={num_features!r}"
            )
        self.num_features, self.eps, self.momentum, self.affine = int(num_features), eps, momentum, affine
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=dtype), dtype=dtype)
            self.bias = Parameter(np.zeros(num_features, dtype=dtype), dtype=dtype)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.register_buffer("running_mean", np.zeros(num_features, dtype=dtype))
        self.register_buffer("running_var", np.ones(num_features, dtype=dtype))

    def reset_running_stats(self) -> None:
        self.running_mean[...] = 0
        self.running_var[...] = 1

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in self._expected_ndim or x.shape[1] != self.num_features:
            raise ValueError(
                f"{self!r}: expected input of shape {self._shape_text.format(C=self.num_features)}, "
                f"got {tuple(x.shape)}"
            )
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            training=self.training, momentum=self.momentum, eps=self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}"


class BatchNorm1d(_BatchNorm):
    """Batch norm for (N, C) (after a dense layer) or (N, C, L)."""

    _expected_ndim = (2, 3)
    _shape_text = "(N, {C}) or (N, {C}, L)"


class BatchNorm2d(_BatchNorm):
    """Batch norm for (N, C, H, W) (after a convolution): statistics per channel over N, H, W."""

    _expected_ndim = (4,)
    _shape_text = "(N, {C}, H, W)"


__all__ = ["BatchNorm1d", "BatchNorm2d"]

"""Normalization layers: batch norm (per channel, over the batch) and layer norm (per sample,
over its last dimensions). Formulas and gradients in ``ops/normalization.py`` and
``ops/layer_norm.py``; each ``forward`` calls ``F.batch_norm`` / ``F.layer_norm``."""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import validate as check
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
    running = (1 − momentum)·running + momentum·batch (unbiased σ² for running_var);
    ``momentum=None`` makes it the cumulative average of all batches so far (momentum 1/t at
    the t-th batch). Eval mode: the running averages, so the output does not depend on the
    batch.

    A frozen layer (every parameter ``requires_grad=False``, e.g. after
    ``requires_grad_(False)`` for fine-tuning) behaves as in eval mode even while training:
    it normalizes with, and keeps, its running statistics (Keras's ``trainable=False``).

    Args:
        num_features: C, the number of channels.
        eps: ε added to σ² for numerical safety.  momentum: weight of the new batch, or None.
        affine: learn γ (``weight``, ones) and β (``bias``, zeros).
        track_running_stats: keep running averages (default True); without them the batch's
            statistics are used in eval mode too.
        dtype: parameter and buffer dtype.

    Buffers (in ``state_dict``, PyTorch's names): ``running_mean`` (zeros), ``running_var``
    (ones), ``num_batches_tracked`` (an int64 count of training batches).
    """

    _expected_ndim: tuple[int, ...] = ()
    _shape_text = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 dtype: type = np.float32) -> None:
        super().__init__()
        owner = type(self).__name__
        self.num_features = check.positive_int(num_features=num_features, where=owner)
        self.eps = check.number(eps=eps, low=0.0, where=owner)
        self.momentum = None if momentum is None else check.number(momentum=momentum, low=0.0,
                                                                    high=1.0, where=owner)
        self.affine = check.boolean(affine=affine, where=owner)
        self.track_running_stats = check.boolean(track_running_stats=track_running_stats, where=owner)
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=dtype), dtype=dtype)
            self.bias = Parameter(np.zeros(num_features, dtype=dtype), dtype=dtype)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", np.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                object.__setattr__(self, name, None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean[...] = 0
            self.running_var[...] = 1
            self.num_batches_tracked[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    @property
    def frozen(self) -> bool:
        """True when the layer has parameters and none of them requires grad."""
        params = [p for p in (self.weight, self.bias) if p is not None]
        return bool(params) and not any(p.requires_grad for p in params)

    def forward(self, x: Tensor) -> Tensor:
        expected = self._shape_text.format(C=self.num_features)
        check.shape(x, ndim=self._expected_ndim, where=repr(self), expected=expected)
        check.size(x, dim=1, size=self.num_features, where=repr(self), expected=expected)
        training = self.training and not (self.frozen and self.track_running_stats)
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            training, self.momentum, self.eps,
                            num_batches_tracked=self.num_batches_tracked, where=self)

    def extra_repr(self) -> str:
        text = f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}"
        return text + ("" if self.track_running_stats else ", track_running_stats=False")


class BatchNorm1d(_BatchNorm):
    """Batch norm for (N, C) (after a dense layer) or (N, C, L)."""

    _expected_ndim = (2, 3)
    _shape_text = "(N, {C}) or (N, {C}, L)"


class BatchNorm2d(_BatchNorm):
    """Batch norm for (N, C, H, W) (after a convolution): statistics per channel over N, H, W."""

    _expected_ndim = (4,)
    _shape_text = "(N, {C}, H, W)"


class LayerNorm(Module):
    """Normalize every sample over its last dimensions (``normalized_shape``), then scale by
    γ and shift by β (elementwise, of ``normalized_shape``):

        μ, σ² over the sample's normalized values,  ẑ = (z − μ)/√(σ² + ε),  y = γ ⊙ ẑ + β.

    The same in training and evaluation (no running averages): the normalization of
    transformers and of RNNs, where batch statistics are unreliable.

    Args:
        normalized_shape: d, or the trailing shape (e.g. (C, H, W)).
        eps: ε.  elementwise_affine: learn γ (``weight``, ones) and β (``bias``, zeros).
        bias: learn β (with elementwise_affine).
    """

    def __init__(self, normalized_shape: Any, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, dtype: type = np.float32) -> None:
        super().__init__()
        self.normalized_shape = F._normalized_shape(normalized_shape, "LayerNorm")
        self.eps = check.number(eps=eps, low=0.0, where="LayerNorm")
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype), dtype=dtype)
            self.register_parameter(
                "bias", Parameter(np.zeros(self.normalized_shape, dtype=dtype), dtype=dtype) if bias else None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x: Tensor) -> Tensor:
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps, where=self)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm"]

"""Stateless forms of the layers and losses: ``F.linear``, ``F.relu``, ``F.cross_entropy``…

A module such as ``nn.Linear`` holds the parameters and calls the function here.
"""
from __future__ import annotations

from typing import Any

from ..core.tensor import Tensor
from ..ops import activation as _act
from ..ops import loss as _loss
from ..ops.linalg import Linear as _Linear


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


# ------------------------------------------------------------------ layers
def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Z = X·Wᵀ + b (the course's Z = W·A_prev + b, one sample per row)."""
    return _Linear.apply(x, weight) if bias is None else _Linear.apply(x, weight, bias)


# ------------------------------------------------------------- activations
def sigmoid(x: Tensor) -> Tensor:
    return _act.Sigmoid.apply(x)


def tanh(x: Tensor) -> Tensor:
    return _act.Tanh.apply(x)


def relu(x: Tensor) -> Tensor:
    return _act.ReLU.apply(x)


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    return _act.LeakyReLU.apply(x, negative_slope=negative_slope)


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    return _act.Softmax.apply(x, axis=axis)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    return _act.LogSoftmax.apply(x, axis=axis)


# ------------------------------------------------------------------ losses
def cross_entropy(logits: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Softmax + cross-entropy from logits; target: class indices (m,) or one-hot (m, C).
    Gradient (ŷ − y)/m for the mean."""
    _loss.check_reduction(reduction)
    return _loss.SoftmaxCrossEntropy.apply(logits, _as_tensor(target), reduction=reduction)


def nll_loss(log_probs: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices under log-probabilities (``log_softmax``)."""
    _loss.check_reduction(reduction)
    return _loss.NegativeLogLikelihood.apply(log_probs, _as_tensor(target), reduction=reduction)


def mse_loss(pred: Tensor, target: Any, reduction: str = "mean", half: bool = False) -> Tensor:
    """(ŷ − y)² averaged (or summed); ``half=True`` gives the course's ½(y − ŷ)²."""
    _loss.check_reduction(reduction)
    return _loss.MeanSquaredError.apply(pred, _as_tensor(target), reduction=reduction, half=half)


def binary_cross_entropy(probs: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """−[y log p + (1 − y) log(1 − p)] on probabilities (after a sigmoid)."""
    _loss.check_reduction(reduction)
    return _loss.BinaryCrossEntropy.apply(probs, _as_tensor(target), reduction=reduction)


def binary_cross_entropy_with_logits(logits: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Sigmoid + binary cross-entropy from logits, stable for any z; gradient σ(z) − y."""
    _loss.check_reduction(reduction)
    return _loss.BinaryCrossEntropyWithLogits.apply(logits, _as_tensor(target), reduction=reduction)


# =====================================================================================
# Convolutional layers (issue 3): convolution, pooling, batch norm, dropout.
# Formulas are in glassbox/ops/{conv,pooling,normalization,dropout}.py.
# =====================================================================================
from .. import backend as _backend  # noqa: E402
from ..ops import conv as _conv  # noqa: E402
from ..ops import dropout as _dropout  # noqa: E402
from ..ops import normalization as _norm  # noqa: E402
from ..ops import pooling as _pool  # noqa: E402


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0) -> Tensor:
    """2-D convolution of x (N, C, H, W) with weight (out, C, kh, kw), plus bias (out,).

    ``padding``: "valid" (none), "same" (output ⌈n/s⌉ per side, TensorFlow-style: for an
    odd total the extra row/column goes to the bottom/right; also for stride > 1), an int,
    or (ph, pw). Output size per side: ⌊(n + 2p − f)/s⌋ + 1.
    """
    if weight.ndim != 4:
        raise ValueError(f"conv2d: weight must be (out, in, kh, kw), got shape {tuple(weight.shape)}")
    out_c, in_c, kh, kw = weight.shape
    owner = "conv2d"
    _conv.check_4d(x, owner, in_c)
    stride_hw = _conv.pair(stride, "stride", owner)
    pads = _conv.resolve_padding(padding, x.shape[2:], (kh, kw), stride_hw, owner)
    _conv.check_fits(x.shape[2:], (kh, kw), pads, owner)
    if bias is not None and tuple(bias.shape) != (out_c,):
        raise ValueError(f"{owner}: bias must have shape ({out_c},), got {tuple(bias.shape)}")
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return _conv.Conv2d.apply(*inputs, stride=stride_hw, padding=pads)


def _pool_args(x: Tensor, kernel_size: Any, stride: Any, padding: Any, owner: str):
    _conv.check_4d(x, owner)
    kernel = _conv.pair(kernel_size, "kernel_size", owner)
    stride_hw = kernel if stride is None else _conv.pair(stride, "stride", owner)
    pads = _conv.resolve_padding(padding, x.shape[2:], kernel, stride_hw, owner)
    if any(p > k // 2 for (p, _), k in zip(pads, kernel)) and not isinstance(padding, str):
        raise ValueError(f"{owner}: padding {padding!r} must be at most half the kernel {kernel}")
    _conv.check_fits(x.shape[2:], kernel, pads, owner)
    return kernel, stride_hw, pads


def max_pool2d(x: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """Max over each kernel_size window (stride defaults to kernel_size)."""
    kernel, stride_hw, pads = _pool_args(x, kernel_size, stride, padding, "max_pool2d")
    return _pool.MaxPool2d.apply(x, kernel=kernel, stride=stride_hw, padding=pads)


def avg_pool2d(x: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """Mean over each kernel_size window; zero padding counts (count_include_pad=True)."""
    kernel, stride_hw, pads = _pool_args(x, kernel_size, stride, padding, "avg_pool2d")
    return _pool.AvgPool2d.apply(x, kernel=kernel, stride=stride_hw, padding=pads)


def adaptive_avg_pool2d(x: Tensor, output_size: Any) -> Tensor:
    """Average-pool to a fixed (OH, OW); 1 is global average pooling (N, C, 1, 1).

    Supported when H and W are multiples of OH and OW (then it is an ``avg_pool2d`` with
    kernel = stride = H/OH × W/OW); otherwise a ValueError.
    """
    owner = "adaptive_avg_pool2d"
    _conv.check_4d(x, owner)
    items = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * 2
    h, w = x.shape[2:]
    oh, ow = (h if items[0] is None else items[0]), (w if items[1] is None else items[1])
    oh, ow = _conv.pair((oh, ow), "output_size", owner)
    if h % oh or w % ow:
        raise ValueError(
            f"{owner}: input size {h}×{w} is not divisible by output_size {oh}×{ow}; "
            f"only evenly dividing sizes are supported"
        )
    kernel = (h // oh, w // ow)
    return _pool.AvgPool2d.apply(x, kernel=kernel, stride=kernel, padding=((0, 0), (0, 0)))


def batch_norm(x: Tensor, running_mean: Any, running_var: Any, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Batch normalization over axis 1 (channels) of (N, C), (N, C, L) or (N, C, H, W).

    Training: normalize with the batch's μ and biased σ², and update the running averages
    in place: running ← (1 − momentum)·running + momentum·batch (the variance update uses
    the unbiased m/(m − 1)·σ², as PyTorch). Eval: normalize with the running averages.
    ``running_mean``/``running_var`` may be None in training (no running update).
    """
    owner = "batch_norm"
    running_mean = running_mean.data if isinstance(running_mean, Tensor) else running_mean
    running_var = running_var.data if isinstance(running_var, Tensor) else running_var
    if x.ndim < 2:
        raise ValueError(f"{owner}: expected input (N, C, ...), got shape {tuple(x.shape)}")
    if training:
        m = x.data.size // x.shape[1]
        if m <= 1:
            raise ValueError(
                f"{owner}: training needs more than one value per channel, got input of "
                f"shape {tuple(x.shape)}"
            )
        mean, var = _norm.batch_stats(x.data)
        if running_mean is not None:
            running_mean *= 1.0 - momentum
            running_mean += momentum * mean
        if running_var is not None:
            running_var *= 1.0 - momentum
            running_var += (momentum * m / (m - 1)) * var
    else:
        if running_mean is None or running_var is None:
            raise ValueError(f"{owner}: eval mode needs running_mean and running_var")
        mean, var = running_mean, running_var
    if weight is None and bias is not None:
        weight = Tensor(_backend.xp.ones(x.shape[1], dtype=x.dtype), dtype=x.dtype)
    inputs = [x] + [t for t in (weight, bias) if t is not None]
    return _norm.BatchNorm.apply(*inputs, mean=mean, var=var, eps=eps, training=training)


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Inverted dropout: in training zero each unit with probability p and scale the rest
    by 1/(1 − p); identity when not training."""
    _dropout_check(p, "dropout")
    if not training or p == 0.0:
        return x
    return _dropout.Dropout.apply(x, mask=_dropout.dropout_mask(x.shape, p, x.dtype, like=x.data))


def dropout2d(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Channel dropout for (N, C, H, W): whole feature maps are zeroed together."""
    _dropout_check(p, "dropout2d")
    _conv.check_4d(x, "dropout2d")
    if not training or p == 0.0:
        return x
    mask = _dropout.dropout_mask((x.shape[0], x.shape[1], 1, 1), p, x.dtype, like=x.data)
    return _dropout.Dropout.apply(x, mask=mask)


def _dropout_check(p: float, owner: str) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{owner}: drop probability p must be in [0, 1], got {p}")


# =====================================================================================
# Decoder layers (issue 5, autoencoders): nearest upsampling and transposed convolution.
# Formulas are in glassbox/ops/{upsample,conv_transpose}.py.
# =====================================================================================
from ..ops import conv_transpose as _convt  # noqa: E402
from ..ops import upsample as _upsample  # noqa: E402


def upsample(x: Tensor, scale_factor: Any = 2, mode: str = "nearest") -> Tensor:
    """Enlarge x (N, C, H, W) to (N, C, k_h·H, k_w·W) by copying each pixel into a k_h×k_w block.

    ``scale_factor``: a positive int k or a pair (k_h, k_w). Only ``mode="nearest"``.
    """
    owner = "upsample"
    if mode != "nearest":
        raise ValueError(f"{owner}: only mode='nearest' is implemented, got mode={mode!r}")
    _conv.check_4d(x, owner)
    scale = _conv.pair(scale_factor, "scale_factor", owner)
    return _upsample.UpsampleNearest.apply(x, scale=scale)


def _non_negative_pair(value: Any, name: str, owner: str) -> tuple[int, int]:
    items = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0
                                  for v in items):
        raise ValueError(f"{owner}: `{name}` must be a non-negative int or a pair of them, "
                         f"got {value!r}")
    return items[0], items[1]


def conv_transpose_args(in_hw: Any, kernel: Any, stride: Any, padding: Any, output_padding: Any,
                        owner: str) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """Check (stride, padding, output_padding) of a transposed conv and that the output is
    non-empty; returns them as pairs."""
    stride_hw = _conv.pair(stride, "stride", owner)
    pads = _non_negative_pair(padding, "padding", owner)
    out_pads = _non_negative_pair(output_padding, "output_padding", owner)
    if any(op >= s for op, s in zip(out_pads, stride_hw)):
        raise ValueError(f"{owner}: output_padding {out_pads} must be smaller than the stride "
                         f"{stride_hw} in each direction")
    if in_hw is not None:
        out = [_convt.conv_transpose_out_size(n, f, s, p, op)
               for n, f, s, p, op in zip(in_hw, kernel, stride_hw, pads, out_pads)]
        if min(out) < 1:
            raise ValueError(
                f"{owner}: output size (n − 1)·s − 2p + f + output_padding = {tuple(out)} is "
                f"empty for input {tuple(in_hw)}, kernel {tuple(kernel)}, stride {stride_hw}, "
                f"padding {pads}, output_padding {out_pads}"
            )
    return stride_hw, pads, out_pads


def conv_transpose2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0) -> Tensor:
    """Transposed convolution of x (N, in, H, W) with weight (in, out, kh, kw), plus bias (out,).

    The adjoint of ``conv2d`` with the same weight, stride and padding. Output size per side:
    (n − 1)·s − 2p + f + output_padding, with output_padding < s.
    """
    owner = "conv_transpose2d"
    if weight.ndim != 4:
        raise ValueError(f"{owner}: weight must be (in, out, kh, kw), got shape {tuple(weight.shape)}")
    _conv.check_4d(x, owner, weight.shape[0])
    stride_hw, pads, out_pads = conv_transpose_args(x.shape[2:], weight.shape[2:], stride, padding,
                                                    output_padding, owner)
    if bias is not None and tuple(bias.shape) != (weight.shape[1],):
        raise ValueError(f"{owner}: bias must have shape ({weight.shape[1]},), got {tuple(bias.shape)}")
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return _convt.ConvTranspose2d.apply(*inputs, stride=stride_hw, padding=pads,
                                        output_padding=out_pads)

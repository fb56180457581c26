"""Conv → BatchNorm (→ ReLU) as one convolution at inference (PyTorch's
``torch.nn.utils.fusion.fuse_conv_bn_eval``, applied automatically where it is exact).

In eval mode batch norm is a fixed affine map per channel,

    z̃ = γ·(z − μ)/√(σ² + ε) + β = a·z + c,    a = γ/√(σ² + ε),   c = β − a·μ

with the running μ, σ². Applied to a convolution's output z = W ∗ x + b it folds into the
convolution itself:

    BN(W ∗ x + b) = (a·W) ∗ x + (a·b + c)

(each output channel's filter scaled by its a, the bias shifted), so the batch-norm pass over
the activations disappears; a ReLU after it is applied in place to the convolution's fresh
output instead of allocating another array.

A ReLU followed by a max-pool is run the other way round, pool first: max and ReLU commute,
max_i relu(a_i) = relu(max_i a_i), and so do their gradients (when the window's max is > 0
both route ∂L/∂a to the first position of that max; when it is ≤ 0 both give 0), so the
result is identical while the ReLU and its backward touch a quarter of the values (2×2).

``Sequential`` and the residual blocks call ``conv_bn`` for every Conv2d → BatchNorm2d
(→ ReLU) run. It fuses only when the result is the same: gradient recording is off
(``no_grad``: nothing will be differentiated), the batch norm is in eval mode with running
statistics, and none of the modules has a forward hook (a hook would miss its call).
Otherwise the modules run one after the other, as written.
"""
from __future__ import annotations

import copy
from typing import Any

from .. import backend, parallel
from ..core.grad_mode import is_grad_enabled
from ..core.tensor import Tensor
from . import functional as F
from .activation import ReLU
from .conv import Conv2d
from .module import Module
from .normalization import BatchNorm2d
from .pooling import MaxPool2d


def _array(v: Any) -> Any:
    return v.data if isinstance(v, Tensor) else v


def fold_bn(weight: Any, bias: Any, bn: BatchNorm2d) -> tuple[Any, Any]:
    """(a·W, a·b + c) as arrays: the filters and bias of the convolution that equals
    conv(W, b) followed by ``bn`` in eval mode."""
    var, mean = _array(bn.running_var), _array(bn.running_mean)
    xp = backend.array_module(var)  # called outside an op: the arrays' own module
    a = 1.0 / xp.sqrt(var + var.dtype.type(bn.eps))
    if bn.weight is not None:
        a = a * bn.weight.data
    shift = -a * mean if bn.bias is None else bn.bias.data - a * mean
    folded_bias = shift if bias is None else shift + a * bias
    a = a.astype(weight.dtype, copy=False)
    return weight * a.reshape(-1, 1, 1, 1), folded_bias.astype(weight.dtype, copy=False)


def fuse_conv_bn_eval(conv: Conv2d, bn: BatchNorm2d) -> Conv2d:
    """A new Conv2d (with a bias) equal to ``conv`` followed by ``bn`` in eval mode — PyTorch's
    ``torch.nn.utils.fusion.fuse_conv_bn_eval``; the modules given are not changed."""
    if conv.training or bn.training:
        raise ValueError("fuse_conv_bn_eval: only for eval mode (call .eval() on both modules); "
                         "in training, batch norm uses the batch's statistics")
    fused = copy.deepcopy(conv)
    weight, bias = fold_bn(conv.weight.data, None if conv.bias is None else conv.bias.data, bn)
    fused.weight.data = weight
    if fused.bias is None:
        fused.bias = type(conv.weight)(bias, dtype=bias.dtype)
    else:
        fused.bias.data = bias
    return fused


def fusable(conv: Module, bn: Module, relu: Module | None = None) -> bool:
    """True when conv → bn (→ relu) may run as one fused convolution with the same result."""
    return (not is_grad_enabled() and type(conv) is Conv2d and type(bn) is BatchNorm2d
            and not bn.training and bn.running_mean is not None
            and bn.num_features == conv.out_channels
            and not conv._forward_hooks and not bn._forward_hooks
            and (relu is None or (type(relu) is ReLU and not relu._forward_hooks)))


def conv_bn(conv: Module, bn: Module, x: Tensor, relu: Module | None = None) -> Tensor:
    """relu(bn(conv(x))) (relu optional): fused when ``fusable``, else module by module."""
    if not fusable(conv, bn, relu):
        z = bn(conv(x))
        return z if relu is None else relu(z)
    weight, bias = fold_bn(conv.weight.data, None if conv.bias is None else conv.bias.data, bn)
    out = F.conv2d(x, Tensor(weight, dtype=weight.dtype), Tensor(bias, dtype=bias.dtype), conv.stride, conv.padding, conv.dilation,
                   conv.groups, where=conv)
    if relu is not None:
        xp = backend.array_module(out.data)
        parallel.elementwise(lambda o, z: xp.maximum(z, 0, out=o), out.data, out.data)
    return out


def fusable_run(layers: list[Module], i: int) -> int:
    """How many layers from ``layers[i]`` form a Conv2d → BatchNorm2d (→ ReLU) run that can be
    fused now: 3, 2, or 0."""
    if i + 1 >= len(layers) or not isinstance(layers[i], Conv2d):
        return 0
    conv, bn = layers[i], layers[i + 1]
    if i + 2 < len(layers) and fusable(conv, bn, layers[i + 2]):
        return 3
    return 2 if fusable(conv, bn) else 0


def pool_first(relu: Module, pool: Module) -> bool:
    """True when relu → max-pool may run as max-pool → relu (plain modules, no hooks, the pool
    returning only its output)."""
    return (type(relu) is ReLU and type(pool) is MaxPool2d and not pool.return_indices
            and not relu._forward_hooks and not pool._forward_hooks)


def forward_fused(layers: list[Module], i: int, x: Tensor) -> tuple[Tensor, int]:
    """For ``Sequential``: the rewritten run starting at ``layers[i]``, if any — (output, how
    many layers it covered) — or (x, 0) when layers[i] runs by itself: at inference
    Conv2d → BatchNorm2d (→ ReLU) as one convolution, and ReLU → MaxPool2d as MaxPool2d → ReLU."""
    if not is_grad_enabled():
        run = fusable_run(layers, i)
        if run:
            return conv_bn(layers[i], layers[i + 1], x, layers[i + 2] if run == 3 else None), run
    if i + 1 < len(layers) and pool_first(layers[i], layers[i + 1]):
        return layers[i](layers[i + 1](x)), 2
    return x, 0


__all__ = ["conv_bn", "fold_bn", "forward_fused", "fuse_conv_bn_eval", "fusable", "pool_first"]

"""``SyncBatchNorm``: batch normalization with the statistics of the whole global batch.

Plain ``BatchNorm`` under data parallelism normalizes each rank's B samples with that
rank's own μ and σ² (the default, as in PyTorch). ``SyncBatchNorm`` normalizes with the
statistics of all p·B samples, so that p ranks compute exactly what one process would
on the whole batch. For one channel, with M = Σ_r m_r values over all ranks:

    forward:   one allreduce of (Σ z, Σ z², m) per channel, then
               μ = Σ z / M,    σ² = Σ z² / M − μ²,    ẑ = (z − μ)/√(σ² + ε),  z̃ = γ·ẑ + β

    backward:  one allreduce of (Σ dy, Σ dy·ẑ) per channel (dy = ∂L_r/∂z̃ on each rank), then
               ∂L/∂z = γ/σ · (dy − Σ dy / M − ẑ · Σ(dy·ẑ) / M)

which is the plain batch-norm gradient with the sums and the count taken over all ranks:
the gradient, on this rank's inputs, of the sum of all ranks' losses (DDP then divides the
parameter gradients by p). ∂L/∂γ = Σ dy·ẑ and ∂L/∂β = Σ dy stay local sums: DDP averages
them like any other parameter gradient. The running averages are updated with the global
μ and the unbiased M/(M − 1)·σ², identically on every rank.

In eval mode, or in a world of one, it is exactly ``BatchNorm``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..core.tensor import Tensor
from ..errors import ShapeError
from ..nn.functional import _update_running
from ..nn.module import Module
from ..nn.normalization import _BatchNorm
from ..ops.normalization import BatchNorm as _BatchNormFn
from ..ops.normalization import _per_channel, channel_axes
from . import comm as _comm


def _allreduce(group: Any, values: np.ndarray) -> np.ndarray:
    group.Allreduce(_comm.get_mpi().IN_PLACE, values)
    return values


class SyncBatchNormFunction(_BatchNormFn):
    """The batch-norm op of ``ops.normalization`` whose backward sums Σ dy and Σ dy·ẑ over
    all ranks and divides by the global count M (see the module docstring)."""

    def forward(self, x: Any, weight: Any = None, bias: Any = None, mean: Any = None,
                var: Any = None, eps: float = 1e-5, training: bool = True,
                group: Any = None, count: float = 0.0) -> Any:
        self.group, self.count = group, count
        return super().forward(x, weight, bias, mean=mean, var=var, eps=eps, training=training)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        needs = self.needs_input_grad
        nd, x_hat = grad.ndim, self.x_hat
        axes = channel_axes(nd)
        sum_dy = grad.sum(axis=axes)
        sum_dy_xhat = (grad * x_hat).sum(axis=axes)
        dweight = sum_dy_xhat if len(needs) > 1 and needs[1] else None
        dbias = sum_dy if len(needs) > 2 and needs[2] else None
        dx = None
        if needs[0]:
            sums = _allreduce(self.group, np.concatenate([sum_dy, sum_dy_xhat]).astype(np.float64))
            c = len(sum_dy)
            mean_dy = (sums[:c] / self.count).astype(grad.dtype)
            mean_dy_xhat = (sums[c:] / self.count).astype(grad.dtype)
            scale = self.inv_std if self.weight is None else self.weight * self.inv_std
            dx = x_hat * _per_channel(mean_dy_xhat, nd)
            dx += _per_channel(mean_dy, nd)
            dx = grad - dx
            dx *= _per_channel(scale, nd)
        self.x_hat = None
        return (dx, dweight, dbias)[:len(needs)]


class SyncBatchNorm(_BatchNorm):
    """Batch norm over (N, C, ...) inputs with statistics synchronized across the ranks.

    Args: as ``BatchNorm2d`` (``num_features``, ``eps``, ``momentum`` — None for the
    cumulative average —, ``affine``, ``track_running_stats``, ``dtype``), plus
    ``process_group``: an mpi4py communicator (default ``MPI.COMM_WORLD``).
    Convert an existing model with ``SyncBatchNorm.convert_sync_batchnorm(model)``.
    """

    _expected_ndim = (2, 3, 4, 5)
    _shape_text = "(N, {C}, ...)"

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, process_group: Any = None,
                 dtype: type = np.float32) -> None:
        super().__init__(num_features, eps=eps, momentum=momentum, affine=affine,
                         track_running_stats=track_running_stats, dtype=dtype)
        object.__setattr__(self, "process_group", process_group)

    def _group(self) -> Any:
        group = self.process_group if self.process_group is not None else _comm.get_comm()
        return group if group is not None and group.Get_size() > 1 else None

    def forward(self, x: Tensor) -> Tensor:
        group = self._group() if self.training else None
        if group is None:
            return super().forward(x)
        if x.ndim not in self._expected_ndim or x.shape[1] != self.num_features:
            raise ShapeError(f"{self!r}: expected input of shape "
                             f"{self._shape_text.format(C=self.num_features)}, got {tuple(x.shape)}")
        data = x.data
        axes = channel_axes(data.ndim)
        c = self.num_features
        stats = np.empty(2 * c + 1, dtype=np.float64)
        stats[:c] = data.sum(axis=axes, dtype=np.float64)
        stats[c:2 * c] = (data * data).sum(axis=axes, dtype=np.float64)
        stats[-1] = data.size // c
        _allreduce(group, stats)
        count = stats[-1]
        if count <= 1:
            raise ShapeError(f"{self!r}: training needs more than one value per channel over all "
                             f"ranks, got input of shape {tuple(x.shape)} on this rank")
        mean = stats[:c] / count
        var = np.maximum(stats[c:2 * c] / count - mean * mean, 0.0)
        # the one running-average update of F.batch_norm (momentum, or 1/t when None), with the
        # global statistics and count; num_batches_tracked counts the training batches
        _update_running(self.running_mean, self.running_var, mean, var, count, self.momentum,
                        self.num_batches_tracked)
        inputs = [x] + [t for t in (self.weight, self.bias) if t is not None]
        return SyncBatchNormFunction.apply(
            *inputs, mean=mean.astype(data.dtype), var=var.astype(data.dtype), eps=self.eps,
            training=True, group=group, count=float(count))

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group: Any = None) -> Module:
        """``module`` with every ``BatchNorm1d``/``BatchNorm2d`` replaced (in place, keeping
        the order of the containers) by a ``SyncBatchNorm`` holding the same parameters and
        running statistics; returns the module (a new one if ``module`` itself is a BN)."""
        if isinstance(module, _BatchNorm) and not isinstance(module, cls):
            tracked = module.track_running_stats
            some = module.running_mean if tracked else module.weight
            dtype = (some.dtype if some is not None else np.dtype(np.float32)).type
            sync = cls(module.num_features, module.eps, module.momentum, module.affine,
                       track_running_stats=tracked, process_group=process_group, dtype=dtype)
            if module.affine:
                sync.weight, sync.bias = module.weight, module.bias
            if tracked:
                sync.running_mean[...] = module.running_mean
                sync.running_var[...] = module.running_var
                sync.num_batches_tracked[...] = module.num_batches_tracked
            sync.train(module.training)
            return sync
        for name, child in list(module._modules.items()):
            new = cls.convert_sync_batchnorm(child, process_group)
            if new is not child:
                module._modules[name] = new  # same slot: a Sequential keeps its order
                object.__setattr__(module, name, new)
        return module

    def extra_repr(self) -> str:
        return super().extra_repr() + ", synchronized"


__all__ = ["SyncBatchNorm", "SyncBatchNormFunction"]

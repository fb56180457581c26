"""``DistributedDataParallel``: the same model on every rank, gradients averaged every step.

Data-parallel SGD. Each of the p ranks holds a copy of the weights w and computes the
gradient of its own shard of the mini-batch, g_r = ∂L_r/∂w with L_r the mean loss over its
B samples. The gradient of the mean loss over all p·B samples is their average,

    ∂L/∂w = (1/p) Σ_r g_r,

which every rank obtains with one allreduce (sum) and a division by p, so every rank takes
exactly the step that one process would take on the whole p·B batch, and the copies stay
identical. With per-rank batch B this is the same as one process with batch p·B.

How (as PyTorch DDP and Horovod):

* At construction rank 0's parameters and buffers are broadcast, so all copies start equal.
* The gradients are packed into a few flat buffers (*buckets*, in reverse order of
  ``parameters()``, which is roughly the order backward produces them: the first bucket
  holds up to 1 MB, the others up to ``bucket_cap_mb``), and each bucket is allreduced as
  one message: a few large messages per step instead of one per tensor.
* A bucket's allreduce starts (non-blocking ``Iallreduce``) as soon as backward has
  produced the gradients of all its parameters, so the communication of the last layers'
  gradients overlaps with the backward pass through the first layers. When backward ends,
  the remaining buckets are started, all are awaited, divided by p and copied back
  into ``.grad``. ``optimizer.step()`` then sees the averaged gradients.
"""
from __future__ import annotations

import contextlib
import time
import weakref
from typing import Any, Iterator

import numpy as np

from ..core import engine
from ..errors import GlassboxRuntimeError, GlassboxTypeError
from ..nn.module import Module
from .. import validate as check
from . import comm as _comm

FIRST_BUCKET_BYTES = 1024 * 1024  # PyTorch's _DEFAULT_FIRST_BUCKET_BYTES


class _Bucket:
    """Parameters whose gradients travel together in one flat buffer."""

    def __init__(self, params: list[Any], dtype: Any) -> None:
        self.params = params
        self.offsets = np.cumsum([0] + [p.size for p in params]).tolist()
        self.buffer = np.zeros(self.offsets[-1], dtype=dtype)
        self.ready: set[int] = set()
        self.request: Any = None
        self.launched = False
        self.late = False  # a gradient arrived after the bucket had been sent

    def pack(self) -> None:
        for p, start, stop in zip(self.params, self.offsets, self.offsets[1:]):
            if p.grad is None:
                self.buffer[start:stop] = 0
            else:
                self.buffer[start:stop] = p.grad.data.reshape(-1)

    def unpack(self, scale: float) -> None:
        from ..core.tensor import Tensor

        self.buffer *= self.buffer.dtype.type(scale)
        for p, start, stop in zip(self.params, self.offsets, self.offsets[1:]):
            values = self.buffer[start:stop].reshape(p.shape)
            if p.grad is None:
                p.grad = Tensor._from_op(values.copy(), None)
            else:
                p.grad.data[...] = values

    def reset(self) -> None:
        self.ready.clear()
        self.request = None
        self.launched = self.late = False


def assign_buckets(params: list[Any], bucket_cap_mb: float,
                   first_bucket_bytes: int | None = None) -> list[list[Any]]:
    """Group ``params`` into buckets, last parameter first; a bucket is closed as soon as it
    holds at least its cap (1 MB for the first, ``bucket_cap_mb`` MB for the others), and
    parameters of different dtypes never share one."""
    cap_bytes = bucket_cap_mb * 1024 * 1024
    first = FIRST_BUCKET_BYTES if first_bucket_bytes is None else first_bucket_bytes
    groups: list[list[Any]] = []
    open_by_dtype: dict[Any, list[Any]] = {}
    filled: dict[Any, int] = {}
    for p in reversed(params):
        key = p.data.dtype
        current = open_by_dtype.setdefault(key, [])
        current.append(p)
        filled[key] = filled.get(key, 0) + p.data.nbytes
        limit = first if not groups else cap_bytes
        if filled[key] >= limit:
            groups.append(current)
            open_by_dtype[key], filled[key] = [], 0
    groups.extend(group for group in open_by_dtype.values() if group)
    return groups


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training across the ranks of the MPI job.

    Call it like the module (``ddp(x)``); after ``loss.backward()`` every parameter's
    ``.grad`` holds the average over the ranks of their local gradients. Use a
    ``DistributedSampler`` so that each rank sees its own shard of the data.

    Args:
        module: the model (a ``Module``), identical in structure on every rank.
        broadcast_buffers: broadcast rank 0's buffers (e.g. batch-norm running statistics)
            at the start of every training-mode forward, so that all copies keep rank 0's.
        bucket_cap_mb: the size of the gradient buckets after the first (MB; PyTorch's 25).
        find_unused_parameters: accepted for PyTorch compatibility; parameters that get no
            gradient in a step are always handled (their bucket is sent when backward ends,
            with zeros for them).
        process_group: an mpi4py communicator (default ``MPI.COMM_WORLD``).

    Attributes: ``module``; ``comm_time`` (seconds spent in MPI calls and in packing the
    buckets, cumulative) and ``wait_time`` (seconds blocked at the end of backward waiting
    for the allreduces to finish); ``early_buckets`` (how many bucket allreduces started
    while backward was still running); ``buckets`` (the parameter names of each bucket).
    """

    def __init__(self, module: Module, broadcast_buffers: bool = True, bucket_cap_mb: float = 25.0,
                 find_unused_parameters: bool = False, process_group: Any = None) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise GlassboxTypeError(
                f"DistributedDataParallel: expected a Module to wrap, got {type(module).__name__}")
        check.number(bucket_cap_mb=bucket_cap_mb, low=0, low_open=True, where="DistributedDataParallel")
        self.module = module
        self.broadcast_buffers = bool(broadcast_buffers)
        self.find_unused_parameters = bool(find_unused_parameters)
        group = process_group if process_group is not None else _comm.get_comm()
        object.__setattr__(self, "_group", group)
        self.world_size = 1 if group is None else group.Get_size()
        self.comm_time = 0.0
        self.wait_time = 0.0
        self.early_buckets = 0  # buckets whose allreduce started while backward was running
        self._sync = True
        self._active = False
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        on_device = [n for n, p in named if not isinstance(p.data, np.ndarray)]
        if on_device:
            raise GlassboxRuntimeError(
                f"DistributedDataParallel: parameter {on_device[0]!r} is not a NumPy array (on a "
                "GPU?); the gradient buckets are host arrays: train on the CPU (--device cpu)")
        names = {id(p): n for n, p in named}
        self._buckets = [_Bucket(g, g[0].data.dtype) for g in
                         assign_buckets([p for _, p in named], bucket_cap_mb)]
        self.buckets = [[names[id(p)] for p in b.params] for b in self._buckets]
        self._bucket_of = {id(p): i for i, b in enumerate(self._buckets) for p in b.params}
        self._next = 0  # the first bucket not yet sent (buckets are sent in order on every rank)
        if self.world_size > 1:
            self._broadcast(module.parameters(), buffers=False)
            self._broadcast(module.named_buffers(), buffers=True)
            self._register_hooks()

    # ------------------------------------------------------------------ forward
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        if self.world_size > 1 and self.training and self.broadcast_buffers:
            self._broadcast(self.module.named_buffers(), buffers=True)
        return self.module(*args, **kwargs)

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Inside this block backward only accumulates local gradients (no communication);
        the first backward after it averages everything accumulated (gradient accumulation)."""
        previous, self._sync = self._sync, False
        try:
            yield
        finally:
            self._sync = previous

    # ---------------------------------------------------------------- internals
    def _broadcast(self, items: Any, buffers: bool) -> None:
        for item in items:
            array = item[1] if buffers else item.data
            if not isinstance(array, np.ndarray) or not array.size:
                continue
            if array.flags.c_contiguous:
                _comm.broadcast_(array)
            else:
                array[...] = _comm.broadcast_(np.ascontiguousarray(array))

    def _register_hooks(self) -> None:
        me = weakref.ref(self)

        def on_grad(param: Any) -> None:
            ddp = me()
            if ddp is not None:
                ddp._on_grad(param)

        def on_backward_end() -> None:
            ddp = me()
            if ddp is not None and ddp._active:
                ddp._finish()

        ids = list(self._bucket_of)
        for key in ids:
            engine.post_accumulate_grad_hooks[key] = on_grad
        engine.backward_end_callbacks.append(on_backward_end)
        weakref.finalize(self, _unregister, ids, on_grad, on_backward_end)

    def _on_grad(self, param: Any) -> None:
        if not self._sync:
            return
        index = self._bucket_of.get(id(param))
        if index is None:
            return
        self._active = True
        bucket = self._buckets[index]
        if bucket.launched:
            bucket.late = True
            return
        bucket.ready.add(id(param))
        if len(bucket.ready) == len(bucket.params) and index == self._next:
            start = time.perf_counter()
            self._launch_ready(all_of_them=False)
            self.comm_time += time.perf_counter() - start
        elif self._next > 0:
            start = time.perf_counter()
            self._progress()
            self.comm_time += time.perf_counter() - start

    def _launch_ready(self, all_of_them: bool) -> None:
        MPI = _comm.get_mpi()
        while self._next < len(self._buckets):
            bucket = self._buckets[self._next]
            if not all_of_them and len(bucket.ready) < len(bucket.params):
                break
            bucket.pack()
            bucket.request = self._group.Iallreduce(MPI.IN_PLACE, bucket.buffer, op=MPI.SUM)
            bucket.launched = True
            self._next += 1
            self.early_buckets += not all_of_them

    def _progress(self) -> None:
        """Let MPI move the pending allreduces on (it progresses only inside MPI calls)."""
        requests = [b.request for b in self._buckets[:self._next] if b.request is not None]
        if requests:
            _comm.get_mpi().Request.Testall(requests)

    def _finish(self) -> None:
        """End of backward: send what is left, wait for everything, average, copy back."""
        MPI = _comm.get_mpi()
        start = time.perf_counter()
        self._launch_ready(all_of_them=True)
        waited = time.perf_counter()
        MPI.Request.Waitall([b.request for b in self._buckets])
        self.wait_time += time.perf_counter() - waited
        for bucket in self._buckets:
            if bucket.late:  # a shared parameter's second gradient came after the send
                bucket.pack()
                self._group.Allreduce(MPI.IN_PLACE, bucket.buffer, op=MPI.SUM)
            bucket.unpack(1.0 / self.world_size)
            bucket.reset()
        self._next = 0
        self._active = False
        self.comm_time += time.perf_counter() - start

    def extra_repr(self) -> str:
        return f"world_size={self.world_size}, buckets={len(self._buckets)}"


def _unregister(ids: list[int], on_grad: Any, on_backward_end: Any) -> None:
    for key in ids:
        if engine.post_accumulate_grad_hooks.get(key) is on_grad:
            del engine.post_accumulate_grad_hooks[key]
    with contextlib.suppress(ValueError):
        engine.backward_end_callbacks.remove(on_backward_end)

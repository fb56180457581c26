"""What ``fit(..., distributed=True)`` does differently (the training loop itself is shared).

* The model is wrapped in ``DistributedDataParallel`` (rank 0's weights broadcast, the
  gradients averaged every step); callbacks still see the plain model, so checkpoints hold
  the same keys as a one-process run.
* ``(x, y)`` data is sharded with a ``DistributedSampler`` (batch_size is per rank, as in
  PyTorch DDP: the global batch is p·batch_size); a loader must already shard its data.
  ``set_epoch`` is called every epoch, and every rank must run as many steps as the others.
* The epoch's training loss and accuracy are averaged over the ranks (equal shards, so
  this is the global mean); validation data ``(x, y)`` is split into disjoint shards
  x[r::p] and the sums of the losses and the counts of correct answers are added up over
  the ranks, so the validation accuracy is exactly the one-process figure.
* Only rank 0 keeps the progress bar, checkpoints and loggers.
* An exception on any rank aborts the whole job (``MPI.Abort``) naming the rank.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from ..errors import InvalidArgumentError
from . import comm as _comm
from .ddp import DistributedDataParallel
from .sampler import DistributedSampler

# Callbacks that write files or print: kept on rank 0 only.
_MAIN_ONLY = ("ProgressBar", "ModelCheckpoint", "CSVLogger", "JSONLogger", "TensorBoard",
              "TensorBoardLogger")


def is_main_only(callback: Any) -> bool:
    """True for callbacks that print or write files (``main_process_only = True`` marks others)."""
    if getattr(callback, "main_process_only", False):
        return True
    return any(cls.__name__ in _MAIN_ONLY for cls in type(callback).__mro__)


def stand_in(callback: Any) -> Any:
    """What a rank other than 0 runs instead of a callback that prints or writes: nothing,
    under the same class name, so that resuming finds a place for every callback state that
    rank 0 saved."""
    from ..training.callbacks import Callback

    silent = type(type(callback).__name__, (Callback,), {
        "__doc__": "Does nothing (this rank is not rank 0).", "main_process_only": True,
        "state_dict": lambda self: None, "load_state_dict": lambda self, state: None})
    return silent()


def find_sampler(loader: Any) -> DistributedSampler | None:
    """The ``DistributedSampler`` inside ``loader`` (looking through wrappers such as
    ``AugmentedLoader`` via their ``loader``/``dataloader``/``base`` attribute), or None."""
    seen = 0
    while loader is not None and seen < 8:
        sampler = getattr(loader, "sampler", None)
        if isinstance(sampler, DistributedSampler):
            return sampler
        loader = next((getattr(loader, a) for a in ("loader", "dataloader", "base")
                       if getattr(loader, a, None) is not None), None)
        seen += 1
    return None


def shard(data: Any) -> Any:
    """This rank's disjoint share ``(x[r::p], y[r::p])`` of a pair; a loader is returned as is."""
    if isinstance(data, (tuple, list)) and len(data) == 2:
        r, p = _comm.rank(), _comm.world_size()
        return data[0][r::p], data[1][r::p]
    return data


def evaluate(model: Any, data: Any, loss_fn: Any = None, batch_size: int = 1000) -> dict[str, float]:
    """``training.evaluate`` over all ranks: each evaluates its shard of an ``(x, y)`` pair,
    and Σ loss·n, Σ correct and Σ n are added up, so the result is the one-process figure
    (accuracy exactly). A loader is evaluated whole on every rank."""
    from ..training.fit import evaluate as local_evaluate

    if _comm.world_size() == 1 or not (isinstance(data, (tuple, list)) and len(data) == 2):
        return local_evaluate(model, data, loss_fn, batch_size)
    x, y = shard(data)
    n = len(x)
    result = local_evaluate(model, (x, y), loss_fn, batch_size) if n else {}
    keys = sorted(result) if n else []
    keys = _comm.broadcast_object(keys)  # rank 0 always has a non-empty shard
    sums = _comm.allreduce_sum([n] + [round(result[k] * n) if k == "accuracy" else
                                      result.get(k, 0.0) * n for k in keys])
    total = sums[0]
    return {k: float(v / total) for k, v in zip(keys, sums[1:])}


class DistributedContext:
    """The distributed side of one ``Trainer``: built by ``Trainer(..., distributed=True)``."""

    def __init__(self, model: Any) -> None:
        _comm.init()
        self.rank, self.world_size = _comm.rank(), _comm.world_size()
        self.ddp = model if isinstance(model, DistributedDataParallel) else DistributedDataParallel(model)
        self.model = self.ddp.module

    def callbacks(self, callbacks: Iterable[Any], verbose: int) -> tuple[list[Any], int]:
        """The callbacks and verbosity for this rank: rank 0 keeps everything."""
        callbacks = list(callbacks)
        if self.rank == 0:
            return callbacks, verbose
        return [stand_in(cb) if is_main_only(cb) else cb for cb in callbacks], 0

    def train_loader(self, data: Any, batch_size: int | None, seed: int | None) -> Any:
        """This rank's loader: a pair is sharded by a ``DistributedSampler``; a loader must
        carry one (else every rank would train on all the data)."""
        from ..data import DataLoader, TensorDataset
        from ..training.fit import _is_loader, as_loader

        if _is_loader(data):
            if self.world_size > 1 and find_sampler(data) is None:
                raise InvalidArgumentError(
                    "fit(distributed=True): the training DataLoader does not shard the data, so "
                    f"all {self.world_size} ranks would train on the same batches; build it as "
                    "DataLoader(dataset, batch_size, sampler=DistributedSampler(dataset)), or "
                    "pass the (x, y) arrays")
            return data
        as_loader(data, batch_size, shuffle=True)  # the same checks and messages as fit
        dataset = TensorDataset(*data)
        sampler = DistributedSampler(dataset, shuffle=True, seed=0 if seed is None else seed)
        return DataLoader(dataset, batch_size=batch_size or 32, sampler=sampler)

    def begin_epoch(self, loader: Any, epoch: int) -> None:
        """``set_epoch`` on the loader's sampler; check that every rank has as many steps."""
        sampler = find_sampler(loader)
        if sampler is not None:
            sampler.set_epoch(epoch)
        try:
            steps = len(loader)
        except TypeError:
            return
        low, high = _comm.allreduce_min_max(steps)
        if low != high:
            raise InvalidArgumentError(
                f"fit(distributed=True): the ranks have different numbers of batches per epoch "
                f"({low} to {high}; rank {self.rank} has {steps}): every rank must take the same "
                "number of steps; use DistributedSampler, which gives equal shards")

    def average_logs(self, logs: dict[str, Any]) -> dict[str, Any]:
        """The epoch's training figures averaged over the ranks (equal shards: global means)."""
        keys = [k for k, v in logs.items() if isinstance(v, (int, float, np.floating))]
        sums = _comm.allreduce_sum([float(logs[k]) for k in keys])
        return {**logs, **{k: float(v / self.world_size) for k, v in zip(keys, sums)}}

    def evaluate(self, model: Any, data: Any, loss_fn: Any, batch_size: int) -> dict[str, float]:
        return evaluate(model, data, loss_fn, batch_size)

    @staticmethod
    def run(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``function(*args, **kwargs)``; an exception aborts every rank, naming this one."""
        with _comm.abort_on_exception():
            return function(*args, **kwargs)

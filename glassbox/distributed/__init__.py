"""Data-parallel training across processes and machines, on MPI (mpi4py + Open MPI).

Start p copies of a script with ``mpirun -n p python train.py`` (or ``glassbox train
--nproc p``); each copy is a *rank*. Every rank holds the whole model, trains on its own
shard of each mini-batch, and the gradients are averaged across the ranks with ring
allreduce before every optimizer step, so all copies stay identical and p ranks with
per-rank batch B take the same steps as one process with batch p·B::

    from glassbox import distributed as dist
    dist.init()
    model = dist.DistributedDataParallel(model)
    loader = DataLoader(ds, batch_size=64, sampler=dist.DistributedSampler(ds, seed=0))
    ...                                  # the usual loop, or fit(..., distributed=True)

Without an MPI launcher a script is a world of one (rank 0 of 1) and none of this costs
anything. Install with ``pip install 'glassbox[distributed]'``. See docs/distributed.md.
"""
from .comm import (
    abort, abort_on_exception, allreduce_sum, barrier, broadcast_, broadcast_object, get_comm,
    init, is_distributed, is_main, launched_by_mpi, rank, world_size,
)
from .ddp import DistributedDataParallel
from .sampler import DistributedSampler
from .sync_batchnorm import SyncBatchNorm
from .training import evaluate, shard

__all__ = [
    "init", "rank", "world_size", "is_main", "is_distributed", "launched_by_mpi", "get_comm",
    "allreduce_sum", "broadcast_", "broadcast_object", "barrier", "abort", "abort_on_exception",
    "DistributedDataParallel", "DistributedSampler", "SyncBatchNorm", "evaluate", "shard",
]

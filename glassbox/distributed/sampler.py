"""``DistributedSampler``: each rank's shard of every epoch's order of the samples.

Every rank draws the same permutation π of 0 … n−1 (seeded with ``seed + epoch``, so a
new order each epoch after ``set_epoch(epoch)`` and the same one on every rank), pads it
by repeating its beginning to a multiple of p (or, with ``drop_last``, cuts the tail),
and takes every p-th entry starting at its rank:

    shard_r = (π₀, π₁, …)[r :: p],    |shard_r| = ⌈n / p⌉  (⌊n / p⌋ with drop_last)

so the shards are disjoint (but for the ≤ p − 1 padded repeats), cover the data and have
equal lengths: every rank runs the same number of steps, which the gradient allreduce needs.
Pass it to ``DataLoader(dataset, batch_size, sampler=...)``; ``fit(..., distributed=True)``
calls ``set_epoch`` every epoch.
"""
from __future__ import annotations

import math
from typing import Any, Iterator

import numpy as np

from .. import validate as check
from . import comm as _comm


class DistributedSampler:
    """The indices of rank ``rank``'s share of ``dataset`` (PyTorch's signature).

    Args:
        dataset: anything with ``len()``.
        num_replicas: the number of ranks (default: the world size).
        rank: this rank (default: the process's rank).
        shuffle: a new seeded permutation every epoch; False keeps the order 0 … n−1.
        seed: the same on every rank.
        drop_last: cut the tail instead of padding, so no sample is seen twice.

    NumPy's PCG64 generator (seeded with ``seed + epoch``) draws the permutation, so the
    orders differ from PyTorch's (torch.Generator) for the same seed.
    """

    def __init__(self, dataset: Any, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        where = "DistributedSampler"
        replicas = _comm.world_size() if num_replicas is None else check.positive_int(
            num_replicas=num_replicas, where=where)
        me = _comm.rank() if rank is None else check.integer(
            rank=rank, low=0, high=replicas - 1, where=where)
        self.dataset = dataset
        self.num_replicas, self.rank = replicas, me
        self.shuffle, self.seed, self.drop_last = bool(shuffle), int(seed), bool(drop_last)
        self.epoch = 0
        n = len(dataset)
        if drop_last and n % replicas:
            self.num_samples = n // replicas
        else:
            self.num_samples = math.ceil(n / replicas)
        self.total_size = self.num_samples * replicas

    def set_epoch(self, epoch: int) -> None:
        """Use epoch ``epoch``'s permutation (call it on every rank before each epoch)."""
        self.epoch = check.non_negative_int(epoch=epoch, where="DistributedSampler.set_epoch")

    def indices(self) -> np.ndarray:
        """This rank's shard for the current epoch, as an int64 array."""
        n = len(self.dataset)
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            order = np.arange(n)
        if self.total_size > n:  # pad by repeating the start (more than once if p > n)
            order = np.resize(order, self.total_size)
        order = order[:self.total_size]
        return order[self.rank::self.num_replicas].astype(np.int64, copy=False)

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices().tolist())

    def __len__(self) -> int:
        return self.num_samples

    def __repr__(self) -> str:
        return (f"DistributedSampler(n={len(self.dataset)}, num_replicas={self.num_replicas}, "
                f"rank={self.rank}, shuffle={self.shuffle}, seed={self.seed}, "
                f"drop_last={self.drop_last})")

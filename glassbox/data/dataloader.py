"""``DataLoader``: iterate over a dataset in (shuffled) mini-batches of Tensors.

Each epoch draws one permutation of the sample indices from the loader's own
``np.random.Generator`` and cuts it into consecutive batches; every batch is
one fancy-index into the dataset's arrays. Nothing copies the whole dataset.
With the same seed the sequence of epochs is the same; successive epochs of
one loader get different orders because the generator moves on.

``state_dict()`` can be taken at any moment, also in the middle of an epoch: it holds the
generator's state from before the epoch's permutation and how many batches were handed
out, so a loader given it with ``load_state_dict`` continues with the very next batch of
the same order (resuming an interrupted training run bit for bit).
"""
from __future__ import annotations

import math
from typing import Any, Iterator

import numpy as np

from .. import backend
from ..core.tensor import Tensor
from ..device import as_device
from ..random import default_generator
from .dataset import fetch_batch


def _wrap(array: np.ndarray, device: Any = None) -> Tensor:
    if array.dtype.kind in "iu" and array.dtype != np.int64:
        array = array.astype(np.int64)
    if device is not None:  # one host→device copy per array and batch
        array = backend.to_device(array, device)
    elif backend.xp is not np:
        array = backend.xp.asarray(array)
    return Tensor._from_op(array, None)


class DataLoader:
    """Mini-batches of a dataset as tuples of Tensors.

    Args:
        dataset: a ``Dataset`` (anything with ``__len__`` and ``__getitem__``; a
            ``get_batch(indices)`` method makes batching loop-free).
        batch_size: samples per batch.
        shuffle: draw a new random order every epoch.
        drop_last: skip the last batch when it is smaller than ``batch_size``.
        seed: seed of the loader's own generator.
        generator: a ``np.random.Generator`` to use instead (not with ``seed``).
            With neither, the generator is seeded from ``glassbox.manual_seed``'s
            global generator, so seeding that makes the loader reproducible too.
        sampler: an iterable of sample indices that fixes each epoch's order instead
            (not with ``shuffle``), e.g. ``glassbox.distributed.DistributedSampler``.
        device: put every batch on this device (``"cuda"``): one copy per batch. Without
            it batches stay on the host and ``fit`` copies them onto the model's device.

    Float batches keep the dataset's dtype (float32 for ``load_mnist``); integer
    batches (labels) come out as int64.
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int = 32,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int | None = None,
        generator: np.random.Generator | None = None,
        sampler: Any = None,
        device: Any = None,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
        if seed is not None and generator is not None:
            raise ValueError("DataLoader: pass either seed or generator, not both")
        if generator is not None and not isinstance(generator, np.random.Generator):
            raise TypeError(f"DataLoader: generator must be a numpy.random.Generator, got {type(generator).__name__}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler and shuffle=True are mutually exclusive (the sampler sets the order)")
        self.dataset = dataset
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        if generator is None:
            if seed is None:
                seed = int(default_generator().integers(2**63))
            generator = np.random.default_rng(seed)
        self.generator = generator
        self._epoch_start: dict[str, Any] | None = None  # generator state before this epoch's order
        self._position = 0  # batches handed out in the current epoch
        self._resume_at = 0  # batches to skip in the next epoch (set by load_state_dict)
        self.device = None if device is None else as_device(device, where="DataLoader")

    def __len__(self) -> int:
        n = len(self.dataset) if self.sampler is None else len(self.sampler)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        skip, self._resume_at = self._resume_at, 0
        self._epoch_start = self.generator.bit_generator.state
        self._position = skip
        if self.sampler is not None:
            order = np.fromiter(self.sampler, dtype=np.int64)
            n = len(order)
        else:
            n = len(self.dataset)
            order = self.generator.permutation(n) if self.shuffle else np.arange(n)
        stop = (n // self.batch_size) * self.batch_size if self.drop_last else n
        for start in range(skip * self.batch_size, stop, self.batch_size):
            batch = fetch_batch(self.dataset, order[start:start + self.batch_size])
            self._position += 1
            yield tuple(_wrap(a, self.device) for a in batch)
        self._epoch_start = None  # the epoch is complete

    def state_dict(self) -> dict[str, Any]:
        """JSON-friendly state for checkpoints: the generator's state and, in the middle of
        an epoch, the state it had before that epoch's order was drawn and the batches
        handed out so far."""
        if self._epoch_start is None:
            return {"generator": self.generator.bit_generator.state, "position": 0}
        return {"generator": self._epoch_start, "position": self._position}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a ``state_dict()``: the next iteration continues exactly where that one was."""
        self.generator.bit_generator.state = state["generator"]
        self._resume_at = int(state.get("position", 0))
        self._epoch_start = None

    def __repr__(self) -> str:
        return (
            f"DataLoader(n={len(self.dataset)}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last}, batches={len(self)})"
        )

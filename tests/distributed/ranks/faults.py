"""Run under ``mpirun -n 2`` with MODE = raise | kill | exit: rank 1 fails in the middle of
an epoch of ``fit(..., distributed=True)`` (step 3 of epoch 2) while rank 0 goes on; the job
must end promptly, with a message naming the rank."""
from __future__ import annotations

import os
import signal
import sys

import numpy as np

import glassbox as gb
from glassbox import distributed as dist
from glassbox import nn, optim
from glassbox.training import Callback


class FailOnRank1(Callback):
    def __init__(self, mode: str) -> None:
        self.mode = mode

    def on_batch_end(self, batch: int, logs: dict) -> None:
        if dist.rank() == 1 and self.trainer.epoch == 1 and batch == 3:
            print(f"rank 1 fails now ({self.mode})", flush=True)
            if self.mode == "raise":
                raise RuntimeError("injected failure in the middle of an epoch")
            if self.mode == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            if self.mode == "exit":
                raise SystemExit(3)


def main(mode: str) -> None:
    dist.init()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20000, 30)).astype(np.float32)
    y = rng.integers(0, 4, size=20000)
    gb.manual_seed(0)
    model = nn.Sequential(nn.Linear(30, 64), nn.ReLU(), nn.Linear(64, 4))
    opt = optim.SGD(model.parameters(), lr=0.01)
    # 1000 epochs: without the abort rank 0 would wait (or train) far beyond the test's limit
    gb.training.fit(model, nn.CrossEntropyLoss(), opt, (x, y), epochs=1000, batch_size=32,
                    verbose=0, distributed=True, callbacks=[FailOnRank1(mode)])


if __name__ == "__main__":
    main(sys.argv[1])

"""What ``glassbox train`` needs for data parallelism (called from cli/train.py in a few lines).

* ``mpirun -n N glassbox train ...``: every rank runs the same command; ``--batch-size`` is
  per rank (the global batch is N·batch), rank 0 alone prints, writes the checkpoint,
  metrics.json and the plots, and the figures it prints are global (training loss and
  accuracy averaged over the ranks, test accuracy counted over all the test images).
* ``glassbox train --nproc N ...`` starts that mpirun itself (see ``launch``), or says
  exactly what to install when MPI is missing.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any, Callable

from . import comm as _comm
from . import launch as _launch


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--nproc", type=int, default=None, metavar="N",
                        help="train data-parallel on N processes of this machine (starts mpirun; "
                             "needs pip install 'glassbox[distributed]'); --batch-size is per "
                             "process. Under mpirun -n N this is implied")


def _strip_nproc(argv: list[str]) -> list[str]:
    out: list[str] = []
    skip = False
    for token in argv:
        if skip:
            skip = False
        elif token == "--nproc":
            skip = True
        elif not token.startswith("--nproc="):
            out.append(token)
    return out


def maybe_launch(args: argparse.Namespace, error: Callable[[str], Exception]) -> int | None:
    """With ``--nproc N`` (N > 1) outside MPI: run this same command under
    ``mpirun -n N`` and return its exit status. Otherwise None: train in this process."""
    nproc = getattr(args, "nproc", None)
    if nproc is None or _comm.launched_by_mpi():
        return None
    if nproc < 1:
        raise error(f"--nproc must be at least 1, got {nproc}")
    if nproc == 1:
        return None
    problem = _launch.missing_mpi()
    if problem:
        raise error(f"--nproc {nproc} needs MPI: {problem}")
    argv = sys.argv[1:]
    if "train" not in argv:
        raise error("--nproc works from the command line (glassbox train --nproc N ...); "
                    "from Python, run the script under mpirun -n N")
    return _launch.launch(nproc, _launch.glassbox_program(_strip_nproc(argv)))


class Ranks:
    """This process's place in the job, for the CLI."""

    def __init__(self) -> None:
        self.world_size = _comm.init()
        self.rank = _comm.rank()
        self.is_main = self.rank == 0
        self.distributed = self.world_size > 1

    def same_seed(self, seed: int) -> int:
        """Rank 0's seed on every rank (each may have drawn its own at random)."""
        return int(_comm.broadcast_object(seed))

    def same(self, value: Any) -> Any:
        """Rank 0's ``value`` (e.g. the run's config with its random seed and its timestamped
        folder) on every rank."""
        return _comm.broadcast_object(value)

    def check_resume(self, saved_world_size: int, error: Callable[[str], Exception]) -> None:
        """A run resumes with the number of ranks it was trained with (the data shards, the
        per-rank batch and the saved loader position all depend on it)."""
        if int(saved_world_size) != self.world_size:
            def ranks(n: int) -> str:
                return "1 process" if n == 1 else f"{n} ranks"
            raise error(f"--resume: the run was trained on {ranks(int(saved_world_size))}, this is "
                        f"{ranks(self.world_size)}; resume it with the same number "
                        + (f"(mpirun -n {saved_world_size} ... or --nproc {saved_world_size})"
                           if int(saved_world_size) > 1 else "(without mpirun)"))

    def sampler(self, dataset: Any, seed: int) -> Any:
        """A ``DistributedSampler`` for the training loader, or None with one process."""
        from .sampler import DistributedSampler

        return DistributedSampler(dataset, seed=seed) if self.distributed else None

    def evaluate(self, model: Any, data: Any, loss_fn: Any) -> dict[str, float]:
        from .training import evaluate

        return evaluate(model, data, loss_fn)

    def describe(self, batch_size: int) -> str:
        """``batch 64`` or ``batch 64 per rank × 2 ranks = 128``."""
        if not self.distributed:
            return f"batch {batch_size}"
        return (f"batch {batch_size} per rank × {self.world_size} ranks = "
                f"{batch_size * self.world_size}")


def ranks() -> Ranks:
    return Ranks()

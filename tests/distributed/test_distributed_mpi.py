"""The distributed tests proper: scripts in ranks/ run under ``mpirun -n 2`` (launched here
through ``glassbox.distributed.launch``, the code behind ``glassbox train --nproc``).
Skipped only when mpi4py is not installed (``pip install 'glassbox[distributed]'``)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("mpi4py")

from glassbox.distributed import launch  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
RANKS = Path(__file__).resolve().parent / "ranks"


def run_ranks(program: list[str], n: int = 2, timeout: float = 300, cwd: Path | None = None,
              env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess, float]:
    """``mpirun -n n program`` with this checkout first on the path; (result, seconds)."""
    assert launch.missing_mpi() is None, launch.missing_mpi()
    environment = launch.rank_environment(n, {**os.environ, **(env or {})})
    environment["PYTHONPATH"] = os.pathsep.join([str(ROOT), environment.get("PYTHONPATH", "")])
    for name in launch.THREAD_VARIABLES:
        environment[name] = "1"
    start = time.perf_counter()
    result = subprocess.run(launch.mpirun_command(n, program), env=environment, cwd=cwd or ROOT,
                            capture_output=True, text=True, timeout=timeout)
    return result, time.perf_counter() - start


def test_two_ranks_train_to_the_same_weights_as_one_process_on_the_whole_batch():
    result, _ = run_ranks([sys.executable, str(RANKS / "equivalence.py")])
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    for check in ("mlp-sgd", "mlp-adam", "mlp-adam-shuffle", "bn_cnn-sgd-shuffle-sync",
                  "bn_cnn-adam-shuffle-sync", "fit"):
        assert f"OK {check} rank 0 rel_diff=" in out, out
    for rank in (0, 1):
        assert f"OK syncbn-gradient rank {rank}" in out and f"ALL OK rank {rank}" in out, out


@pytest.mark.parametrize("mode, expected", [
    ("raise", "rank 1 of 2 failed with RuntimeError: injected failure in the middle of an epoch"),
    ("exit", "rank 1 of 2 failed with SystemExit"),
    ("kill", "rank 1"),
])
def test_a_failing_rank_ends_the_whole_job_promptly_naming_the_rank(mode, expected):
    result, seconds = run_ranks([sys.executable, str(RANKS / "faults.py"), mode], timeout=120)
    out = result.stdout + result.stderr
    assert "rank 1 fails now" in out, out
    assert result.returncode != 0, out
    assert expected in out, out
    if mode == "kill":
        assert "signal 9" in out, out
    assert seconds < 30, f"the job took {seconds:.1f} s to end after rank 1 failed"

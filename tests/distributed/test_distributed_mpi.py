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
        assert f"OK syncbn-running-stats rank {rank}" in out, out


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


def _train(out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "glassbox", "train", "--epochs", "2", "--seed", "0", "-q",
            "--out", str(out), *extra]


def _metrics(out: Path) -> dict:
    import json

    return json.loads((out / "metrics.json").read_text())


def test_mpirun_glassbox_train_reaches_the_one_process_accuracy(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    one = subprocess.run(_train(tmp_path / "one"), env=env, capture_output=True, text=True,
                         timeout=300, cwd=tmp_path)
    assert one.returncode == 0, one.stdout + one.stderr
    # the same global batch of 32: 2 ranks × --batch-size 16
    two, _ = run_ranks(_train(tmp_path / "two", "--batch-size", "16"), cwd=tmp_path)
    assert two.returncode == 0, two.stdout + two.stderr
    assert two.stdout.count("test accuracy") == 1, two.stdout  # rank 0 alone prints
    m1, m2 = _metrics(tmp_path / "one"), _metrics(tmp_path / "two")
    assert (m1["world_size"], m2["world_size"]) == (1, 2)
    assert m2["images_per_s"] > 0 and m2["batch_size"] == 16
    assert abs(m1["test_accuracy"] - m2["test_accuracy"]) <= 0.005, (m1["test_accuracy"], m2["test_accuracy"])
    # the 2-rank checkpoint is an ordinary one: it loads and scores the same in one process
    check = subprocess.run([sys.executable, "-m", "glassbox", "evaluate",
                            str(tmp_path / "two" / "checkpoint.npz")], env=env,
                           capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert f"test accuracy {m2['test_accuracy']:.4f}" in check.stdout, check.stdout


def test_glassbox_train_nproc_starts_mpirun_itself(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMPI_", "PMIX_", "PMI_"))}
    env.update(PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1")
    run = subprocess.run(_train(tmp_path / "n", "--nproc", "2", "--epochs", "1", "--batch-size", "64"),
                         env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("test accuracy") == 1, run.stdout
    m = _metrics(tmp_path / "n")
    assert m["world_size"] == 2 and m["epochs"] == 1


def test_a_two_rank_run_resumes_on_two_ranks_exactly_and_refuses_one(tmp_path):
    constant = ("--schedule", "constant", "--batch-size", "64")
    straight, _ = run_ranks(_train(tmp_path / "straight", *constant), cwd=tmp_path)
    assert straight.returncode == 0, straight.stdout + straight.stderr
    first, _ = run_ranks(_train(tmp_path / "resumed", *constant, "--epochs", "1"), cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    alone = subprocess.run([sys.executable, "-m", "glassbox", "train", "--resume",
                            str(tmp_path / "resumed"), "--epochs", "2"], env=env,
                           capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert alone.returncode == 2 and "trained on 2 ranks, this is 1 process" in alone.stderr, alone.stderr
    again, _ = run_ranks([sys.executable, "-m", "glassbox", "train", "--resume",
                          str(tmp_path / "resumed"), "--epochs", "2", "-q"], cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    a, b = _metrics(tmp_path / "straight"), _metrics(tmp_path / "resumed")
    assert b["epochs"] == 2 and b["world_size"] == 2
    assert (a["test_accuracy"], a["test_loss"]) == (b["test_accuracy"], b["test_loss"])

"""bench/gpu.py is ready for a GPU: it runs end to end on the strict stand-in."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "gpu.py"


def _run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
                          env=env, timeout=300)


def test_bench_runs_every_model_on_the_stand_in(tmp_path):
    has_torch = importlib.util.find_spec("torch") is not None
    out = tmp_path / "gpu.json"
    proc = _run("--backend", "strict", "--batch-sizes", "4", "--batches", "1", "--repeats", "1",
                "--warmup", "0", "--cpu-batches", "1", "--json", str(out),
                *(["--torch-device", "cpu"] if has_torch else []))
    assert proc.returncode == 0, proc.stderr
    assert "these numbers mean nothing" in proc.stdout
    result = json.loads(out.read_text())
    assert result["machine"]["backend"] == "strict" and "stand-in" in result["machine"]["gpu"]
    runs = {r["model"]: r for r in result["runs"]}
    assert sorted(runs) == ["cnn", "lenet5", "mlp", "resnet-small"]
    for run in runs.values():
        assert run["batch"] == 4 and run["img_per_s"]["glassbox (cuda)"] > 0
    assert "glassbox (cpu)" in runs["resnet-small"]["img_per_s"]
    if has_torch:  # the PyTorch twins are the same networks, weights included
        for run in runs.values():
            assert run["max_abs_output_diff"] < 1e-4


def test_bench_without_a_gpu_says_so():
    try:
        import cupy  # noqa: F401
        pytest.skip("CuPy is installed here")
    except ImportError:
        pass
    proc = _run("--models", "mlp", "--batch-sizes", "4")
    assert proc.returncode != 0 and "no GPU at hand" in proc.stderr

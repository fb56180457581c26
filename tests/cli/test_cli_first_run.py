"""The README's first command on a fresh machine: no ../shared, no GLASSBOX_DATA, no network.

``glassbox train`` must then train on the sample bundled inside the package, say so, exit 0
and reach ≥ 95 % on the 10,000 official test digits (the defaults take about a second)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def offline_env(tmp_path: Path) -> dict[str, str]:
    """This checkout importable, GLASSBOX_DATA unset, an empty cache, downloads failing."""
    env = {k: v for k, v in os.environ.items() if k != "GLASSBOX_DATA"}
    env.update(PYTHONPATH=str(ROOT), XDG_CACHE_HOME=str(tmp_path / "cache"),
               GLASSBOX_MIRROR="http://127.0.0.1:9/",  # the discard port: connection refused
               OPENBLAS_NUM_THREADS="1")
    return env


def test_first_command_trains_offline_on_the_bundled_sample(tmp_path):
    work = tmp_path / "fresh"  # no ../shared beside it
    work.mkdir()
    proc = subprocess.run([sys.executable, "-m", "glassbox", "train"], cwd=work,
                          env=offline_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Traceback" not in proc.stderr
    data_line = next(line for line in out.splitlines() if line.startswith("data: no network"))
    assert "127.0.0.1:9" in data_line and "bundled 5,000-digit sample of MNIST" in data_line
    assert "the full set downloads when a network is reachable" in data_line
    assert "5,000 train" in out and "10,000 test images" in out
    runs = list((work / "runs").iterdir())
    assert len(runs) == 1
    metrics = json.loads((runs[0] / "metrics.json").read_text())
    assert metrics["data_source"] == "bundled"
    assert metrics["test_accuracy"] >= 0.95, out
    assert f"test accuracy {metrics['test_accuracy']:.4f}" in out
    assert not (tmp_path / "cache" / "glassbox" / "mnist").exists() or not list(
        (tmp_path / "cache" / "glassbox" / "mnist").glob("*.part"))


def test_no_download_goes_to_the_bundle_without_trying(tmp_path):
    env = offline_env(tmp_path)
    env["GLASSBOX_MIRROR"] = "http://must-not-be-contacted.invalid/"
    proc = subprocess.run([sys.executable, "-m", "glassbox", "train", "--no-download", "--epochs", "1",
                           "--hidden", "16", "--out", str(tmp_path / "r")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "data: downloads are off (--no-download): training on the bundled" in proc.stdout
    assert "must-not-be-contacted" not in proc.stdout + proc.stderr


def test_python_m_glassbox(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "glassbox", "--version"], env=offline_env(tmp_path),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("glassbox ")


@pytest.mark.skipif(not any((Path(p) / "setuptools").is_dir() for p in sys.path),
                    reason="setuptools is needed to build the wheel")
def test_an_install_includes_the_sample_license_and_py_typed(tmp_path):
    import shutil

    src = tmp_path / "src"  # a copy, so the build leaves nothing in the checkout
    shutil.copytree(ROOT / "glassbox", src / "glassbox", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE", "NOTICE"):
        shutil.copy(ROOT / name, src / name)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                           "--no-index", "-q", "-w", str(tmp_path), str(src)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    wheel = next(tmp_path.glob("glassbox-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for stem in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                 "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        assert f"glassbox/data/mnist_sample/{stem}.gz" in names
    assert "glassbox/py.typed" in names and "glassbox/__main__.py" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") or n.endswith(".dist-info/LICENSE") for n in names)
    meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(meta).decode()
    assert "Requires-Dist: tqdm" in text and "Requires-Dist: Pillow" in text

"""The bad-input suite (issue 10), CLI half: real IDX files and checkpoints on disk, the
command line run as a real subprocess (``python -m glassbox``).

Each case asserts the exit status (2: bad input, 1: training diverged, 0: success), that
stderr is one ``glassbox: error:`` line naming the bad thing and holds no traceback, and
for the failures that nothing was saved as if the run had been fine.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from glassbox.data import write_idx

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, cwd: Path | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1", GLASSBOX_DEBUG="")
    env.pop("GLASSBOX_DEBUG")
    return subprocess.run([sys.executable, "-m", "glassbox", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=timeout)


def fails(proc: subprocess.CompletedProcess, code: int, *names: str) -> str:
    """The run exited with ``code`` and one clear error line naming each of ``names``."""
    assert proc.returncode == code, (proc.returncode, proc.stdout[-500:], proc.stderr[-2000:])
    err = proc.stderr
    assert "Traceback" not in err, err
    assert "glassbox: error:" in err or "error:" in err, err
    for name in names:
        assert name in err, f"{name!r} not in {err!r}"
    return err


def _write_split(folder: Path, split: str, images: np.ndarray, labels: np.ndarray) -> None:
    write_idx(folder / f"{split}-images-idx3-ubyte", images)
    write_idx(folder / f"{split}-labels-idx1-ubyte", labels)


def _digits(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    labels = (np.arange(n) % 10).astype(np.uint8)
    x = rng.integers(0, 60, size=(n, 28, 28)).astype(np.uint8)
    for k in range(10):
        r, c = 2 + 8 * (k // 3), 2 + 8 * (k % 3)
        x[labels == k, r:r + 6, c:c + 6] = 255
    return x, labels


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """Four real IDX files: 200 training and 100 test 'digits' (a lit square per class)."""
    folder = tmp_path / "digits"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for split, n in (("train", 200), ("t10k", 100)):
        _write_split(folder, split, *_digits(n, rng))
    return folder


@pytest.fixture
def checkpoint(data_dir: Path, tmp_path: Path) -> Path:
    out = tmp_path / "run"
    proc = run_cli("train", "--data", str(data_dir), "--epochs", "1", "--hidden", "16",
                   "--out", str(out), "--quiet", "--seed", "0")
    assert proc.returncode == 0, proc.stderr
    return out / "checkpoint.npz"


def train(data_dir: Path, tmp_path: Path, *extra: str) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path / "out"
    proc = run_cli("train", "--data", str(data_dir), "--epochs", "1", "--hidden", "16",
                   "--out", str(out), "--quiet", "--seed", "0", *extra)
    return proc, out


# ------------------------------------------------------------------ a healthy run
def test_a_healthy_run_succeeds_and_saves(data_dir, tmp_path):
    proc, out = train(data_dir, tmp_path, "--epochs", "2")
    assert proc.returncode == 0, proc.stderr
    assert (out / "checkpoint.npz").is_file() and (out / "metrics.json").is_file()


# ------------------------------------------------------------------ bad arguments
@pytest.mark.parametrize("flag,value,name", [
    ("--batch-size", "0", "--batch-size"),
    ("--epochs", "-1", "--epochs"),
    ("--val-split", "1.5", "--val-split"),
    ("--weight-decay", "-0.1", "--weight-decay"),
    ("--label-smoothing", "1.0", "--label-smoothing"),
    ("--dropout", "1.5", "--dropout"),
    ("--hidden", "a,b", "--hidden"),
    ("--model", "no-such-model", "no-such-model"),
    ("--optimizer", "lbfgs", "lbfgs"),
    ("--batch-size", "many", "--batch-size"),
])
def test_bad_train_arguments(data_dir, tmp_path, flag, value, name):
    proc, out = train(data_dir, tmp_path, flag, value)
    fails(proc, 2, name, value)
    assert not (out / "checkpoint.npz").exists()


def test_momentum_follows_the_optimizers_rules(data_dir, tmp_path):
    """One rule, the API's: the averaged Momentum refuses β ≥ 1; SGD accepts μ ≥ 1 as PyTorch
    does, with a warning, and the divergence detector then stops the run."""
    proc, _ = train(data_dir, tmp_path, "--optimizer", "momentum", "--momentum", "1.0")
    fails(proc, 2, "Momentum", "beta=1.0", "[0, 1)")
    proc, _ = train(data_dir, tmp_path, "--optimizer", "sgd", "--momentum", "-0.5")
    fails(proc, 2, "SGD", "momentum=-0.5")
    proc, _ = train(data_dir, tmp_path, "--momentum", "0.9")  # adam has betas, not momentum
    fails(proc, 2, "--momentum does not apply to adam")
    proc, out = train(data_dir, tmp_path, "--optimizer", "sgd", "--momentum", "1.5", "--epochs", "20")
    assert "OptimizerWarning" in proc.stderr and "momentum=1.5 ≥ 1" in proc.stderr
    if proc.returncode != 0:
        fails(proc, 1, "diverged")


def test_early_stopping_without_a_validation_split(data_dir, tmp_path):
    proc, _ = train(data_dir, tmp_path, "--early-stopping", "2")
    fails(proc, 2, "--early-stopping", "--val-split")


def test_unknown_command():
    fails(run_cli("trian"), 2, "trian")


def test_unknown_lesson():
    fails(run_cli("lesson", "no-such-lesson"), 2, "no-such-lesson")


def test_summary_of_an_unknown_model():
    fails(run_cli("summary", "no-such-model"), 2, "no-such-model", "choose one of")


# ------------------------------------------------------------------ bad data files
def test_data_folder_that_does_not_exist(tmp_path):
    missing = tmp_path / "nowhere"
    proc, out = train(missing, tmp_path, "--no-download")
    fails(proc, 2, str(missing))
    assert not (out / "checkpoint.npz").exists()


def test_truncated_idx_file(data_dir, tmp_path):
    path = data_dir / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-1000])
    proc, _ = train(data_dir, tmp_path)
    fails(proc, 2, str(path), "truncated")


def test_a_png_saved_as_idx(data_dir, tmp_path):
    path = data_dir / "t10k-images-idx3-ubyte"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    proc, _ = train(data_dir, tmp_path)
    fails(proc, 2, str(path), "PNG")


def test_idx_files_with_zero_images(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    for split in ("train", "t10k"):
        _write_split(folder, split, np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8))
    proc, out = train(folder, tmp_path)
    err = fails(proc, 2, "train-images-idx3-ubyte", "0 images")
    assert "zero-size array" not in err
    assert not (out / "checkpoint.npz").exists()


def test_labels_outside_the_ten_classes(data_dir, tmp_path):
    labels = np.arange(200, dtype=np.uint8) % 10
    labels[17] = 12
    write_idx(data_dir / "train-labels-idx1-ubyte", labels)
    proc, _ = train(data_dir, tmp_path)
    fails(proc, 2, "train-labels-idx1-ubyte", "12")


def test_image_and_label_counts_differ(data_dir, tmp_path):
    write_idx(data_dir / "t10k-labels-idx1-ubyte", np.zeros(99, np.uint8))
    proc, _ = train(data_dir, tmp_path)
    fails(proc, 2, "100 images", "99 labels")


def test_images_of_the_wrong_size(data_dir, tmp_path):
    write_idx(data_dir / "t10k-images-idx3-ubyte", np.zeros((100, 32, 32), np.uint8))
    proc, _ = train(data_dir, tmp_path)
    fails(proc, 2, "t10k-images-idx3-ubyte", "(100, 32, 32)")


# ------------------------------------------------------------------ divergence
def test_adam_at_lr_1000_does_not_finish_silently(data_dir, tmp_path):
    """It used to exit 0 with test loss 3.3e11 and save the model as if fine."""
    proc, out = train(data_dir, tmp_path, "--optimizer", "adam", "--lr", "1000", "--epochs", "3")
    fails(proc, 1, "diverged", "lr=", "learning rate is too large")
    assert not (out / "checkpoint.npz").exists()


def test_sgd_at_an_absurd_lr_names_step_and_lr(data_dir, tmp_path):
    proc, out = train(data_dir, tmp_path, "--optimizer", "sgd", "--lr", "1e30", "--schedule", "constant")
    fails(proc, 1, "epoch 1, step", "lr=1e+30", "smaller learning rate")
    assert not (out / "checkpoint.npz").exists()


# ------------------------------------------------------------------ checkpoints
def test_evaluate_a_healthy_checkpoint(data_dir, checkpoint):
    proc = run_cli("evaluate", str(checkpoint), "--data", str(data_dir))
    assert proc.returncode == 0, proc.stderr
    assert "accuracy" in proc.stdout


def test_evaluate_a_tampered_checkpoint(data_dir, checkpoint):
    with np.load(checkpoint, allow_pickle=False) as npz:
        arrays = {n: npz[n] for n in npz.files}
    key = next(k for k in arrays if k.startswith("model/") and k.endswith("bias"))
    arrays[key] = arrays[key] + 1
    np.savez(checkpoint, **arrays)
    fails(run_cli("evaluate", str(checkpoint), "--data", str(data_dir)), 2, str(checkpoint), "SHA-256")


def test_evaluate_a_checkpoint_with_a_pickle(data_dir, tmp_path):
    import io
    import zipfile
    path = tmp_path / "evil.npz"
    with zipfile.ZipFile(path, "w") as z:
        buf = io.BytesIO()
        np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
        z.writestr("__meta__.npy", buf.getvalue())
    fails(run_cli("evaluate", str(path), "--data", str(data_dir)), 2, str(path))


def test_evaluate_a_missing_checkpoint(data_dir, tmp_path):
    missing = tmp_path / "nope.npz"
    fails(run_cli("evaluate", str(missing), "--data", str(data_dir)), 2, str(missing))


def test_evaluate_a_text_file(data_dir, tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("hello")
    fails(run_cli("evaluate", str(path), "--data", str(data_dir)), 2, str(path))


def test_evaluate_a_truncated_checkpoint(data_dir, checkpoint):
    checkpoint.write_bytes(checkpoint.read_bytes()[:200])
    fails(run_cli("evaluate", str(checkpoint), "--data", str(data_dir)), 2, str(checkpoint))


# ------------------------------------------------------------------ output paths and full disks
def test_out_pointing_at_an_existing_file_fails_before_training(data_dir, tmp_path):
    """It used to train the whole run, then die in save_checkpoint with a traceback."""
    target = tmp_path / "results.txt"
    target.write_text("keep me")
    proc = run_cli("train", "--data", str(data_dir), "--epochs", "3", "--hidden", "16",
                   "--out", str(target))
    fails(proc, 2, str(target), "is a file")
    assert "Epoch" not in proc.stdout and "test accuracy" not in proc.stdout  # nothing trained
    assert target.read_text() == "keep me"


def test_a_full_disk_ends_in_one_line(data_dir, tmp_path):
    """A write limit (RLIMIT_FSIZE) makes the checkpoint write fail as a full disk does."""
    import resource
    import signal

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails (EFBIG) instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    out = tmp_path / "full"
    env = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1")
    env.pop("GLASSBOX_DEBUG", None)
    proc = subprocess.run([sys.executable, "-m", "glassbox", "train", "--data", str(data_dir),
                           "--epochs", "1", "--hidden", "16", "--quiet", "--out", str(out)],
                          capture_output=True, text=True, env=env, preexec_fn=small_files, timeout=300)
    err = fails(proc, 2, "could not write the checkpoint", "File too large")
    assert err.count("\n") <= 2
    assert not (out / "checkpoint.npz").exists()

"""Crash-safe training from the command line: kill -9 in the middle of epoch 3 of 4, resume,
and end bit-identical to a run that was never interrupted."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from glassbox.cli.main import main
from glassbox.training.checkpoint import load_checkpoint

ROOT = Path(__file__).resolve().parents[2]
# 300 training images / batch 10 = 30 steps per epoch; dropout and shifts use the RNGs too.
RUN = ["--epochs", "4", "--hidden", "16", "--batch-size", "10", "--dropout", "0.2", "--seed", "3", "-q"]
KILL_AT_STEP = 75  # the 15th batch of epoch 3

# Runs `glassbox train` with Adam.step patched to SIGKILL the process at a given optimizer
# step: a real kill -9 at a reproducible point (the patch is only in this test's launcher).
LAUNCHER = """
import os, signal, sys
from glassbox.optim import adam
step, calls = adam.Adam.step, [0]
def killing_step(self, *args, **kwargs):
    calls[0] += 1
    if calls[0] == int(os.environ["KILL_AT_STEP"]):
        os.kill(os.getpid(), signal.SIGKILL)
    return step(self, *args, **kwargs)
adam.Adam.step = killing_step
from glassbox.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1")
    env.update(extra)
    return env


def _killed_run(idx_dir: Path, out: Path, *more: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-c", LAUNCHER, "train", "--data", str(idx_dir), "--out", str(out),
                           *RUN, *more], env=_env(KILL_AT_STEP=str(KILL_AT_STEP)),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    return proc


def _resume(run_dir: Path, *more: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "glassbox", "train", "--resume", str(run_dir), *more],
                          env=_env(), capture_output=True, text=True, timeout=300)


def _same_bits(a: Path, b: Path) -> None:
    ca, cb = load_checkpoint(a), load_checkpoint(b)
    assert ca.model_state.keys() == cb.model_state.keys()
    for name in ca.model_state:
        np.testing.assert_array_equal(ca.model_state[name], cb.model_state[name], err_msg=name)
    for idx, state in ca.optimizer_state["state"].items():
        for key, value in state.items():
            np.testing.assert_array_equal(value, cb.optimizer_state["state"][idx][key], err_msg=f"{idx}/{key}")
    ha, hb = ca.history.history, cb.history.history
    for key in ("loss", "accuracy", "test_loss", "test_accuracy", "lr"):
        assert ha[key] == hb[key], key
    assert ca.rng_state == cb.rng_state


@pytest.fixture(scope="module")
def reference(idx_dir_module, tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "run"
    assert main(["train", "--data", str(idx_dir_module), "--out", str(out), *RUN]) == 0
    return out / "checkpoint.npz"


@pytest.mark.parametrize("every", [None, 7])
def test_kill_9_in_epoch_3_then_resume_is_bit_identical(idx_dir_module, reference, tmp_path, every):
    more = [] if every is None else ["--checkpoint-every", str(every)]
    out = tmp_path / "run"
    _killed_run(idx_dir_module, out, *more)
    assert not (out / "checkpoint.npz").exists()
    state = load_checkpoint(out / "last.npz").meta["trainer"]
    # at most one epoch is recomputed: without --checkpoint-every the last save is the end of
    # epoch 2; with it, step 70 (the 10th batch of epoch 3)
    assert (state["epoch"], state["step"]) == ((2, 0) if every is None else (2, 10))
    stale = out / ".last.npz.x1y2z3.tmp"  # what a kill during a write leaves behind
    stale.write_bytes(b"half a checkpoint")
    proc = _resume(out)
    assert proc.returncode == 0, proc.stderr
    assert "resuming" not in proc.stdout  # -q came from the saved options
    assert not stale.exists() and not (out / "last.npz").exists()
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.npz", "metrics.json"]
    _same_bits(reference, out / "checkpoint.npz")
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["history"]["epoch"] == [1, 2, 3, 4]  # epochs count from 1
    assert "test_loss" in metrics["history"]["history"] and "val_loss" not in metrics["history"]["history"]

    # a finished run says so and exits 0
    again = _resume(out)
    assert again.returncode == 0 and "already finished (4 of 4 epochs" in again.stdout


def test_resume_refuses_changes_that_alter_the_run(idx_dir, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--data", str(idx_dir), "--out", str(out), "--epochs", "1", "--hidden", "16",
                 "--seed", "0", "-q"]) == 0
    (out / "checkpoint.npz").rename(out / "last.npz")  # pretend it is unfinished
    capsys.readouterr()
    for argv, needle in [
        (["--hidden", "32"], "--hidden 16 (now 32)"),
        (["--model", "lenet5"], "--model mlp (now lenet5)"),
        (["--dataset", "fashion-mnist"], "--dataset mnist (now fashion-mnist)"),
        (["--lr", "0.5"], "--lr 0.003 (now 0.5)"),
        (["--epochs", "3"], "--epochs 1 (now 3)"),  # the cosine schedule spans the run's epochs
        (["--out", str(tmp_path / "elsewhere")], "leave out --out"),
    ]:
        with pytest.raises(SystemExit) as info:
            main(["train", "--resume", str(out), "--data", str(idx_dir), *argv])
        err = capsys.readouterr().err
        assert info.value.code == 2 and needle in err and err.count("\n") == 1, (argv, err)
    with pytest.raises(SystemExit):
        main(["train", "--resume", str(tmp_path / "nothing-here")])
    assert "no such run folder" in capsys.readouterr().err


def test_resume_refuses_other_training_data(idx_dir, tmp_path, capsys, make_other_idx):
    out = tmp_path / "run"
    assert main(["train", "--data", str(idx_dir), "--out", str(out), "--epochs", "1", "--hidden", "16",
                 "--seed", "0", "-q", "--schedule", "constant"]) == 0
    with pytest.raises(SystemExit):  # with a constant lr a finished run may be extended
        main(["train", "--resume", str(out), "--data", str(make_other_idx), "--epochs", "2"])
    err = capsys.readouterr().err
    assert "the training data differs from the run's" in err and err.count("\n") == 1
    assert main(["train", "--resume", str(out), "--data", str(idx_dir), "--epochs", "2"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs"] == 2 and len(metrics["history"]["history"]["loss"]) == 2


def test_out_that_is_a_file_or_a_finished_run_is_refused_before_training(idx_dir, tmp_path, capsys):
    afile = tmp_path / "a-file"
    afile.write_text("x")
    with pytest.raises(SystemExit) as info:
        main(["train", "--data", str(idx_dir), "--out", str(afile), "--epochs", "1"])
    err = capsys.readouterr()
    assert info.value.code == 2 and "is a file, not a folder" in err.err and "Epoch" not in err.out
    out = tmp_path / "run"
    assert main(["train", "--data", str(idx_dir), "--out", str(out), "--epochs", "1", "-q"]) == 0
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["train", "--data", str(idx_dir), "--out", str(out), "--epochs", "1"])
    assert f"--resume {out}" in capsys.readouterr().err


def test_a_full_disk_is_one_line_and_the_earlier_checkpoint_survives(idx_dir, tmp_path, capsys, monkeypatch):
    import errno

    from glassbox.training import checkpoint as ckpt_mod

    real, calls = ckpt_mod.atomic_write, [0]

    def filling_disk(path, write):
        calls[0] += 1
        if calls[0] == 2:  # epoch 2's last.npz
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, write)

    monkeypatch.setattr(ckpt_mod, "atomic_write", filling_disk)
    out = tmp_path / "run"
    with pytest.raises(SystemExit) as info:
        main(["train", "--data", str(idx_dir), "--out", str(out), "--epochs", "3", "--hidden", "16", "-q"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert f"could not write the checkpoint {out / 'last.npz'}: No space left on device" in err
    assert "the previous last.npz is intact" in err
    assert load_checkpoint(out / "last.npz").meta["trainer"]["epoch"] == 1

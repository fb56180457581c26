"""glassbox train: --l2, --dropout, --early-stopping, --plot, and the cosine schedule's lrs."""
from __future__ import annotations

import json
import math

import pytest

from glassbox.cli.main import main

FAST = ["--epochs", "2", "--batch-size", "50", "--seed", "0", "--no-download", "-q", "--augment", "0"]


def test_cosine_schedule_lr_per_epoch(idx_dir, tmp_path, capsys):
    main(["train", "--data", str(idx_dir), "--out", str(tmp_path / "c"), *FAST, "--lr", "0.01"])
    lrs = json.loads((tmp_path / "c" / "metrics.json").read_text())["history"]["history"]["lr"]
    steps, total = 6, 12  # 300 images / 50 per batch, 2 epochs; each epoch logs its last batch's rate
    assert lrs == pytest.approx([0.01 * 0.5 * (1 + math.cos(math.pi * t / total)) for t in (steps - 1, total - 1)])
    capsys.readouterr()


def test_regularization_early_stopping_and_plots(idx_dir, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "run"
    assert main(["train", "--data", str(idx_dir), "--out", str(out), *FAST, "--l2", "0.1", "--dropout",
                 "0.2", "--val-split", "0.2", "--early-stopping", "1", "--plot"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["kwargs"]["dropout"] == 0.2 and metrics["l2"] == 0.1
    assert metrics["early_stopping"]["patience"] == 1 and metrics["early_stopping"]["best_epoch"] is not None
    assert metrics["gradient_warnings"] == []
    for name in ("history.png", "lr.png", "filters.png", "grad_norms.png"):
        assert (out / name).read_bytes()[:4] == b"\x89PNG"
    capsys.readouterr()


@pytest.mark.parametrize("args, message", [
    (["--early-stopping", "2"], "--early-stopping needs --val-split"),
    (["--l2", "-1"], "--l2 must be 0 or more"),
    (["--dropout", "1.5"], "--dropout must be in [0, 1)"),
])
def test_bad_toolkit_options(idx_dir, tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as info:
        main(["train", "--data", str(idx_dir), "--out", str(tmp_path / "x"), *FAST, *args])
    err = capsys.readouterr().err
    assert info.value.code != 0 and err.startswith("glassbox: error: ") and message in err
    assert not (tmp_path / "x").exists()  # rejected before any training

"""glassbox train --tensorboard DIR, and glassbox export CHECKPOINT --format onnx|safetensors."""
from __future__ import annotations

import json

import numpy as np
import pytest

import glassbox as gb
from glassbox.cli.evaluate import load_model
from glassbox.cli.main import main

FAST = ["--epochs", "2", "--batch-size", "50", "--seed", "0", "--no-download", "-q", "--augment", "0"]


@pytest.fixture
def run_dir(idx_dir, tmp_path):
    out = tmp_path / "run"
    assert main(["train", "--data", str(idx_dir), "--out", str(out), "--model", "cnn", *FAST,
                 "--tensorboard", str(tmp_path / "tb")]) == 0
    return out


def test_train_writes_tensorboard_scalars_per_epoch(run_dir, tmp_path):
    ea = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    acc = ea.EventAccumulator(str(tmp_path / "tb"), size_guidance={ea.SCALARS: 0})
    acc.Reload()
    history = json.loads((run_dir / "metrics.json").read_text())["history"]["history"]
    assert {"loss", "accuracy", "test_loss", "test_accuracy", "lr"} <= set(history)  # no --val-split
    for key in ("loss", "accuracy", "test_loss", "test_accuracy", "lr"):
        events = acc.Scalars(f"epoch/{key}")
        assert [e.step for e in events] == [1, 2]
        np.testing.assert_allclose([e.value for e in events], history[key], rtol=1e-6)
    assert any(t.startswith("gradients/norm/") for t in acc.Tags()["scalars"])


def test_export_onnx_runs_in_onnxruntime(run_dir, capsys):
    onnx = pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    from glassbox.onnx.verify import max_abs_difference

    assert main(["export", str(run_dir), "--format", "onnx"]) == 0
    printed = capsys.readouterr().out
    assert "passed onnx.checker" in printed and "max |difference|" in printed
    path = run_dir / "model.onnx"
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    model, _ = load_model(str(run_dir))
    x = np.random.default_rng(1).random((37, 1, 28, 28), dtype=np.float32)
    assert max_abs_difference(model, path, x) <= 1e-5


def test_export_safetensors_loads_strictly(run_dir, tmp_path):
    pytest.importorskip("safetensors")
    from glassbox.serialization import safetensors_metadata

    out = tmp_path / "weights.safetensors"
    assert main(["export", str(run_dir / "checkpoint.npz"), "--format", "safetensors", "-o", str(out)]) == 0
    model, ckpt = load_model(str(run_dir))
    fresh = gb.models.get_model("cnn")
    fresh.load_state_dict(gb.load(out), strict=True)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(fresh.state_dict()[key], value)
    assert json.loads(safetensors_metadata(out)["glassbox_config"])["name"] == "cnn"


def test_export_bad_input(run_dir, tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["export", str(run_dir), "--format", "safetensors", "-o", str(tmp_path / "w.bin")])
    assert info.value.code == 2 and "must end in .safetensors" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["export", str(tmp_path / "nothing.npz"), "--format", "onnx"])
    assert info.value.code == 2 and "glassbox: error:" in capsys.readouterr().err

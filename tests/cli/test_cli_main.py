from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from glassbox.cli.main import main

FAST = ["--hidden", "32", "--epochs", "1", "--batch-size", "16", "--seed", "0", "--quiet"]


def _accuracy(text: str) -> float:
    return float(re.search(r"test accuracy (\d\.\d{4})", text).group(1))


def _error(capsys, argv) -> str:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert captured.err.startswith("glassbox: error: ")
    return captured.err


def test_train_writes_checkpoint_and_metrics_then_evaluate_agrees(idx_dir, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--data", str(idx_dir), "--out", str(out), "--epochs", "2",
                 "--hidden", "32", "--seed", "0"]) == 0
    text = capsys.readouterr().out
    assert "Epoch 1/2" in text and "Epoch 2/2" in text and "test_acc" in text
    assert (out / "checkpoint.npz").is_file()
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs"] == 2 and metrics["seed"] == 0
    assert len(metrics["history"]["history"]["loss"]) == 2
    assert metrics["config"] == {"name": "mlp", "kwargs": {"hidden": [32]}, "dataset": "mnist",
                                 "input_shape": [1, 28, 28],
                                 "input": {"shape": [1, 28, 28], "range": [0.0, 1.0], "mean": 0.0,
                                           "std": 1.0, "background": "dark"}}
    assert metrics["test_accuracy"] >= 0.9  # the squares are easy
    assert _accuracy(text) == pytest.approx(metrics["test_accuracy"], abs=1e-4)
    assert sorted(os.listdir(out)) == ["checkpoint.npz", "metrics.json"]
    assert metrics["augment"] == 1 and metrics["label_smoothing"] == 0.1  # the mnist defaults

    assert main(["evaluate", str(out / "checkpoint.npz"), "--data", str(idx_dir)]) == 0
    shown = capsys.readouterr().out
    assert _accuracy(shown) == pytest.approx(metrics["test_accuracy"], abs=1e-4)
    assert f"test loss {metrics['test_loss']:.4f}" in shown
    # a run folder works as well as the file
    assert main(["evaluate", str(out), "--data", str(idx_dir)]) == 0
    assert _accuracy(capsys.readouterr().out) == pytest.approx(metrics["test_accuracy"], abs=1e-4)


def test_same_seed_same_result(idx_dir, tmp_path, capsys):
    results = []
    for name in ("a", "b"):
        main(["train", "--data", str(idx_dir), "--out", str(tmp_path / name), *FAST])
        results.append(json.loads((tmp_path / name / "metrics.json").read_text()))
    assert results[0]["history"]["history"]["loss"] == results[1]["history"]["history"]["loss"]
    assert results[0]["test_accuracy"] == results[1]["test_accuracy"]


def test_dataset_subfolder_val_split_and_other_optimizers(idx_dir, tmp_path, capsys):
    # --data may be the parent of a <dataset>/ folder
    (idx_dir.parent / "fashion-mnist").symlink_to(idx_dir)
    out = tmp_path / "run"
    assert main(["train", "--data", str(idx_dir.parent), "--dataset", "fashion-mnist",
                 "--val-split", "0.2", "--optimizer", "momentum", "--schedule", "constant",
                 "--label-smoothing", "0", "--out", str(out), *FAST]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["dataset"] == "fashion-mnist" and metrics["augment"] == 0
    # the dataset is inferred from a --data path naming fashion-mnist
    assert main(["train", "--data", str(idx_dir.parent / "fashion-mnist"), "--out", str(tmp_path / "f"),
                 *FAST]) == 0
    assert json.loads((tmp_path / "f" / "metrics.json").read_text())["dataset"] == "fashion-mnist"
    assert metrics["optimizer"] == {"name": "momentum", "lr": 0.2, "weight_decay": 0.0, "momentum": 0.9}
    assert set(metrics["history"]["history"]) >= {"val_loss", "val_accuracy"}
    for opt in ("sgd", "nesterov", "adagrad", "rmsprop"):
        assert main(["train", "--data", str(idx_dir), "--optimizer", opt,
                     "--out", str(tmp_path / opt), *FAST]) == 0
    capsys.readouterr()


def test_quiet_prints_one_line(idx_dir, tmp_path, capsys):
    main(["train", "--data", str(idx_dir), "--out", str(tmp_path / "q"), *FAST])
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("test accuracy")


def test_missing_data_errors(tmp_path, capsys):
    err = _error(capsys, ["train", "--data", str(tmp_path / "nowhere"), *FAST])
    assert "--data" in err and "no such folder" in err and err.count("\n") == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    err = _error(capsys, ["train", "--data", str(empty), *FAST])
    assert "mnist not found" in err and "train-images-idx3-ubyte" in err


def test_non_idx_files_give_reader_message(tmp_path, capsys):
    for stem in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                 "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (tmp_path / stem).write_text("this is not an IDX file\n")
    err = _error(capsys, ["train", "--data", str(tmp_path), *FAST])
    assert "read_idx" in err and err.count("\n") == 1


@pytest.mark.parametrize("argv, needle", [
    (["--hidden", "256,abc"], "--hidden expects comma-separated positive integers"),
    (["--hidden", "0"], "--hidden expects positive integers"),
    (["--model", "transformer"], "unknown model 'transformer'"),
    (["--model", "lenet5", "--hidden", "10"], "apply to mlp models only"),
    (["--batch-size", "0"], "--batch-size must be at least 1"),
    (["--val-split", "1.5"], "--val-split must be in [0, 1)"),
    (["--augment", "-1"], "--augment must be 0 or more"),
    (["--lr", "-1"], "--lr must be positive"),
    (["--momentum", "0.9", "--optimizer", "adam"], "--momentum does not apply to adam"),
    (["--optimizer", "lbfgs"], "invalid choice: 'lbfgs'"),
    (["--epochs", "two"], "invalid int value: 'two'"),
])
def test_bad_arguments_one_line_exit_2(idx_dir, capsys, argv, needle):
    err = _error(capsys, ["train", "--data", str(idx_dir), *argv])
    assert needle in err
    assert err.count("\n") == 1


def test_evaluate_errors(idx_dir, tmp_path, capsys):
    err = _error(capsys, ["evaluate", str(tmp_path / "none.npz"), "--data", str(idx_dir)])
    assert "does not exist" in err
    out = tmp_path / "run"
    main(["train", "--data", str(idx_dir), "--out", str(out), *FAST])
    capsys.readouterr()
    ckpt = out / "checkpoint.npz"
    ckpt.write_bytes(ckpt.read_bytes()[:-100])
    err = _error(capsys, ["evaluate", str(ckpt), "--data", str(idx_dir)])
    assert str(ckpt) in err and "truncated or corrupted" in err


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow is the point
def test_diverging_run_exits_1(idx_dir, tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["train", "--data", str(idx_dir), "--out", str(tmp_path / "d"), "--optimizer", "sgd",
              "--lr", "1e30", "--schedule", "constant", *FAST])
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("glassbox: error: loss became") and "smaller learning rate" in err
    assert not (tmp_path / "d" / "checkpoint.npz").exists()


def test_version_help_and_summary(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert re.match(r"glassbox \d+\.\d+", capsys.readouterr().out)
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    help_text = capsys.readouterr().out
    assert "--optimizer" in help_text and "(default: adam)" in help_text and "(default: 32)" in help_text
    assert main(["summary", "mlp", "--hidden", "64"]) == 0
    table = capsys.readouterr().out
    assert "Linear" in table
    assert "50,890" in table  # 784·64 + 64 + 64·10 + 10 parameters
    err = _error(capsys, ["summary", "nosuchnet"])
    assert "unknown model" in err


def test_summary_of_a_checkpoint(idx_dir, tmp_path, capsys):
    out = tmp_path / "run"
    main(["train", "--data", str(idx_dir), "--out", str(out), *FAST])
    capsys.readouterr()
    assert main(["summary", str(out / "checkpoint.npz")]) == 0
    assert "Linear" in capsys.readouterr().out


def test_real_mnist_one_epoch(tmp_path, capsys):
    data = os.environ.get("GLASSBOX_DATA")
    if not data or not (Path(data) / "mnist-5k").is_dir():
        pytest.skip("real MNIST sample not found: set GLASSBOX_DATA to a folder holding mnist-5k/ "
                    "(in this repo's CI: ../shared/datasets)")
    out = tmp_path / "real"
    assert main(["train", "--data", str(Path(data) / "mnist-5k"), "--epochs", "1", "--seed", "0",
                 "--out", str(out), "--quiet"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_accuracy"] >= 0.85
    assert _accuracy(capsys.readouterr().out) == pytest.approx(metrics["test_accuracy"], abs=1e-4)

"""What the command line says matches what it does: model names, defaults, optimizers."""
from __future__ import annotations

import json
import re
import sys

import numpy as np
import pytest

import glassbox as gb
from glassbox.cli import train as train_cli
from glassbox.cli.main import main
from glassbox.models import NOT_FOR_DIGITS, available_models, trainable_models
from glassbox.tune import OPTIMIZERS as TUNE_OPTIMIZERS

FAST = ["--hidden", "16", "--epochs", "1", "--batch-size", "50", "--seed", "0", "-q"]


def _help(capsys, *argv) -> str:
    with pytest.raises(SystemExit):
        main([*argv, "--help"])
    return " ".join(capsys.readouterr().out.split())  # argparse wraps lines


def test_help_lists_exactly_the_models_that_train(capsys):
    text = _help(capsys, "train")
    listed = re.search(r"--model NAME one of: (.*?) \(default: mlp\)", text).group(1).split(", ")
    assert listed == trainable_models()
    assert set(available_models()) - set(listed) == set(NOT_FOR_DIGITS) == {"alexnet", "vgg16"}


@pytest.mark.parametrize("name", sorted(NOT_FOR_DIGITS))
def test_imagenet_models_are_refused_before_they_are_built(name, idx_dir, capsys, monkeypatch):
    import glassbox.models as models

    monkeypatch.setitem(models.MODELS, name, lambda **kw: pytest.fail("built"))
    with pytest.raises(SystemExit) as info:
        main(["train", "--data", str(idx_dir), "--model", name, "--epochs", "1"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "does not fit 1×28×28 digits" in err and "lenet5" in err
    assert err.count("\n") == 1


def test_resnet18_is_adapted_and_says_so(capsys):
    assert main(["summary", "resnet18"]) == 0
    out = capsys.readouterr().out
    assert "adapted to 1×28×28 digits: in_channels=1, num_classes=10" in out
    from glassbox.cli.common import build_model, model_config

    model = build_model(model_config("resnet18", None, None))
    logits = gb.training.predict(model, np.zeros((2, 1, 28, 28), np.float32))
    assert logits.shape == (2, 10)


def test_help_states_the_defaults_that_apply(capsys):
    text = _help(capsys, "train")
    assert f"else {train_cli.DEFAULT_EPOCHS})" in text  # --epochs (per model: test_cli_train_defaults.py)
    assert f"mini-batch size (default: {train_cli.DEFAULT_BATCH_SIZE})" in text
    assert f"(default: {train_cli.DEFAULT_LABEL_SMOOTHING:g})" in text
    assert f"{train_cli.DEFAULT_EPOCHS} epochs)" in text  # the description's claim
    args = train_cli.add_parser(__import__("argparse").ArgumentParser().add_subparsers()).parse_args([])
    config = train_cli.TrainConfig.from_args(args)
    assert (config.epochs, config.batch_size, config.optimizer, config.schedule, config.lr,
            config.label_smoothing, config.augment) == (
        train_cli.DEFAULT_EPOCHS, train_cli.DEFAULT_BATCH_SIZE, "adam", "cosine", 3e-3, 0.1, 1)


@pytest.mark.parametrize("optimizer", TUNE_OPTIMIZERS)
def test_train_accepts_every_optimizer_tune_does(optimizer, idx_dir, tmp_path, capsys):
    assert main(["train", "--data", str(idx_dir), "--optimizer", optimizer, "--out", str(tmp_path / "r"),
                 *FAST]) == 0
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert metrics["optimizer"]["name"] == optimizer
    if optimizer == "adamw":
        assert metrics["optimizer"]["weight_decay"] == 0.01  # AdamW's own default


def test_test_metrics_are_called_test(idx_dir, tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["train", "--data", str(idx_dir), "--out", str(out), "--hidden", "16", "--epochs", "2",
                 "--seed", "0"]) == 0
    text = capsys.readouterr().out
    assert "test_loss" in text and "val_" not in text and "Epoch 1/2" in text
    history = json.loads((out / "metrics.json").read_text())["history"]
    assert history["epoch"] == [1, 2]
    assert {"test_loss", "test_accuracy"} <= set(history["history"]) and not any(
        k.startswith("val_") for k in history["history"])
    # with a validation split the held-out part is val, and best.npz follows it
    out2 = tmp_path / "v"
    assert main(["train", "--data", str(idx_dir), "--out", str(out2), "--val-split", "0.2", *FAST]) == 0
    h2 = json.loads((out2 / "metrics.json").read_text())["history"]["history"]
    assert "val_loss" in h2 and "test_loss" not in h2
    assert sorted(p.name for p in out2.iterdir()) == ["best.npz", "checkpoint.npz", "metrics.json"]


def test_lesson_out_without_matplotlib_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib → ImportError
    with pytest.raises(SystemExit) as info:
        main(["lesson", "softmax-gradient", "--quick", "--out", str(tmp_path / "figs")])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "need matplotlib" in err and "without --out" in err
    assert not (tmp_path / "figs").exists()

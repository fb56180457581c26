"""The training recipe `glassbox train` uses when options are left out, per model and data set
(issue 12's accuracy goals are measured with exactly these; BENCHMARKS.md has the numbers).

Each default is pinned by a literal here: changing one must be a decision, re-measured."""
from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from glassbox.cli import train as train_cli
from glassbox.cli.main import main
from glassbox.data.augment import Compose, RandomHorizontalFlip, RandomShift, shift

FAST = ["--hidden", "16", "--epochs", "1", "--batch-size", "50", "--seed", "0", "-q"]


def _config(*argv: str) -> train_cli.TrainConfig:
    parser = train_cli.add_parser(argparse.ArgumentParser().add_subparsers())
    return train_cli.TrainConfig.from_args(parser.parse_args(list(argv)))


def _help(capsys) -> str:
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    return " ".join(capsys.readouterr().out.split())  # argparse wraps lines


# (argv, epochs, Adam's lr, augment, flip): every model/data set pair whose recipe differs
RECIPES = [
    ([], 5, 3e-3, 1, False),                                        # the README's first command
    (["--model", "lenet5"], 5, 3e-3, 1, False),                     # LeNet-5 on MNIST
    (["--model", "cnn"], 25, 1e-3, 1, False),                       # digits: shifts, never flips
    (["--model", "cnn", "--dataset", "fashion-mnist"], 25, 1e-3, 0, True),
    (["--model", "resnet-small", "--dataset", "fashion-mnist"], 15, 1e-3, 0, True),
    (["--model", "RESNET_SMALL", "--dataset", "fashion-mnist"], 15, 1e-3, 0, True),  # as --model allows
    (["--model", "lenet5", "--dataset", "fashion-mnist"], 5, 3e-3, 0, True),
    (["--dataset", "fashion-mnist"], 5, 3e-3, 0, False),            # the MLP: no augmentation
    (["--model", "softmax-regression", "--dataset", "fashion-mnist"], 5, 3e-3, 0, False),
]


@pytest.mark.parametrize("argv, epochs, lr, augment, flip", RECIPES)
def test_the_recipe_per_model_and_dataset_is_pinned(argv, epochs, lr, augment, flip):
    config = _config(*argv, "--seed", "0")
    assert (config.epochs, config.lr, config.augment, config.flip) == (epochs, lr, augment, flip)
    # the rest of the recipe is the same for every model
    assert (config.batch_size, config.optimizer, config.schedule, config.label_smoothing,
            config.weight_decay) == (32, "adam", "cosine", 0.1, None)


@pytest.mark.parametrize("optimizer, lr", [("adamw", 1e-3), ("sgd", 0.1), ("momentum", 0.2), ("rmsprop", 1e-3)])
def test_the_conv_models_lower_lr_is_adams_only(optimizer, lr):
    assert _config("--model", "cnn", "--optimizer", optimizer).lr == lr
    assert _config("--model", "cnn", "--optimizer", optimizer, "--lr", "0.05").lr == 0.05


def test_options_given_override_the_recipe():
    config = _config("--model", "cnn", "--dataset", "fashion-mnist", "--epochs", "2", "--augment", "0",
                     "--no-flip")
    assert (config.epochs, config.augment, config.flip) == (2, 0, False)
    assert _config("--flip").flip is True  # flips can be asked for on digits too


def test_help_states_the_per_model_defaults(capsys):
    text = _help(capsys)
    assert "passes over the training set (default: 25 for cnn, 15 for resnet-small, else 5)" in text
    assert "0: no shifts (default: 1 for mnist, 0 for fashion-mnist)" in text
    assert "--flip, --no-flip mirror each training image left-right with probability 1/2" in text
    assert "(default: on for fashion-mnist with conv models; off for mnist" in text
    assert ("Convolutional models train longer, with Adam from a lower lr (cnn 25 epochs, lr 0.001; "
            "resnet-small 15 epochs, lr 0.001). On Fashion-MNIST they train on randomly mirrored images") in text


def test_augmentation_is_a_shift_then_a_flip():
    assert train_cli.augmentation(0, False) is None
    assert isinstance(train_cli.augmentation(1, False), RandomShift)
    assert isinstance(train_cli.augmentation(0, True), RandomHorizontalFlip)
    both = train_cli.augmentation(2, True)
    assert isinstance(both, Compose) and [type(t) for t in both.transforms] == [RandomShift, RandomHorizontalFlip]
    assert both.transforms[0].max_shift == 2 and both.transforms[1].p == 0.5
    # by hand, from the same generator: the offsets in [−2, 2], then the coin per image
    x = np.random.default_rng(0).random((64, 1, 28, 28)).astype(np.float32)
    out = both(x, np.random.default_rng(5))
    rng = np.random.default_rng(5)
    d = rng.integers(-2, 3, size=(2, 64))
    flip = rng.random(64) < 0.5
    shifted = shift(x, d[0], d[1])
    expected = np.where(flip[:, None, None, None], shifted[..., ::-1], shifted)
    np.testing.assert_array_equal(out, expected)
    assert 0 < flip.sum() < 64


def test_the_run_prints_and_records_the_recipe(idx_dir, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--data", str(idx_dir), "--out", str(out), "--flip", "--augment", "2",
                 "--hidden", "16", "--epochs", "1", "--batch-size", "50", "--seed", "0"]) == 0
    printed = capsys.readouterr().out
    assert "random shifts ≤ 2 px; random horizontal flips; 1 epochs" in printed
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["augment"] == 2 and metrics["flip"] is True and metrics["train_config"]["flip"] is True


def test_resume_rebuilds_the_same_recipe(idx_dir, tmp_path, capsys):
    saved = _config("--model", "cnn", "--dataset", "fashion-mnist", "--seed", "0")
    parser = train_cli.add_parser(argparse.ArgumentParser().add_subparsers())
    resumed = train_cli.TrainConfig.from_args(parser.parse_args(["--resume", "x"]), base=saved)
    assert resumed == saved and (resumed.epochs, resumed.lr, resumed.flip) == (25, 1e-3, True)
    # a run saved before --flip existed trained without flips, and resumes so
    old = {k: v for k, v in saved.to_dict().items() if k != "flip"}
    assert train_cli.TrainConfig.from_dict(old).flip is False

    out = tmp_path / "run"
    assert main(["train", "--data", str(idx_dir), "--out", str(out), "--flip", *FAST]) == 0
    (out / "checkpoint.npz").rename(out / "last.npz")  # pretend it is unfinished
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        main(["train", "--resume", str(out), "--data", str(idx_dir), "--no-flip"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "--flip True (now False)" in err

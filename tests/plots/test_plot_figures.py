"""Every plot writes a valid PNG atomically and returns its path (needs matplotlib)."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import glassbox as gb  # noqa: E402
from glassbox.plots import (  # noqa: E402
    plot_confusion_matrix, plot_filters, plot_gradient_norms, plot_history, plot_lr,
    plot_misclassified,
)
from glassbox.training.callbacks import History  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_size(path):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width > 50 and height > 50
    return width, height


def _only_file(folder, name):
    assert sorted(p.name for p in folder.iterdir()) == [name]  # no temp files left behind


HIST = {"loss": [1.0, 0.6, 0.45, 0.5], "accuracy": [0.6, 0.8, 0.85, 0.86],
        "val_loss": [1.1, 0.7, 0.55, 0.6], "val_accuracy": [0.55, 0.75, 0.8, 0.79],
        "lr": [0.1, 0.05, 0.025, 0.0125], "time": [1.0, 1.0, 1.0, 1.0]}


def test_history_from_dict_and_history_object(tmp_path):
    out = plot_history(HIST, tmp_path / "h.png", stopped_epoch=3)
    assert out == tmp_path / "h.png"
    w, h = _png_size(out)
    assert w > h  # loss and accuracy side by side
    _only_file(tmp_path, "h.png")
    hist = History()
    for e in range(4):
        hist.on_epoch_end(e, {"loss": HIST["loss"][e], "val_loss": HIST["val_loss"][e]})
    _png_size(plot_history(hist, tmp_path / "obj.png", planned_epochs=10))
    _png_size(plot_history(hist.to_dict(), tmp_path / "dict.png"))


def test_history_overwrites_atomically(tmp_path):
    target = tmp_path / "h.png"
    target.write_bytes(b"old")
    plot_history(HIST, target)
    _png_size(target)
    _only_file(tmp_path, "h.png")


def test_history_without_loss_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="plot_history: history has no 'loss'"):
        plot_history({"accuracy": [0.5]}, tmp_path / "x.png")
    with pytest.raises(TypeError, match="plot_history: expected a History"):
        plot_history([1, 2, 3], tmp_path / "x.png")


def test_lr_from_history_and_from_steps(tmp_path):
    _png_size(plot_lr(HIST, tmp_path / "lr.png"))
    steps = 0.1 * 0.5 * (1 + np.cos(np.linspace(0, np.pi, 300)))  # cosine to 0
    _png_size(plot_lr(steps, tmp_path / "steps.png"))
    with pytest.raises(ValueError, match="no 'lr'"):
        plot_lr({"loss": [1.0]}, tmp_path / "x.png")


def test_gradient_norms_log_scale(tmp_path):
    norms = {"fc1.weight": [1e-6, 1e-5, 0.0, 1e-4], "fc2.weight": [1.0, 0.5, 0.3, 0.2]}
    _png_size(plot_gradient_norms(norms, tmp_path / "g.png", steps=[0, 10, 20, 30]))
    with pytest.raises(ValueError, match="'fc1.weight' has 4 norms but 2 steps"):
        plot_gradient_norms(norms, tmp_path / "x.png", steps=[0, 1])


def test_filters_linear_and_conv(tmp_path):
    gb.manual_seed(0)
    fc = gb.nn.Linear(784, 10)
    _png_size(plot_filters(fc.weight, tmp_path / "fc.png"))
    conv = np.random.default_rng(0).normal(size=(6, 3, 5, 5))
    _png_size(plot_filters(conv, tmp_path / "conv.png"))
    _png_size(plot_filters(conv[:, :1], tmp_path / "grey.png"))
    with pytest.raises(ValueError, match="cannot reshape 10 inputs to a square"):
        plot_filters(np.zeros((3, 10)), tmp_path / "x.png")
    _png_size(plot_filters(np.zeros((3, 10)), tmp_path / "rect.png", image_shape=(2, 5)))


def test_confusion_matrix(tmp_path):
    cm = np.array([[5, 1, 0], [2, 7, 1], [0, 0, 9]])
    _png_size(plot_confusion_matrix(cm, tmp_path / "cm.png", class_names=["cat", "dog", "car"]))
    _png_size(plot_confusion_matrix(cm, tmp_path / "norm.png", normalize=True))
    with pytest.raises(ValueError, match=r"square.*\(2, 3\)"):
        plot_confusion_matrix(np.zeros((2, 3)), tmp_path / "x.png")


def test_misclassified_grid(tmp_path):
    imgs = np.random.default_rng(1).random((5, 784))
    out = plot_misclassified(imgs, [1, 2, 3, 4, 5], [7, 7, 8, 9, 0], tmp_path / "m.png",
                             confidences=[0.9, 0.8, 0.7, 0.6, 0.5])
    _png_size(out)
    _png_size(plot_misclassified(imgs.reshape(5, 1, 28, 28), [1] * 5, [2] * 5, tmp_path / "nchw.png"))
    with pytest.raises(ValueError, match="5 images but 4 y_true"):
        plot_misclassified(imgs, [1, 2, 3, 4], [7, 7, 8, 9, 0], tmp_path / "x.png")

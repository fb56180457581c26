"""TensorBoard callback: the event files, read back with the tensorboard package's own
reader, hold the per-epoch scalars fit logged, the step scalars, GradientMonitor's norms
and update ratios, histograms, the end-of-training images and the hyperparameters."""
from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("tensorboardX")
event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
from tensorboard.plugins.hparams import plugin_data_pb2  # noqa: E402

import glassbox as gb  # noqa: E402
from glassbox import nn, optim  # noqa: E402
from glassbox.training import GradientMonitor, TensorBoard, fit  # noqa: E402
from glassbox.training.tensorboard import confusion_image  # noqa: E402

EPOCHS, N, BATCH = 3, 120, 20  # 6 steps per epoch, 18 in all


def _read(folder):
    acc = event_accumulator.EventAccumulator(str(folder), size_guidance={
        event_accumulator.SCALARS: 0, event_accumulator.IMAGES: 0, event_accumulator.HISTOGRAMS: 0,
        event_accumulator.TENSORS: 0})
    acc.Reload()
    return acc


def _scalars(acc, tag):
    return [(e.step, e.value) for e in acc.Scalars(tag)]


def _train(tmp_path, **kwargs):
    rng = np.random.default_rng(0)
    x = rng.random((N, 1, 6, 6), dtype=np.float32)
    y = (x[:, 0, :3].mean(axis=(1, 2)) > x[:, 0, 3:].mean(axis=(1, 2))).astype(np.int64)
    gb.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(64, 2))
    opt = optim.SGD(model.parameters(), lr=0.1)
    monitor = kwargs.pop("monitor", None)
    tb = TensorBoard(tmp_path / "tb", val_data=(x[:40], y[:40]), gradient_monitor=monitor, **kwargs)
    callbacks = [tb] + ([monitor] if monitor is not None else [])
    history = fit(model, nn.CrossEntropyLoss(), opt, (x, y), val_data=(x[:40], y[:40]), epochs=EPOCHS,
                  batch_size=BATCH, callbacks=callbacks, verbose=0, seed=0)
    return history, model, tb


def test_epoch_scalars_match_history(tmp_path):
    history, _, _ = _train(tmp_path, update_freq=4, hparams={"batch_size": BATCH, "note": "test"})
    acc = _read(tmp_path / "tb")
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "lr"):
        steps, values = zip(*_scalars(acc, f"epoch/{key}"))
        assert steps == (1, 2, 3), key
        np.testing.assert_allclose(values, history.history[key], rtol=1e-6, err_msg=key)


def test_step_scalars_every_n_steps(tmp_path):
    _train(tmp_path, update_freq=4)
    acc = _read(tmp_path / "tb")
    for tag in ("step/loss", "step/accuracy", "step/lr"):
        assert [s for s, _ in _scalars(acc, tag)] == [0, 4, 8, 12, 16], tag
    assert all(v == pytest.approx(0.1) for _, v in _scalars(acc, "step/lr"))
    assert all(math.isfinite(v) and v > 0 for _, v in _scalars(acc, "step/loss"))


def test_gradient_norms_and_update_ratios_are_the_monitors(tmp_path):
    monitor = GradientMonitor(every=3, first_steps=0, warn=False)
    _train(tmp_path, update_freq=5, monitor=monitor)
    acc = _read(tmp_path / "tb")
    for name, label, _ in monitor._layers:
        norms = _scalars(acc, f"gradients/norm/{name}")
        ratios = _scalars(acc, f"gradients/update_ratio/{name}")
        assert [s for s, _ in norms] == monitor.steps == list(range(0, EPOCHS * N // BATCH, 3))
        np.testing.assert_allclose([v for _, v in norms], monitor.norms[label], rtol=1e-6)
        np.testing.assert_allclose([v for _, v in ratios], monitor.update_ratios[label], rtol=1e-6)
        assert all(v > 0 for _, v in ratios)


def test_own_monitor_measures_every_update_freq_steps(tmp_path):
    _, _, tb = _train(tmp_path, update_freq=6)
    acc = _read(tmp_path / "tb")
    assert [s for s, _ in _scalars(acc, "gradients/norm/0")] == [0, 6, 12]
    assert [s for s, _ in _scalars(acc, "gradients/update_ratio/3")] == [0, 6, 12]
    assert tb.monitor is not None and not tb.monitor.warn  # a private monitor never warns


def test_histograms_images_and_hparams(tmp_path):
    _, model, _ = _train(tmp_path, update_freq=4, histogram_freq=2, hparams={"batch_size": BATCH})
    acc = _read(tmp_path / "tb")
    tags = acc.Tags()
    for name, _ in model.named_parameters():
        assert [e.step for e in acc.Histograms(f"weights/{name}")] == [2]
        assert f"grads/{name}" in tags["histograms"]
    last = acc.Histograms("weights/3.weight")[-1].histogram_value  # epoch 2, not the final weights
    assert last.max > last.min
    assert last.num == model[3].weight.size
    for tag in ("confusion_matrix", "misclassified"):
        image = acc.Images(tag)[-1]
        assert image.step == EPOCHS and image.width > 0 and image.height > 0
    hp = _read(tmp_path / "tb" / "hparams")
    content = hp.PluginTagToContent("hparams")
    session = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"])
    values = {k: v for k, v in session.session_start_info.hparams.items()}
    assert values["batch_size"].number_value == BATCH
    assert values["optimizer"].string_value == "SGD"
    assert values["lr"].number_value == pytest.approx(0.1)
    assert values["epochs"].number_value == EPOCHS
    assert "hparam/val_accuracy" in hp.Tags()["scalars"]


def test_confusion_image_rows_are_fractions():
    img = confusion_image(np.array([[3, 1], [0, 0]]), cell=2)
    assert img.shape == (4, 4)
    np.testing.assert_allclose(img[::2, ::2], [[0.75, 0.25], [0.0, 0.0]])


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="update_freq"):
        TensorBoard(tmp_path, update_freq=0)
    with pytest.raises(ValueError, match="histogram_freq"):
        TensorBoard(tmp_path, histogram_freq=-1)
    with pytest.raises(ValueError, match="val_data"):
        TensorBoard(tmp_path, val_data=np.zeros(3))
